import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, OverloadedError, UnknownFunctionError } from '../errors.js';
import type { Invocation, InvokeOptions } from '../invoke/function.js';
import { runIncomingHandler, type PlainResponse } from './incoming.js';
import { Metrics } from './metrics.js';
import { compileRoutes, type CompiledRoute, type Route } from './routes.js';
import { renderResult, simpleArgs, simpleSignature, soleExport, type SimpleSignature } from './simple-call.js';
import { errorResponse } from './status.js';
import type { PlainRequest } from './types.js';

/** Request bodies above this are refused with 413 unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Requests handled at once before new ones get 503 (default of `maxInflight`). */
export const DEFAULT_MAX_INFLIGHT = 256;
/** How long the event loop may be stuck in one turn before new requests get 503 (default of `maxQueueDelayMs`). */
export const DEFAULT_MAX_QUEUE_DELAY_MS = 100;
/** Period of the heartbeat that tells when the event loop last came around. */
const HEARTBEAT_MS = 5;

/** A function as the server needs it: `SfiFunction` and `WorkerFunction` both fit. */
export interface ServableFunction {
  readonly wit: string;
  invoke(exportName: string, args: unknown[], options?: InvokeOptions): Promise<Invocation<unknown>>;
  exportNames?(): string[];
  /** Runs a wasi:http request where the function lives (workers); otherwise done in this thread. */
  handleHttp?(request: PlainRequest, deadlineAt?: number): Promise<{ response: PlainResponse; coldStart: boolean }>;
}

/** Where routes find functions by name: a `Runtime` or a `WorkerRuntime`. */
export interface FunctionSource {
  get(name: string): ServableFunction | undefined;
}

/** Options of `createHandler()`. */
export interface HandlerOptions {
  routes: Route[];
  /** Cap on request bodies (default 1 MiB): 413 beyond it. */
  maxBodyBytes?: number;
  /** Serve Prometheus text at this path (GET), e.g. `/metrics`. Off by default. */
  metricsPath?: string;
  /** Requests in progress at once before new ones get 503 + Retry-After (default 256). */
  maxInflight?: number;
  /**
   * In-thread guests run synchronously, so under overload requests queue in the kernel, not here,
   * and `maxInflight` never trips. When the event loop has not come around for this long, the
   * requests it is working through have waited about that long: new ones get 503; so does a request
   * whose body was read this long ago when its turn to run comes (default 100).
   */
  maxQueueDelayMs?: number;
  /**
   * Budget per request in ms, from arrival to the end of the guest call (default: none beyond each
   * function's `limits.timeoutMs`): it stops the guest (504 DEADLINE_EXCEEDED) and bounds its
   * outgoing HTTP calls and wasi:nn inference.
   */
  requestTimeoutMs?: number;
  /** Where to record numbers (default: a new `Metrics`). */
  metrics?: Metrics;
}

/** A `(req, res)` listener with its metrics and a drain. */
export interface HttpHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly metrics: Metrics;
  /** Requests in progress. */
  readonly inflight: number;
  /** Stops accepting new requests (503) and resolves when in-flight ones are done. */
  drain(): Promise<void>;
}

/**
 * A request listener for apps that own their server: routes to functions of `runtime`, maps
 * typed failures to statuses (see `errorResponse`), records metrics. Never throws into Node.
 */
export function createHandler(runtime: FunctionSource, options: HandlerOptions): HttpHandler {
  const routes = compileRoutes(options.routes);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxInflight = options.maxInflight ?? DEFAULT_MAX_INFLIGHT;
  if (!(maxBody >= 0) || !(maxInflight >= 1)) throw new InvalidArgumentError('maxBodyBytes must be >= 0 and maxInflight >= 1');
  const metrics = options.metrics ?? new Metrics();
  const signatures = new Map<string, { fn: ServableFunction; exportName: string; sig: SimpleSignature }>();
  const maxQueueDelay = options.maxQueueDelayMs ?? DEFAULT_MAX_QUEUE_DELAY_MS;
  let inflight = 0;
  let draining = false;
  // Heartbeat: `lastTurn` is when the timers phase last ran, so a request handled long after it
  // sat behind others in the same turn. After a long turn that served a backlog (two or more
  // requests: one slow request alone is not overload), the requests that queued meanwhile surface
  // over the next few turns (a new connection is accepted in one turn, read in another), so new
  // requests are refused for half a `maxQueueDelay` more (`shedUntil`): long enough to catch them,
  // short enough to keep most of the capacity busy with real work under sustained overload.
  let lastTurn = performance.now();
  let shedUntil = 0;
  let handledThisTurn = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    if (now - lastTurn > maxQueueDelay + HEARTBEAT_MS && handledThisTurn >= 2) shedUntil = now + maxQueueDelay / 2;
    lastTurn = now;
    handledThisTurn = 0;
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let drained: (() => void) | undefined;

  /** Answers 503 + Retry-After (OVERLOADED) and counts it against the route's function. */
  const shed = (res: ServerResponse, fn: string, why: string, headers: Record<string, string>) => {
    const e = errorResponse(new OverloadedError(why));
    metrics.record(fn, 0, false, 'OVERLOADED');
    send(res, e.status, { ...e.headers, ...headers }, e.body);
  };

  const done = () => {
    inflight--;
    if (draining && inflight === 0) drained?.();
  };

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (options.metricsPath && path === options.metricsPath && req.method === 'GET') {
      send(res, 200, { 'content-type': 'text/plain; version=0.0.4' }, metrics.prometheus());
      return;
    }
    let route: CompiledRoute | undefined;
    let params: string[] | undefined;
    let wrongMethod = false;
    for (const r of routes) {
      const m = r.match(req.method ?? 'GET', path);
      if (m === false) wrongMethod = true;
      else if (m) { route = r; params = m; break; }
    }
    if (!route || !params) {
      req.resume();
      send(res, wrongMethod ? 405 : 404, { 'content-type': 'text/plain' }, wrongMethod ? 'method not allowed\n' : 'not found\n');
      return;
    }
    const now = performance.now();
    const behind = (now - lastTurn > maxQueueDelay && handledThisTurn > 0) || now < shedUntil;
    handledThisTurn++;
    if (draining || inflight >= maxInflight || behind) {
      req.resume();
      const why = draining ? 'server is shutting down' : inflight >= maxInflight ? `server has ${inflight} requests in progress` : 'server is behind (event loop stalled)';
      shed(res, route.function, why, draining ? { connection: 'close' } : {});
      return;
    }
    inflight++;
    const r = route;
    const p = params;
    readBody(req, maxBody, (body, receivedAt) => {
      if (body === undefined) { tooLarge(req, res); done(); return; }
      // Requests read in one turn run one after another: one that has waited its turn too long
      // (behind synchronous guest calls) is shed here rather than served late.
      const waited = performance.now() - receivedAt;
      if (waited > maxQueueDelay) {
        shed(res, r.function, `request waited ${waited.toFixed(0)} ms for the event loop`, {});
        done();
        return;
      }
      dispatch(r, p, req, res, body)
        .catch(() => { if (!res.headersSent) send(res, 500, {}, 'internal error\n'); })
        .finally(done);
    }, () => { res.destroy(); done(); });
  }) as HttpHandler;

  async function dispatch(route: CompiledRoute, params: string[], req: IncomingMessage, res: ServerResponse, body: Uint8Array): Promise<void> {
    const t0 = performance.now();
    let coldStart = false;
    try {
      const fn = runtime.get(route.function);
      if (!fn) throw new UnknownFunctionError(route.function);
      // The route's budget ends the guest call like its own timeout would (504 DEADLINE_EXCEEDED).
      const deadlineAt = options.requestTimeoutMs ? t0 + options.requestTimeoutMs : undefined;
      if (route.kind === 'wasi-http') {
        const request: PlainRequest = {
          method: req.method ?? 'GET', pathWithQuery: req.url ?? '/', scheme: 'http',
          authority: req.headers.host ?? 'localhost', rawHeaders: req.rawHeaders, body,
        };
        let response: PlainResponse;
        if (fn.handleHttp) ({ response, coldStart } = await fn.handleHttp(request, deadlineAt));
        else { const r = await runIncomingHandler(fn, request, deadlineAt); response = r.response; coldStart = r.invocation.stats.coldStart; }
        metrics.record(route.function, performance.now() - t0, coldStart);
        res.writeHead(response.status, response.headers.flat());
        res.end(response.body);
        return;
      }
      const key = `${route.function}\0${route.export ?? ''}`;
      let bound = signatures.get(key);
      if (!bound || bound.fn !== fn) {
        const exportName = route.export ?? soleExport(fn.wit);
        bound = { fn, exportName, sig: simpleSignature(fn.wit, exportName) };
        signatures.set(key, bound);
      }
      const invocation = await fn.invoke(bound.exportName, simpleArgs(bound.sig, body, params), { deadlineAt });
      coldStart = invocation.stats.coldStart;
      metrics.record(route.function, performance.now() - t0, coldStart);
      const { body: out, contentType } = renderResult(invocation.value);
      send(res, out === '' ? 204 : 200, contentType ? { 'content-type': contentType } : {}, out);
    } catch (err) {
      const e = errorResponse(err);
      metrics.record(route.function, performance.now() - t0, coldStart, e.headers['x-sfirt-error']);
      send(res, e.status, e.headers, e.body);
    }
  }

  Object.defineProperty(handler, 'metrics', { value: metrics });
  Object.defineProperty(handler, 'inflight', { get: () => inflight });
  Object.defineProperty(handler, 'drain', {
    value: () => {
      draining = true;
      clearInterval(heartbeat);
      return inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { drained = resolve; });
    },
  });
  return handler;
}

/** Options of `serve()`. */
export interface ServeOptions extends HandlerOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Interface (default `127.0.0.1`). */
  host?: string;
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

/** Starts an HTTP server for `routes` on `host:port` (the lead exposes it as `runtime.serve()`). */
export async function serve(runtime: FunctionSource, options: ServeOptions): Promise<HttpServer> {
  const handler = createHandler(runtime, options);
  const server = createServer({ keepAliveTimeout: 5_000 }, handler);
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

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Uint8Array | string): void {
  if (res.headersSent) { res.end(); return; }
  res.writeHead(status, headers);
  res.end(body);
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  send(res, 413, { 'content-type': 'text/plain', connection: 'close', 'x-sfirt-error': 'PAYLOAD_TOO_LARGE' }, 'request body too large\n');
  // Stop reading the rest of an oversized upload; the connection closes after the answer.
  res.on('finish', () => req.destroy());
}

/**
 * Calls `onBody` with the whole body, or with undefined as soon as it exceeds `max` bytes; calls
 * `onError` if the request fails first. Callbacks, not a promise: this is the per-request hot path.
 */
function readBody(req: IncomingMessage, max: number, onBody: (body: Uint8Array | undefined, receivedAt: number) => void, onError: () => void): void {
  let receivedAt = performance.now();
  const declared = Number(req.headers['content-length']);
  if (declared > max) { onBody(undefined, receivedAt); return; }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  let settled = false;
  req.on('data', (c: Buffer) => {
    if (settled) return;
    receivedAt = performance.now();
    size += c.byteLength;
    if (size > max) { settled = true; req.pause(); onBody(undefined, receivedAt); return; }
    if (!first) first = c;
    else (chunks ??= [first]).push(c);
  });
  req.on('end', () => {
    if (settled) return;
    settled = true;
    onBody(chunks ? Buffer.concat(chunks) : first ?? EMPTY, receivedAt);
  });
  req.on('error', () => { if (!settled) { settled = true; onError(); } });
}

const EMPTY = new Uint8Array(0);
