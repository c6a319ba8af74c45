/**
 * The main-thread half of HTTP on every core: `serve()` with a `WorkerRuntime` on a Node that has
 * `reusePort` (>= 22.12 on the 22 line, >= 23.1) tells every worker to listen on the same port
 * (worker-http.ts): each accepts its own connections and answers them, so a request never crosses
 * to this thread. With port 0 the first worker picks the port and the others bind that one. This
 * thread only starts, replaces (after a crash) and stops the workers' servers, adds their metrics
 * up, and runs `onError` with what the workers report.
 *
 * Limits hold for the whole server: `maxInflight` and `maxInflightPerClient` are split over the
 * workers (rounded up), since each worker admits its own connections. `onError` is called in
 * this thread, after the answer, with a summary of the request (method, url, headers,
 * socket.remoteAddress/remotePort) instead of the `IncomingMessage`, which stays in the worker.
 * Each worker keeps its own numbers; a worker that dies takes the numbers it had not yet reported
 * (to a scrape, `collectMetrics()` or `close()`) with it.
 *
 * Older Node (20, and 22 before 22.12) has no `reusePort` (a second listen fails with
 * EADDRINUSE): `serve()` then accepts connections in this thread and dispatches each request to a
 * worker, as before; so does `listenInWorkers: false`.
 */
import type { IncomingMessage } from 'node:http';
import { BindFailedError, fromWire, InvalidArgumentError, type WireError } from '../errors.js';
import { DEFAULT_MAX_INFLIGHT } from '../http/handler.js';
import { Metrics, type FunctionMetrics, type MetricsExport } from '../http/metrics.js';
import type { HttpServer, ServeOptions } from '../http/serve.js';
import type { ControlAction, RequestSummary, WorkerEvent } from './protocol.js';
import type { PortableServeOptions, ServeSpec, ServeStats } from './worker-http.js';

/** Whether `server.listen({ reusePort })` lets several threads share a port on Node `version`. */
export function supportsReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Whether this Node lets workers accept their own connections (see `supportsReusePort`). */
export const REUSE_PORT = supportsReusePort(process.versions.node) && process.platform !== 'win32';

/** What the server needs from its `WorkerRuntime`. */
export interface WorkerControl {
  readonly size: number;
  /** Sends a control message to worker `index` and resolves with its answer's value. */
  control(index: number, action: ControlAction, payload?: unknown): Promise<unknown>;
  /** Called once the server has stopped. */
  released(server: WorkerHttpServer): void;
}

/** One worker's share of the server, as `workerStats()` reports it. */
export interface WorkerServeStats {
  worker: number;
  /** Requests it has in flight. */
  inflight: number;
  /** Its own numbers (calls per function count the requests it ran). */
  functions: Record<string, FunctionMetrics>;
  refused: Record<string, number>;
}

/** An HTTP server whose workers accept and answer connections themselves (see the module doc). */
export class WorkerHttpServer implements HttpServer {
  readonly server = undefined;
  readonly metrics: Metrics;
  readonly workers: number;
  port = 0;
  url = '';
  /** Replacement workers that could not listen again (reported to `onError` too). */
  relistenFailures = 0;
  #owner: WorkerControl;
  #spec: ServeSpec;
  #onError: ServeOptions['onError'];
  #closing: Promise<void> | undefined;

  constructor(owner: WorkerControl, options: ServeOptions) {
    const { onError, metrics, listenInWorkers: _, ...rest } = options;
    if (onError !== undefined && typeof onError !== 'function') throw new InvalidArgumentError('onError must be a function');
    const portable: PortableServeOptions = { ...rest };
    // Admission is per worker: split the server-wide caps (rounded up, so never below 1).
    const n = owner.size;
    portable.maxInflight = Math.ceil((rest.maxInflight ?? DEFAULT_MAX_INFLIGHT) / n);
    if (rest.maxInflightPerClient !== undefined) portable.maxInflightPerClient = Math.ceil(rest.maxInflightPerClient / n);
    try { structuredClone(portable); } catch (err) {
      throw new InvalidArgumentError(`serve options must be plain data to reach the workers (${(err as Error).message.split('\n')[0]})`);
    }
    this.#owner = owner;
    this.#onError = onError;
    this.#spec = { options: portable, port: rest.port ?? 0, forwardErrors: onError !== undefined };
    this.metrics = metrics ?? new Metrics();
    this.workers = n;
  }

  /**
   * Starts every worker's server: the first on the asked port (0: any), the others on the port it
   * got. If one fails, the ones started are stopped again.
   * @throws as `serve()`; a failed listen as BindFailedError naming the worker.
   */
  async start(): Promise<this> {
    const host = this.#spec.options.host ?? '127.0.0.1';
    const started: number[] = [];
    try {
      this.port = await this.#serve(0, this.#spec.port);
      started.push(0);
      this.#spec.port = this.port;
      await Promise.all(Array.from({ length: this.workers - 1 }, async (_, i) => {
        await this.#serve(i + 1, this.port);
        started.push(i + 1);
      }));
    } catch (err) {
      await Promise.all(started.map((i) => this.#owner.control(i, 'serve-close').catch(() => {})));
      this.#owner.released(this);
      throw err;
    }
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    return this;
  }

  async #serve(index: number, port: number): Promise<number> {
    try {
      return await this.#owner.control(index, 'serve', { ...this.#spec, port } satisfies ServeSpec) as number;
    } catch (err) {
      if (err instanceof BindFailedError) throw new BindFailedError(err.host, err.port, err.reason, err.message.replace(/^cannot listen on \S+: /, ''), { cause: err.cause, worker: index });
      throw err;
    }
  }

  /** A worker was replaced after a crash: its replacement listens on the same port. */
  respawned(index: number): void {
    // Before start() has a port, a replacement is told to serve by start() itself (or not at all).
    if (this.#closing || !this.url) return;
    const relisten = this.#serve(index, this.port).then(() => undefined, (err: unknown) => {
      this.relistenFailures++;
      this.#report(err, { method: undefined, url: undefined, headers: {}, socket: { remoteAddress: undefined, remotePort: undefined } });
    });
    this.#relistening.add(relisten);
    void relisten.finally(() => this.#relistening.delete(relisten));
  }

  // Replacements still being told to serve: close() waits for them, or a stop that reached a
  // replacement before its start would leave it listening (and refusing the next serve()).
  readonly #relistening = new Set<Promise<void>>();

  /** An event a worker posted (see `WorkerEvent`). */
  event(index: number, e: WorkerEvent): void {
    if (e.event === 'http-error') this.#report(fromWire(e.error as WireError), e.req);
    else if (e.event === 'collect') {
      // A scrape always gets an answer: the last numbers collected if collecting fails.
      void this.collectMetrics().catch(() => this.metrics).then(
        (m) => this.#owner.control(index, 'metrics-text', { ticket: e.ticket, text: m.prometheus() }),
      ).catch(() => {});
    }
  }

  #report(err: unknown, req: RequestSummary): void {
    if (!this.#onError) return;
    try { this.#onError(err, req as unknown as IncomingMessage); } catch { /* a failing hook must not take the server down */ }
  }

  /** Each worker's in-flight requests and numbers (a worker that does not answer is left out). */
  async workerStats(): Promise<WorkerServeStats[]> {
    const out: WorkerServeStats[] = [];
    await Promise.all(Array.from({ length: this.workers }, async (_, worker) => {
      const s = await this.#owner.control(worker, 'serve-stats').catch(() => undefined) as ServeStats | undefined;
      if (!s) return;
      const m = new Metrics().combine([s.metrics]);
      out.push({ worker, inflight: s.inflight, functions: m.snapshot(), refused: m.refusals() });
    }));
    return out.sort((a, b) => a.worker - b.worker);
  }

  /** Adds every worker's numbers up into `metrics` (a worker that does not answer is left out). */
  async collectMetrics(): Promise<Metrics> {
    if (this.#closing) { await this.#closing; return this.metrics; }
    const parts = await Promise.all(Array.from({ length: this.workers }, (_, i) =>
      (this.#owner.control(i, 'serve-stats') as Promise<ServeStats | undefined>).then((s) => s?.metrics, () => undefined)));
    const got = parts.filter((p): p is MetricsExport => p !== undefined);
    return got.length ? this.metrics.combine(got) : this.metrics;
  }

  /**
   * Every worker stops accepting, lets its in-flight requests finish, then closes its connections;
   * `metrics` then holds the final numbers.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#relistening);
      const parts = await Promise.all(Array.from({ length: this.workers }, (_, i) =>
        (this.#owner.control(i, 'serve-close') as Promise<MetricsExport | undefined>).catch(() => undefined)));
      const got = parts.filter((p): p is MetricsExport => p !== undefined);
      // With every worker gone (the runtime closed first) the last numbers collected stay.
      if (got.length) this.metrics.combine(got);
      this.#owner.released(this);
    })();
    return this.#closing;
  }
}
