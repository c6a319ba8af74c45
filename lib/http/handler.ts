/**
 * `createHandler()`: the `(req, res)` listener behind `serve()`. Routes a request to a function,
 * admits it against the server's capacity, reads its body under deadlines (`body-reader.ts`),
 * calls the function (simple or `wasi:http`), and answers with the guest's response or a status
 * of the server's own, which the client must then take in time (`send-watch.ts`). Nothing a guest
 * or a failure carries reaches the client beyond what `respond.ts` and `status.ts` allow.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgumentError } from '../errors.js';
import type { Invocation, InvokeOptions } from '../invoke/function.js';
import { BodyReaders } from './body-reader.js';
import { SendWatch } from './send-watch.js';
import { InvalidRouteError } from './errors.js';
import { handleIncoming, handlerExport, type PlainResponse } from './incoming.js';
import { Metrics } from './metrics.js';
import { sendError, send, sendGuestResponse } from './respond.js';
import { allowedMethods, compileRoutes, type CompiledRoute, type Route } from './routes.js';
import { renderResult, simpleArgs, simpleSignature, type SimpleSignature } from './simple-call.js';
import { errorCodeOf, errorResponseFor } from './status.js';
import type { PlainRequest } from './types.js';

/** Request bodies above this are refused with 413 unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Requests handled at once before new ones get 503 (default of `maxInflight`). */
export const DEFAULT_MAX_INFLIGHT = 256;
/** How long the event loop may be stuck in one turn before new requests get 503 (default of `maxQueueDelayMs`). */
export const DEFAULT_MAX_QUEUE_DELAY_MS = 100;
/** Time a body that did not arrive with its headers has to arrive (default of `bodyTimeoutMs`). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
/** Rate that extends a slow body's deadline by one second per this many bytes (default of `minBodyBytesPerSecond`). */
export const DEFAULT_MIN_BODY_BYTES_PER_SECOND = 500;
/** Share of `maxInflight` that requests whose body is still arriving may hold (default of `bodyReadShare`). */
export const DEFAULT_BODY_READ_SHARE = 0.5;
/** Time a response still buffered when its request is done has to drain (default of `sendTimeoutMs`). */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
/** Bytes of such a response that extend its send deadline by one second (default of `minSendBytesPerSecond`). */
export const DEFAULT_MIN_SEND_BYTES_PER_SECOND = 16 * 1024;
/** Period of the heartbeat that tells when the event loop last came around. */
const HEARTBEAT_MS = 5;

/** A function as the server needs it: `SfiFunction` and `WorkerFunction` both fit. */
export interface ServableFunction {
  readonly wit: string;
  invoke(exportName: string, args: unknown[], options?: InvokeOptions): Promise<Invocation<unknown>>;
  /** `SfiFunction.invokeNow`: the invocation itself when the call ended synchronously. */
  invokeNow?(exportName: string, args: unknown[], options?: InvokeOptions): Invocation<unknown> | Promise<Invocation<unknown>>;
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
  /** Checked at start: every route's function must be loaded and fit its kind (`INVALID_ROUTE`). */
  routes: Route[];
  /** Cap on request bodies (default 1 MiB): 413 beyond it. */
  maxBodyBytes?: number;
  /** Serve Prometheus text at this path (GET), e.g. `/metrics`. Off by default. */
  metricsPath?: string;
  /** Requests in progress at once before new ones get 503 + Retry-After (default 256). */
  maxInflight?: number;
  /** Requests in progress at once from one client address (default: no cap beyond `maxInflight`). */
  maxInflightPerClient?: number;
  /**
   * In-thread guests run synchronously, so under overload requests queue in the kernel, not here,
   * and `maxInflight` never trips. When the event loop has not come around for this long, the
   * requests it is working through have waited about that long: new ones get 503; so does a request
   * whose body was read this long ago when its turn to run comes (default 100).
   */
  maxQueueDelayMs?: number;
  /**
   * Budget per request in ms, from the arrival of its headers to the end of the guest call
   * (default: none beyond each function's `limits.timeoutMs`): it bounds the body's arrival (408),
   * stops the guest (504 DEADLINE_EXCEEDED) and bounds its outgoing HTTP calls and wasi:nn inference.
   */
  requestTimeoutMs?: number;
  /** Time a body that did not arrive with its headers has to arrive, in ms (default 10,000); then 408. */
  bodyTimeoutMs?: number;
  /** Each this many body bytes received extend `bodyTimeoutMs` by a second (default 500; 0: no extension). */
  minBodyBytesPerSecond?: number;
  /** Share of `maxInflight` that requests whose body is still arriving may hold (default 0.5): past it, 503. */
  bodyReadShare?: number;
  /**
   * Time a response the client has not taken by the end of its request has to drain, in ms
   * (default 10,000), plus a second per `minSendBytesPerSecond` (16 KiB) still buffered then; past
   * that the connection is destroyed (a client that never reads cannot keep responses in memory).
   */
  sendTimeoutMs?: number;
  /** See `sendTimeoutMs` (default 16,384; 0: no extension). */
  minSendBytesPerSecond?: number;
  /**
   * Called with every failure a request ends in (guest errors, refused guest responses, route
   * misconfiguration): its message may hold host detail the client never sees. Must not throw.
   */
  onError?: (err: unknown, req: IncomingMessage) => void;
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

/** A simple route's function and the signature it is called with. */
interface BoundRoute { fn: ServableFunction; sig: SimpleSignature }

/** Normalised handler options (every field validated and defaulted once). */
interface Config {
  maxBody: number;
  maxInflight: number;
  maxPerClient: number;
  maxQueueDelay: number;
  requestTimeoutMs: number | undefined;
  bodyTimeoutMs: number;
  minBodyRate: number;
  maxStalled: number;
  sendTimeoutMs: number;
  minSendRate: number;
}

function configure(options: HandlerOptions): Config {
  const num = (name: keyof HandlerOptions, value: unknown, fallback: number, min: number) => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v >= min)) throw new InvalidArgumentError(`${name} must be a number >= ${min}`);
    return v;
  };
  const maxInflight = num('maxInflight', options.maxInflight, DEFAULT_MAX_INFLIGHT, 1);
  const share = num('bodyReadShare', options.bodyReadShare, DEFAULT_BODY_READ_SHARE, 0);
  if (share > 1) throw new InvalidArgumentError('bodyReadShare must be between 0 and 1');
  return {
    maxBody: num('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 0),
    maxInflight,
    maxPerClient: num('maxInflightPerClient', options.maxInflightPerClient, Infinity, 1),
    maxQueueDelay: num('maxQueueDelayMs', options.maxQueueDelayMs, DEFAULT_MAX_QUEUE_DELAY_MS, 0),
    requestTimeoutMs: options.requestTimeoutMs === undefined ? undefined : num('requestTimeoutMs', options.requestTimeoutMs, 0, 1),
    bodyTimeoutMs: num('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS, 1),
    minBodyRate: num('minBodyBytesPerSecond', options.minBodyBytesPerSecond, DEFAULT_MIN_BODY_BYTES_PER_SECOND, 0),
    maxStalled: share === 0 ? 0 : Math.max(1, Math.floor(maxInflight * share)),
    sendTimeoutMs: num('sendTimeoutMs', options.sendTimeoutMs, DEFAULT_SEND_TIMEOUT_MS, 1),
    minSendRate: num('minSendBytesPerSecond', options.minSendBytesPerSecond, DEFAULT_MIN_SEND_BYTES_PER_SECOND, 0),
  };
}

/**
 * Checks every route against the functions `runtime` has now: loaded, with an export that fits
 * the route's kind. Returns the simple routes' signatures by route.
 * @throws InvalidRouteError
 */
function checkRoutes(runtime: FunctionSource, routes: CompiledRoute[]): Map<CompiledRoute, BoundRoute> {
  const signatures = new Map<CompiledRoute, BoundRoute>();
  for (const route of routes) {
    const label = `${route.methodName} ${route.path}`;
    const fn = runtime.get(route.function);
    if (!fn) throw new InvalidRouteError(label, `no function named ${route.function} is loaded (load functions before serving them)`);
    if (route.kind === 'wasi-http') {
      try { handlerExport(fn); } catch (err) { throw new InvalidRouteError(label, (err as Error).message); }
    } else {
      signatures.set(route, { fn, sig: simpleSignature(fn.wit, route.export, label) });
    }
  }
  return signatures;
}

/**
 * A request listener for apps that own their server: routes to functions of `runtime`, maps
 * typed failures to statuses (see `errorResponse`), records metrics. Never throws into Node.
 * @throws InvalidRouteError when a route can never be served; InvalidArgumentError for bad options.
 */
export function createHandler(runtime: FunctionSource, options: HandlerOptions): HttpHandler {
  const routes = compileRoutes(options.routes);
  const config = configure(options);
  const metrics = options.metrics ?? new Metrics();
  const bound = checkRoutes(runtime, routes);
  const readers = new BodyReaders(config.maxStalled);
  const sends = new SendWatch(config.sendTimeoutMs, config.minSendRate, () => metrics.refused('SEND_TIMEOUT'));
  const perClient = new Map<string, number>();
  const onError = options.onError;
  const { maxQueueDelay } = config;
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

  const report = (err: unknown, req: IncomingMessage) => {
    if (!onError) return;
    try { onError(err, req); } catch { /* a failing hook must not take the server down */ }
  };

  /**
   * Refuses a request the server will not run (503/408/413): counted as a refusal, and a 503 also
   * against the route's function (as a pool's OVERLOADED would be); a client's slow or oversized
   * body is not the function's error.
   */
  const refuse = (req: IncomingMessage, res: ServerResponse, fn: string, code: string, close: boolean) => {
    if (code === 'OVERLOADED' || code === 'CLOSED') metrics.record(fn, 0, false, code);
    metrics.refused(code);
    const e = errorResponseFor(code);
    sendError(req, res, e, close);
  };

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (options.metricsPath && path === options.metricsPath && method === 'GET') {
      send(res, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, metrics.prometheus());
      return;
    }
    let route: CompiledRoute | undefined;
    let params: string[] | undefined;
    let wrongMethod = false;
    for (const r of routes) {
      const m = r.match(method, path);
      if (m === false) wrongMethod = true;
      else if (m) { route = r; params = m; break; }
    }
    if (!route || !params) {
      req.resume();
      if (wrongMethod) send(res, 405, { 'content-type': 'text/plain', allow: allowedMethods(routes, path).join(', ') }, 'method not allowed\n');
      else send(res, 404, { 'content-type': 'text/plain' }, 'not found\n');
      return;
    }
    const behind = (arrivedAt - lastTurn > maxQueueDelay && handledThisTurn > 0) || arrivedAt < shedUntil;
    handledThisTurn++;
    const client = config.maxPerClient === Infinity ? undefined : (req.socket.remoteAddress ?? '');
    if (draining || inflight >= config.maxInflight || behind || (client !== undefined && (perClient.get(client) ?? 0) >= config.maxPerClient)) {
      // A refused request's body is not worth reading: with one declared, the connection closes
      // after the answer (else a client could trickle it on a socket the server keeps).
      const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
      req.resume();
      refuse(req, res, route.function, draining ? 'CLOSED' : 'OVERLOADED', draining || hasBody);
      return;
    }
    inflight++;
    if (client !== undefined) perClient.set(client, (perClient.get(client) ?? 0) + 1);
    const done = () => {
      sends.watch(res);
      inflight--;
      if (client !== undefined) {
        const n = perClient.get(client)! - 1;
        if (n === 0) perClient.delete(client); else perClient.set(client, n);
      }
      if (draining && inflight === 0) drained?.();
    };
    const r = route;
    const p = params;
    const deadlineAt = config.requestTimeoutMs === undefined ? undefined : arrivedAt + config.requestTimeoutMs;
    readers.read(req, { maxBytes: config.maxBody, timeoutMs: config.bodyTimeoutMs, minBytesPerSecond: config.minBodyRate, deadlineAt }, (outcome) => {
      if (outcome.aborted) { res.destroy(); done(); return; }
      if (outcome.refused) {
        // The rest of the body is never read: the connection closes after the answer.
        refuse(req, res, r.function, outcome.refused, true);
        done();
        return;
      }
      // Requests read in one turn run one after another: one that has waited its turn too long
      // (behind synchronous guest calls) is shed here rather than served late.
      if (performance.now() - outcome.receivedAt > maxQueueDelay) {
        refuse(req, res, r.function, 'OVERLOADED', false);
        done();
        return;
      }
      // A call that ends synchronously (a pooled instance ready) is answered in this turn, with
      // no promise; `dispatch` answers every failure of the call itself, this only a bug of ours.
      let pending: Promise<void> | undefined;
      try {
        pending = dispatch(r, p, req, res, outcome.body, deadlineAt);
      } catch (err) {
        internal(err, req, res);
      }
      if (pending) pending.catch((err) => internal(err, req, res)).finally(done);
      else done();
    });
  }) as HttpHandler;

  /** A failure of ours (not of the call): reported, and a 500 unless the answer went out. */
  function internal(err: unknown, req: IncomingMessage, res: ServerResponse): void {
    report(err, req);
    if (!res.headersSent) sendError(req, res, errorResponseFor('INTERNAL'), false);
  }

  /** The call failed (or answering it did): recorded, reported, answered with its status. */
  function failed(route: CompiledRoute, req: IncomingMessage, res: ServerResponse, t0: number, err: unknown, coldStart: boolean): void {
    const code = errorCodeOf(err);
    metrics.record(route.function, performance.now() - t0, coldStart, code);
    report(err, req);
    sendError(req, res, errorResponseFor(code), false);
  }

  function answerWasi(route: CompiledRoute, req: IncomingMessage, res: ServerResponse, t0: number, response: PlainResponse, coldStart: boolean): void {
    try {
      metrics.record(route.function, performance.now() - t0, coldStart);
      sendGuestResponse(res, response, route.dropped);
    } catch (err) {
      failed(route, req, res, t0, err, coldStart);
    }
  }

  function answerSimple(route: CompiledRoute, req: IncomingMessage, res: ServerResponse, t0: number, invocation: Invocation<unknown>): void {
    const coldStart = invocation.stats.coldStart;
    try {
      metrics.record(route.function, performance.now() - t0, coldStart);
      const { body: out, contentType } = renderResult(invocation.value);
      send(res, out === '' ? 204 : 200, contentType ? { 'content-type': contentType } : {}, out);
    } catch (err) {
      failed(route, req, res, t0, err, coldStart);
    }
  }

  /**
   * Calls the route's function and answers. A call that ends synchronously (a pooled instance
   * ready) is answered before this returns, and no promise is made; else the promise of the answer.
   */
  function dispatch(route: CompiledRoute, params: string[], req: IncomingMessage, res: ServerResponse, body: Uint8Array, deadlineAt: number | undefined): Promise<void> | undefined {
    const t0 = performance.now();
    try {
      const fn = runtime.get(route.function);
      if (!fn) throw new InvalidRouteError(`${route.methodName} ${route.path}`, `function ${route.function} is no longer loaded`);
      if (route.kind === 'wasi-http') {
        const request: PlainRequest = {
          method: req.method ?? 'GET', pathWithQuery: req.url ?? '/', scheme: 'http',
          authority: req.headers.host ?? 'localhost', rawHeaders: req.rawHeaders, body,
        };
        if (fn.handleHttp) {
          return fn.handleHttp(request, deadlineAt).then(
            (r) => answerWasi(route, req, res, t0, r.response, r.coldStart), (err) => failed(route, req, res, t0, err, false));
        }
        const r = handleIncoming(fn, request, deadlineAt);
        if (r instanceof Promise) {
          return r.then((r) => answerWasi(route, req, res, t0, r.response, r.invocation.stats.coldStart), (err) => failed(route, req, res, t0, err, false));
        }
        answerWasi(route, req, res, t0, r.response, r.invocation.stats.coldStart);
        return undefined;
      }
      let b = bound.get(route);
      if (!b || b.fn !== fn) {
        // Checked at start; a function reloaded under the same name is checked again here.
        b = { fn, sig: simpleSignature(fn.wit, route.export, `${route.methodName} ${route.path}`) };
        bound.set(route, b);
      }
      const args = simpleArgs(b.sig, body, params);
      const options = { deadlineAt };
      const invocation = fn.invokeNow ? fn.invokeNow(b.sig.exportName, args, options) : fn.invoke(b.sig.exportName, args, options);
      if (invocation instanceof Promise) {
        return invocation.then((inv) => answerSimple(route, req, res, t0, inv), (err) => failed(route, req, res, t0, err, false));
      }
      answerSimple(route, req, res, t0, invocation);
      return undefined;
    } catch (err) {
      failed(route, req, res, t0, err, false);
      return undefined;
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
