/**
 * `serve()`: a `node:http` server around `createHandler()`, with the connection-level limits a
 * handler cannot set itself: a deadline for request headers (slowloris), and keep-alive bounds.
 *
 * `listen()` is the server half on its own: `serve()` uses it in this thread, and with a
 * `WorkerRuntime` on a Node that has `reusePort` each worker runs it on the same port
 * (lib/workers/worker-http.ts), so both paths share every limit, header rule and error answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BindFailedError, InvalidArgumentError } from '../errors.js';
import { createHandler, type HandlerOptions, type HttpHandler } from './handler.js';
import type { Metrics } from './metrics.js';

export {
  createHandler, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT, DEFAULT_MAX_QUEUE_DELAY_MS, DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MIN_BODY_BYTES_PER_SECOND, DEFAULT_BODY_READ_SHARE, DEFAULT_SEND_TIMEOUT_MS, DEFAULT_MIN_SEND_BYTES_PER_SECOND,
  type HandlerOptions, type HttpHandler, type FunctionSource, type ServableFunction,
} from './handler.js';

/** Time a client has to send a request's headers, in ms (default of `headersTimeoutMs`). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** How long an idle keep-alive connection stays open, in ms. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Options of `serve()`. */
export interface ServeOptions extends HandlerOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Interface (default `127.0.0.1`). */
  host?: string;
  /**
   * Time a client has to send a request's headers, in ms (default 10,000, and never more than
   * `requestTimeoutMs`): a connection that trickles its headers is closed (Node answers 408).
   */
  headersTimeoutMs?: number;
  /**
   * With a `WorkerRuntime` on Node >= 22.12 (`reusePort`): each worker accepts its own connections
   * and answers them, with no hop through this thread (default `true`). `false`, or an older
   * Node: this thread accepts every connection and sends each request to a worker.
   */
  listenInWorkers?: boolean;
}

/** A running server. */
export interface HttpServer {
  /** The `node:http` server, when connections are accepted in this thread (else `undefined`). */
  readonly server: Server | undefined;
  readonly port: number;
  readonly url: string;
  /**
   * The server's numbers. With workers accepting connections (`workers > 0`) this is the sum over
   * every worker as of the last `collectMetrics()`, scrape of `metricsPath`, or `close()`.
   */
  readonly metrics: Metrics;
  /** Worker threads that accept connections themselves (0: this thread accepts them). */
  readonly workers: number;
  /** Brings `metrics` up to date (across workers) and returns it. */
  collectMetrics(): Promise<Metrics>;
  /** Stops accepting connections, lets in-flight requests finish, then closes every connection. */
  close(): Promise<void>;
}

/**
 * A runtime that can serve on its own threads (`WorkerRuntime`) implements this: given the
 * options it returns the server, or `undefined` to be served from this thread.
 */
export const kServeInWorkers = Symbol.for('sfirt.serveInWorkers');

/** What `serve()` accepts: a `Runtime` or a `WorkerRuntime`. */
export type Servable = Parameters<typeof createHandler>[0] & { [kServeInWorkers]?: (options: ServeOptions) => Promise<HttpServer> | undefined };

/**
 * Starts an HTTP server for `routes` on `host:port` (also `runtime.serve()`). With a
 * `WorkerRuntime` whose workers can share a port, each worker accepts and answers its own
 * connections (see `listenInWorkers`).
 * @throws InvalidRouteError when a route can never be served; InvalidArgumentError for bad options;
 *   BindFailedError when the address cannot be listened on.
 */
export async function serve(runtime: Servable, options: ServeOptions): Promise<HttpServer> {
  if (options.listenInWorkers !== undefined && typeof options.listenInWorkers !== 'boolean') {
    throw new InvalidArgumentError('listenInWorkers must be a boolean');
  }
  const onWorkers = runtime[kServeInWorkers]?.(options);
  if (onWorkers) return onWorkers;
  return listen(createHandler(runtime, options), options);
}

/**
 * Listens with `handler` on `options.host:options.port`; with `reusePort`, other threads (and
 * processes of the same user) may listen on the same port and the kernel spreads connections.
 * @throws InvalidArgumentError for a bad `headersTimeoutMs`; BindFailedError when listen fails.
 */
export async function listen(handler: HttpHandler, options: ServeOptions, reusePort = false): Promise<HttpServer> {
  const headersTimeout = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, options.requestTimeoutMs ?? Infinity);
  if (!(headersTimeout >= 1)) { await handler.drain(); throw new InvalidArgumentError('headersTimeoutMs must be a number >= 1'); }
  const server = createServer({
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout,
    // Node's whole-request timeout (default 300 s) stays a backstop; bodies are timed by the handler.
    requestTimeout: Math.max(headersTimeout, 300_000),
    // Node checks the two timeouts above on this period (default 30 s: a 10 s deadline could last 40).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersTimeout / 4)),
  }, handler);
  const host = options.host ?? '127.0.0.1';
  const wanted = options.port ?? 0;
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) { await handler.drain(); throw new InvalidArgumentError('port must be an integer from 0 to 65535'); }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: wanted, host, ...(reusePort ? { reusePort: true } : {}) }, () => { server.off('error', reject); resolve(); });
    });
  } catch (err) {
    await handler.drain();
    const e = err as NodeJS.ErrnoException;
    throw new BindFailedError(host, wanted, typeof e.code === 'string' ? e.code : 'UNKNOWN', e.message, { cause: err });
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server, port, metrics: handler.metrics, workers: 0,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    collectMetrics: () => Promise.resolve(handler.metrics),
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await handler.drain();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
