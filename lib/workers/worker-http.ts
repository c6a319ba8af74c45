/**
 * The worker half of HTTP on every core: inside a runtime worker, the same `createHandler()` +
 * `listen()` as the in-thread server, on a port every worker shares (`reusePort`; the kernel
 * spreads new connections over the workers' sockets). A request is read, run on this worker's own
 * runtime and answered here: nothing crosses to the main thread per request. What does cross:
 * failures for the server's `onError` (as events), and this worker's metrics when the main thread
 * adds them up (a scrape of `metricsPath`, `collectMetrics()`, `close()`).
 *
 * If this worker crashes (an exception nothing caught), every request it has in flight is answered
 * `500 WORKER_CRASHED` with the generic body and its connection closed before the thread exits;
 * the main thread starts a replacement, which listens on the same port. A worker that is killed
 * outright (terminate, V8 heap limit) runs no more JavaScript: its connections are reset.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { InvalidArgumentError, toWire } from '../errors.js';
import { createHandler, type HttpHandler } from '../http/handler.js';
import { Metrics, type MetricsExport } from '../http/metrics.js';
import { send, sendError } from '../http/respond.js';
import { listen, type HttpServer, type ServeOptions } from '../http/serve.js';
import { errorResponseFor } from '../http/status.js';
import type { FunctionSource } from '../http/handler.js';
import type { RequestSummary, WorkerEvent } from './protocol.js';

/** Serve options as they cross to a worker: plain data (no hook, no metrics object). */
export type PortableServeOptions = Omit<ServeOptions, 'onError' | 'metrics' | 'listenInWorkers'>;

/** What the main thread sends with `serve`. */
export interface ServeSpec {
  options: PortableServeOptions;
  /** The port to listen on (0 for the first worker: any free port; the others then get that one). */
  port: number;
  /** Whether failures are sent to the main thread for its `onError`. */
  forwardErrors: boolean;
}

/** This worker's numbers, as `serve-stats` answers them. */
export interface ServeStats {
  inflight: number;
  metrics: MetricsExport;
}

/** How long a crashing worker waits for its last answers to leave before it exits. */
const CRASH_FLUSH_MS = 500;

interface Serving {
  server: HttpServer;
  metrics: Metrics;
  handler: HttpHandler;
  /** Open connections, to answer what they have in flight if this worker crashes (see `inFlight`). */
  connections: Set<Socket>;
}

let serving: Serving | undefined;
const scrapes = new Map<number, (text: string) => void>();
let nextTicket = 1;

/**
 * Starts serving `spec.options.routes` from `runtime` on `spec.port`; resolves with the port.
 * @throws InvalidRouteError, InvalidArgumentError, BindFailedError (as `serve()` does).
 */
export async function startServing(runtime: FunctionSource, spec: ServeSpec, post: (e: WorkerEvent) => void): Promise<number> {
  if (serving) throw new InvalidArgumentError('this worker already serves HTTP');
  const { metricsPath, ...options } = spec.options;
  const metrics = new Metrics();
  const handler = createHandler(runtime, {
    ...options, metrics,
    ...(spec.forwardErrors ? { onError: (err: unknown, req: IncomingMessage) => post({ event: 'http-error', error: toWire(err), req: summary(req) }) } : {}),
  });
  // Nothing is tracked per request (a Map of in-flight responses, set and deleted per request, cost
  // 2–4 µs of CPU per request here, mostly in the GC, which promoted ~4 MB per scavenge with it:
  // node --trace-gc bench/diagnostics/http-workers.mjs); a crash finds what is in flight through
  // the open connections.
  // `metricsPath` answers with every worker's numbers, which only the main thread can add up.
  const listener = (metricsPath === undefined ? handler : ((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && (req.url === metricsPath || req.url?.startsWith(`${metricsPath}?`))) {
      scrape(post).then((text) => send(res, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, text),
        () => sendError(req, res, errorResponseFor('INTERNAL'), false));
      return;
    }
    handler(req, res);
  })) as HttpHandler;
  if (listener !== handler) {
    Object.defineProperties(listener, {
      metrics: { value: metrics },
      inflight: { get: () => handler.inflight },
      drain: { value: () => handler.drain() },
    });
  }
  const server = await listen(listener, { ...options, port: spec.port }, true);
  // Attached before any connection can arrive: listen() resolves in the listening callback, and
  // this continuation runs in the microtasks right after it.
  const connections = new Set<Socket>();
  const untrack = function (this: Socket) { connections.delete(this); };
  server.server?.on('connection', (socket: Socket) => { connections.add(socket); socket.once('close', untrack); });
  serving = { server, metrics, handler, connections };
  return server.port;
}

/** Drains and stops this worker's server; resolves with its final numbers. */
export async function stopServing(): Promise<MetricsExport | undefined> {
  const s = serving;
  if (!s) return undefined;
  await s.server.close();
  serving = undefined;
  return s.metrics.export();
}

/** In-flight requests and numbers of this worker's server. */
export function servingStats(): ServeStats | undefined {
  return serving && { inflight: serving.handler.inflight, metrics: serving.metrics.export() };
}

/** The combined Prometheus text the main thread sends back for a scrape. */
export function scraped(payload: { ticket: number; text: string }): void {
  scrapes.get(payload.ticket)?.(payload.text);
  scrapes.delete(payload.ticket);
}

/**
 * This worker is going down: stop accepting, answer every request in flight with a generic
 * `500 WORKER_CRASHED` (closing its connection), and resolve once those answers have left.
 */
export function answerInFlightOnCrash(): Promise<void> {
  const s = serving;
  if (!s) return Promise.resolve();
  s.server.server?.close();
  const answered: Promise<void>[] = [];
  const e = errorResponseFor('WORKER_CRASHED');
  for (const res of inFlight(s.connections)) {
    if (res.writableFinished) continue;
    answered.push(new Promise((resolve) => { res.once('close', resolve); res.once('finish', resolve); }));
    sendError(res.req, res, e, true);
  }
  // Connections with nothing in flight (idle keep-alive) just close.
  s.server.server?.closeIdleConnections();
  return Promise.race([Promise.all(answered).then(() => {}), new Promise<void>((resolve) => setTimeout(resolve, CRASH_FLUSH_MS).unref())]);
}

/**
 * The response each connection is writing (or will write next): node:http attaches it to its
 * socket as `_httpMessage` (a field it has used since its first versions, for every response it
 * sends). Pipelined requests queued behind it are not reached, but they could not be answered
 * anyway: this one's answer closes the connection.
 */
function* inFlight(connections: Iterable<Socket>): Generator<ServerResponse> {
  for (const socket of connections) {
    const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (res) yield res;
  }
}

function scrape(post: (e: WorkerEvent) => void): Promise<string> {
  const ticket = nextTicket++;
  return new Promise((resolve) => {
    scrapes.set(ticket, resolve);
    post({ event: 'collect', ticket });
  });
}

function summary(req: IncomingMessage): RequestSummary {
  return { method: req.method, url: req.url, headers: { ...req.headers }, socket: { remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort } };
}
