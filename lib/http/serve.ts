/**
 * `serve()`: a `node:http` server around `createHandler()`, with the connection-level limits a
 * handler cannot set itself: a deadline for request headers (slowloris), and keep-alive bounds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { createHandler, type HandlerOptions } from './handler.js';
import type { Metrics } from './metrics.js';

export {
  createHandler, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT, DEFAULT_MAX_QUEUE_DELAY_MS, DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MIN_BODY_BYTES_PER_SECOND, DEFAULT_BODY_READ_SHARE,
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
}

/** A running server. */
export interface HttpServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly metrics: Metrics;
  /** Stops accepting connections, lets in-flight requests finish, then closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server for `routes` on `host:port` (also `runtime.serve()`).
 * @throws InvalidRouteError when a route can never be served; InvalidArgumentError for bad options.
 */
export async function serve(runtime: Parameters<typeof createHandler>[0], options: ServeOptions): Promise<HttpServer> {
  const handler = createHandler(runtime, options);
  const headersTimeout = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, options.requestTimeoutMs ?? Infinity);
  if (!(headersTimeout >= 1)) throw new InvalidArgumentError('headersTimeoutMs must be a number >= 1');
  const server = createServer({
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout,
    // Node's whole-request timeout (default 300 s) stays a backstop; bodies are timed by the handler.
    requestTimeout: Math.max(headersTimeout, 300_000),
    // Node checks the two timeouts above on this period (default 30 s: a 10 s deadline could last 40).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersTimeout / 4)),
  }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    server, port, metrics: handler.metrics,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
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
