import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { readSource, type ComponentSource } from '../component/source.js';
import { ClosedError, fromWire, InvalidArgumentError, OverloadedError, WorkerCrashedError, type NnError } from '../errors.js';
import { wasiHttpImports } from '../http/imports.js';
import { runIncomingHandler, type PlainResponse } from '../http/incoming.js';
import type { PlainRequest } from '../http/types.js';
import type { CallStats, Invocation, InvokeOptions } from '../invoke/function.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime.js';
import { Metrics } from '../http/metrics.js';
import { ArgArena, isOwnedTypedArray } from './arg-arena.js';
import { workerFunctionOptions, workerRuntimeConfig, type WorkerRuntimeConfig, type WorkerRuntimeOptions } from '../options.js';
export type { WorkerRuntimeOptions } from '../options.js';
import { pushInvoke, pushToWorker, readFromWorker, splitPoint, type ControlAction, type FromWorker, type ToWorker, type WorkerEvent, type WorkerFunctionOptions, type WorkerInit } from './protocol.js';
import { kServeInWorkers, serve, type HttpServer, type ServeOptions } from '../http/serve.js';
import { REUSE_PORT, WorkerHttpServer } from './worker-serve.js';

export type { WorkerFunctionOptions } from './protocol.js';

export { DEFAULT_MAX_PENDING_PER_WORKER, DEFAULT_WORKER_RESOURCE_LIMITS } from '../options.js';
/** A call leaves its function's home worker only when the home has this many more calls in flight. */
const AFFINITY_SLACK = 2;
/** Calls per post below which a tick's calls are not split in two (see `#flush`). */
const MIN_GROUP = 16;
/** `runHereWhenBusy`: a worker is busy when it has this many calls in flight. */
const BUSY_BACKLOG = 8;
/**
 * `runHereWhenBusy`: calls this thread may run itself per call a worker answers. This thread also
 * dispatches and receives every worker's calls, so it takes a smaller share than a worker: a third
 * of the calls at most (one here per two answered), which on two cores keeps all three threads
 * about equally loaded.
 */
const HERE_PER_ANSWER = 0.5;
/** Most calls the budget above can save up. */
const MAX_HERE_BUDGET = 4;
/**
 * Calls waiting to run here. They run one per turn of the event loop (in its check phase, after
 * the workers' answers have been read and the calls they free have been dispatched), so this thread
 * is never away from dispatching for more than one call.
 */
const MAX_HERE_QUEUE = 2;


/**
 * A message waiting for its answer. A `call()` (`value: true`) resolves with the bare value and is
 * recorded in the metrics when its answer arrives: one promise per call on this thread, which
 * dispatches every call of every worker and so bounds how far two workers can scale.
 */
type Pending =
  | { value?: false; resolve(m: FromWorker & { ok: true }): void; reject(e: Error): void; region: number }
  | { value: true; resolve(v: unknown): void; reject(e: Error): void; name: string; startedAt: number; region: number };

class WorkerSlot {
  worker!: Worker;
  /** Where typed-array arguments of this worker's calls travel (a new one per worker started). */
  arena!: ArgArena;
  pending = new Map<number, Pending>();
  /** Messages of the next batch, flattened (see protocol.ts). */
  outbox: unknown[] = [];
  /** Messages in `outbox`. */
  outboxMessages = 0;
  flushQueued = false;
  constructor(readonly index: number) {}
}

/**
 * Runs functions on a pool of worker threads, each with its own runtime that loads every function
 * (the on-disk cache makes that cheap). A call goes to its function's home worker (so its warm
 * instances stay hot) unless that worker is busier than another. A worker that dies is replaced and
 * its functions reloaded; only the calls it was running fail, with WORKER_CRASHED.
 */
export class WorkerRuntime {
  readonly size: number;
  #slots: WorkerSlot[] = [];
  #local: Runtime | undefined;
  /** `runHereWhenBusy`: this thread's own runtime, beside the workers. */
  #here: Runtime | undefined;
  /** Calls this thread may still run itself (see `HERE_PER_ANSWER`). */
  #hereBudget = 0;
  /** Calls waiting for their turn here (see `MAX_HERE_QUEUE`). */
  #hereQueue: Array<() => void> = [];
  #functions = new Map<string, WorkerFunction>();
  #loads = new Map<string, { source: string | Uint8Array; options: WorkerFunctionOptions }>();
  #nextId = 1;
  #nextHome = 0;
  #closed = false;
  #maxPending: number;
  #config: WorkerRuntimeConfig;
  /** The server whose workers accept connections themselves, while it runs (one at a time). */
  #serving: WorkerHttpServer | undefined;
  /** Workers replaced after dying. */
  crashes = 0;
  /** Calls this thread ran itself (`runHereWhenBusy`). */
  ranHere = 0;
  /** Per-function calls, latencies (as seen by the caller, queueing included), cold starts, errors. */
  readonly metrics = new Metrics();

  /** Throws `InvalidArgumentError` naming the option for an unknown or bad option. */
  constructor(readonly options: WorkerRuntimeOptions = {}) {
    this.#config = workerRuntimeConfig(options, availableParallelism());
    const n = this.#config.workers;
    this.size = n;
    this.#maxPending = this.#config.maxPendingPerWorker;
    if (n === 0) this.#local = createRuntime(this.#config.runtime);
    else if (this.#config.runHereWhenBusy) this.#here = createRuntime(this.#config.runtime);
    for (let i = 0; i < n; i++) { const s = new WorkerSlot(i); this.#spawn(s); this.#slots.push(s); }
  }

  #spawn(slot: WorkerSlot): void {
    const arena = new ArgArena();
    const init: WorkerInit = { runtime: this.#config.runtime, argArena: arena.buffer };
    const worker = new Worker(fileURLToPath(new URL('./worker-main.js', import.meta.url)), {
      workerData: init, resourceLimits: this.#config.resourceLimits,
    });
    slot.worker = worker;
    slot.arena = arena;
    let reason = 'exited';
    worker.on('message', (batch: unknown[] | WorkerEvent) => {
      if (!Array.isArray(batch)) {
        if (batch.event === 'crash') reason = batch.message;
        else this.#serving?.event(slot.index, batch);
        return;
      }
      readFromWorker(batch, (m) => {
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        if (p.region >= 0) arena.free(p.region);
        if (!m.ok) this.#fail(p, fromWire(m.error));
        else if (!p.value) p.resolve(m);
        else {
          this.metrics.record(p.name, performance.now() - p.startedAt, m.coldStart === true);
          if (this.#hereBudget < MAX_HERE_BUDGET) this.#hereBudget += HERE_PER_ANSWER;
          p.resolve(m.value);
        }
      });
    });
    worker.on('error', (err) => { reason = err.message; });
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      const failed = slot.pending;
      slot.pending = new Map();
      slot.outbox = [];
      slot.outboxMessages = 0;
      for (const p of failed.values()) this.#fail(p, new WorkerCrashedError(slot.index, `${reason} (exit code ${code})`));
      if (this.#closed) return;
      this.crashes++;
      this.#spawn(slot);
      // Reload every function; calls sent after these loads queue behind them in the worker.
      for (const [name, l] of this.#loads) this.#send(slot, { op: 'load', id: 0, name, source: l.source, options: l.options }).catch(() => {});
      this.#serving?.respawned(slot.index);
    });
  }

  #fail(p: Pending, error: Error): void {
    if (p.value) this.metrics.record(p.name, performance.now() - p.startedAt, false, errorCode(error));
    p.reject(error);
  }

  /** `region`: the arena region holding the message's arguments, freed when its answer arrives. */
  #send(slot: WorkerSlot, m: ToWorker, region = -1): Promise<FromWorker & { ok: true }> {
    const id = this.#nextId++;
    m.id = id;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject, region });
      pushToWorker(slot.outbox, m);
      this.#queued(slot);
    });
  }

  #queued(slot: WorkerSlot): void {
    slot.outboxMessages++;
    if (!slot.flushQueued) {
      slot.flushQueued = true;
      // One postMessage per tick for everything dispatched in it: fewer cross-thread wake-ups.
      queueMicrotask(() => this.#flush(slot));
    }
  }

  /**
   * Posts the tick's messages. When they are most of the worker's calls in flight, they go as two
   * posts: the worker answers each post as soon as its calls are done, so its callers' next calls
   * reach it while it still runs the other half, and it never waits idle for this thread (each
   * group keeps its own rhythm from then on). Groups stay large enough that waking this thread,
   * which costs ~20–30 µs of CPU here (bench/diagnostics/wake-cost.mjs), is shared by many calls.
   */
  #flush(slot: WorkerSlot): void {
    slot.flushQueued = false;
    const batch = slot.outbox;
    slot.outbox = [];
    if (!batch.length) return;
    const messages = slot.outboxMessages;
    slot.outboxMessages = 0;
    const half = Math.ceil(slot.pending.size / 2);
    if (messages < 2 * MIN_GROUP || messages <= half) { slot.worker.postMessage(batch); return; }
    const cut = splitPoint(batch, half);
    slot.worker.postMessage(batch.slice(0, cut));
    slot.worker.postMessage(batch.slice(cut));
  }

  /** Picks the worker for a call of a function whose home is `home`. */
  pick(home: number): WorkerSlot {
    const h = this.#slots[home]!;
    let best = h;
    for (const s of this.#slots) if (s.pending.size < best.pending.size) best = s;
    const slot = best.pending.size + AFFINITY_SLACK < h.pending.size ? best : h;
    if (slot.pending.size >= this.#maxPending) throw new OverloadedError(`worker ${slot.index} has ${slot.pending.size} calls in flight`);
    return slot;
  }

  /**
   * Sends a message to a worker and resolves with its answer (used by `WorkerFunction`). An
   * invoke's typed-array arguments are copied now (see `placeArguments`), in `m.args` itself.
   */
  dispatch(home: number, m: ToWorker): Promise<FromWorker & { ok: true }> {
    let slot: WorkerSlot;
    try { slot = this.#open(home); } catch (err) { return Promise.reject(err); }
    if (m.op !== 'invoke') return this.#send(slot, m);
    m.placement = placeArguments(slot.arena, m.args);
    return this.#send(slot, m, m.placement?.[0]);
  }

  /** The worker for a new call: CLOSED after `close()`, OVERLOADED when every worker is full. */
  #open(home: number): WorkerSlot {
    if (this.#closed) throw new ClosedError();
    return this.pick(home);
  }

  /**
   * Calls `exportName` of function `name` and resolves to its value, recorded in the metrics (used
   * by `WorkerFunction.call`). Typed-array arguments are copied now (see `placeArguments`).
   */
  dispatchCall(home: number, name: string, exportName: string, args: unknown[], here?: LocalFunction): Promise<unknown> {
    const startedAt = performance.now();
    if (here && this.#hereBudget >= 1 && this.#hereQueue.length < MAX_HERE_QUEUE && !this.#closed && this.#everyWorkerBusy()) {
      this.#hereBudget--;
      // Runs at the end of this turn: the caller may reuse its buffers once call() returns.
      for (let i = 0; i < args.length; i++) if (isOwnedTypedArray(args[i])) args[i] = copyTypedArray.call(args[i] as ArrayBufferView);
      return new Promise((resolve, reject) => {
        this.#hereQueue.push(() => {
          this.ranHere++;
          here.invoke(exportName, args).then((r) => {
            this.metrics.record(name, performance.now() - startedAt, r.stats.coldStart);
            resolve(r.value);
          }, (err: unknown) => {
            this.metrics.record(name, performance.now() - startedAt, false, errorCode(err));
            reject(err);
          });
        });
        if (this.#hereQueue.length === 1) setImmediate(this.#runHere);
      });
    }
    let slot: WorkerSlot;
    try {
      slot = this.#open(home);
    } catch (err) {
      this.metrics.record(name, performance.now() - startedAt, false, errorCode(err));
      return Promise.reject(err);
    }
    const placement = placeArguments(slot.arena, args);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { value: true, resolve, reject, name, startedAt, region: placement?.[0] ?? -1 });
      pushInvoke(slot.outbox, id, name, exportName, args, undefined, true, placement);
      this.#queued(slot);
    });
  }

  /** Runs one queued call here, then yields to the event loop before the next. */
  #runHere = (): void => {
    const next = this.#hereQueue.shift();
    if (this.#hereQueue.length) setImmediate(this.#runHere);
    next?.();
  };

  #everyWorkerBusy(): boolean {
    for (const s of this.#slots) if (s.pending.size < BUSY_BACKLOG) return false;
    return true;
  }

  /** Loads a component in every worker under `name`. Host functions (`imports`) cannot cross threads. */
  async load(name: string, source: ComponentSource, options: WorkerFunctionOptions = {}): Promise<WorkerFunction> {
    if (this.#closed) throw new ClosedError();
    if (typeof name !== 'string' || !name) throw new InvalidArgumentError('function name must be a non-empty string');
    options = workerFunctionOptions(options);
    if (!options.replace && this.#functions.has(name)) {
      throw new InvalidArgumentError(`a function named \`${name}\` is already loaded (pass \`replace: true\` to replace it)`);
    }
    if (this.#local) {
      const { http, ...rest } = options;
      const fn = await this.#local.load(name, source, { ...rest, ...(http ? { imports: wasiHttpImports(http) } : {}) });
      const wf = new WorkerFunction(name, this, -1, fn.wit, fn);
      this.#functions.set(name, wf);
      return wf;
    }
    // Workers read files themselves (and hit the cache); bytes are copied to each.
    const portable: string | Uint8Array = typeof source === 'string' ? source : source instanceof URL ? fileURLToPath(source) : (await readSource(source)).bytes;
    const [here, ...answers] = await Promise.all([
      this.#here ? this.#loadHere(name, portable, options) : undefined,
      ...this.#slots.map((s) => this.#send(s, { op: 'load', id: 0, name, source: portable, options })),
    ]) as [LocalFunction | undefined, ...(FromWorker & { ok: true })[]];
    this.#loads.set(name, { source: portable, options });
    const wf = new WorkerFunction(name, this, this.#nextHome++ % this.size, answers[0]!.wit ?? '', undefined, answers[0]!.exports, here);
    this.#functions.set(name, wf);
    return wf;
  }

  #loadHere(name: string, source: string | Uint8Array, options: WorkerFunctionOptions): Promise<LocalFunction> {
    const { http, ...rest } = options;
    return this.#here!.load(name, source, { ...rest, replace: true, ...(http ? { imports: wasiHttpImports(http) } : {}) });
  }

  /** A loaded function by name. */
  get(name: string): WorkerFunction | undefined {
    return this.#functions.get(name);
  }

  /** Calls in flight per worker. */
  inflight(): number[] { return this.#slots.map((s) => s.pending.size); }

  /**
   * Kills worker `index` as a crash would (for operators' drills and tests); it is replaced.
   * `terminate` (default) stops it at once, as running out of heap does: its calls fail with
   * WORKER_CRASHED and its HTTP connections are reset. `throw` raises an uncaught exception in it at
   * its next turn, as a bug in host code would: it answers its in-flight HTTP requests with
   * `500 WORKER_CRASHED` before it exits. Resolves with the exit code.
   */
  killWorker(index: number, how: 'terminate' | 'throw' = 'terminate'): Promise<number> {
    const slot = this.#slots[index];
    if (!slot) throw new InvalidArgumentError(`no worker ${index}`);
    if (how !== 'terminate' && how !== 'throw') throw new InvalidArgumentError('killWorker: how must be "terminate" or "throw"');
    if (how === 'terminate') return slot.worker.terminate();
    const worker = slot.worker;
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    this.#send(slot, { op: 'control', id: 0, action: 'crash' }).catch(() => {});
    return exited;
  }

  /**
   * Serves `options.routes` over HTTP (see `serve()`): on Node >= 22.12 every worker accepts and
   * answers its own connections on one shared port; on older Node, or with `listenInWorkers:
   * false`, this thread accepts them and sends each request to a worker.
   */
  serve(options: ServeOptions): Promise<HttpServer> {
    return serve(this, options);
  }

  /** `serve()`'s hook: the server on the workers, or `undefined` to serve from this thread. */
  [kServeInWorkers](options: ServeOptions): Promise<HttpServer> | undefined {
    if (this.size === 0 || options.listenInWorkers === false || !REUSE_PORT) return undefined;
    if (this.#closed) return Promise.reject(new ClosedError());
    if (this.#serving) return Promise.reject(new InvalidArgumentError('this runtime\'s workers already serve HTTP: close that server first (or pass listenInWorkers: false)'));
    let server: WorkerHttpServer;
    try {
      server = new WorkerHttpServer({
        size: this.size,
        control: (index, action, payload) => this.#control(index, action, payload),
        released: (s) => { if (this.#serving === s) this.#serving = undefined; },
      }, options);
    } catch (err) { return Promise.reject(err); }
    this.#serving = server;
    return server.start();
  }

  #control(index: number, action: ControlAction, payload?: unknown): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ClosedError());
    return this.#send(this.#slots[index]!, { op: 'control', id: 0, action, payload }).then((r) => r.value);
  }

  /** Stops every worker; in-flight calls fail with WORKER_CRASHED, later calls with CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#local?.close();
    this.#here?.close();
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

/** What a `WorkerFunction` wraps when the runtime has no workers. */
interface LocalFunction { invoke(e: string, a: unknown[], o?: InvokeOptions): Promise<Invocation<unknown>>; exportNames(): string[] }

/** A function loaded in a `WorkerRuntime`: same `call`/`invoke` shape as `SfiFunction`. */
export class WorkerFunction {
  #owner: WorkerRuntime;
  #home: number;
  #local: LocalFunction | undefined;
  #exports: string[] | undefined;
  /** This thread's copy, for calls it runs itself (`runHereWhenBusy`). */
  #here: LocalFunction | undefined;

  constructor(readonly name: string, owner: WorkerRuntime, home: number, readonly wit: string, local?: LocalFunction, exports?: string[], here?: LocalFunction) {
    this.#owner = owner;
    this.#home = home;
    this.#local = local;
    this.#exports = exports;
    this.#here = here;
  }

  /** Names accepted by `call()`. */
  exportNames(): string[] { return this.#local ? this.#local.exportNames() : [...(this.#exports ?? [])]; }

  /** Calls an export and resolves to its value. */
  call<T = unknown>(exportName: string, ...args: unknown[]): Promise<T> {
    if (this.#local) return this.invoke<T>(exportName, args).then((r) => r.value);
    // Only the value crosses back (plus the cold-start flag for metrics): half the cloning of invoke().
    return this.#owner.dispatchCall(this.#home, this.name, exportName, args, this.#here) as Promise<T>;
  }

  /**
   * Calls an export; resolves to its value, captured output and stats. Typed-array arguments are
   * copied when it is made (see `placeArguments`), others structured-cloned.
   */
  invoke<T = unknown>(exportName: string, args: unknown[] = [], options: InvokeOptions = {}): Promise<Invocation<T>> {
    return this.#recorded(async (): Promise<Invocation<T>> => {
      if (this.#local) return this.#local.invoke(exportName, args, options) as Promise<Invocation<T>>;
      const r = await this.#owner.dispatch(this.#home, { op: 'invoke', id: 0, name: this.name, exportName, args: [...args], ...deadlineIn(options.deadlineAt) });
      const inv: Invocation<T> = { value: r.value as T, stdout: r.stdout ?? new Uint8Array(), stderr: r.stderr ?? new Uint8Array(), truncated: r.truncated ?? false, stats: r.stats as CallStats };
      if (r.nnError) inv.nnError = fromWire(r.nnError) as NnError;
      return inv;
    }, (result) => result.stats.coldStart);
  }

  /** Runs one call and records its latency, cold start or error code in the runtime's metrics. */
  async #recorded<R>(run: () => Promise<R>, coldStart: (result: R) => boolean): Promise<R> {
    const t0 = performance.now();
    try {
      const result = await run();
      this.#owner.metrics.record(this.name, performance.now() - t0, coldStart(result));
      return result;
    } catch (err) {
      this.#owner.metrics.record(this.name, performance.now() - t0, false, errorCode(err));
      throw err;
    }
  }

  /** Serves one wasi:http request in a worker (used by the HTTP server). */
  async handleHttp(request: PlainRequest, deadlineAt?: number): Promise<{ response: PlainResponse; coldStart: boolean }> {
    if (this.#local) {
      const { response, invocation } = await runIncomingHandler(this.#local, request, deadlineAt);
      return { response, coldStart: invocation.stats.coldStart };
    }
    const r = await this.#owner.dispatch(this.#home, { op: 'http', id: 0, name: this.name, request: { ...request, body: compactView(request.body) as Uint8Array }, ...deadlineIn(deadlineAt) });
    return { response: r.response!, coldStart: r.stats?.coldStart ?? false };
  }
}

/** The code a failed call is counted under in the metrics. */
function errorCode(err: unknown): string {
  return (err as { code?: string }).code ?? 'INTERNAL';
}

/** A deadline as time left (clocks differ between threads; `performance.now()` origins too). */
function deadlineIn(deadlineAt: number | undefined): { deadlineIn?: number } {
  return deadlineAt === undefined ? {} : { deadlineIn: deadlineAt - performance.now() };
}

/** `%TypedArray%.prototype.slice`: a copy for every kind (`Buffer#slice` is a view, not a copy). */
const copyTypedArray = (Object.getPrototypeOf(Uint8Array.prototype) as { slice(this: ArrayBufferView): ArrayBufferView }).slice;

/**
 * Structured clone copies a typed array's whole underlying buffer: a socket Buffer is a view into
 * a 64 KiB read buffer, a pooled Buffer into 8 KiB. Copy such views down to their own bytes.
 */
function compactView(value: unknown): unknown {
  return value instanceof Uint8Array && value.byteLength !== value.buffer.byteLength ? copyTypedArray.call(value) : value;
}

/**
 * A call's typed-array arguments are copied when it is made: calls are posted to the worker at the
 * end of the tick, and a caller may reuse its buffer right after `call()` returns. They go into the
 * worker's arena when they fit (returns their placement, see arg-arena.ts), else each is copied
 * down to its own bytes for structured clone. `args` is the call's own array, changed in place.
 */
function placeArguments(arena: ArgArena, args: unknown[]): number[] | undefined {
  const placement = arena.place(args);
  if (!placement) for (let i = 0; i < args.length; i++) if (isOwnedTypedArray(args[i])) args[i] = copyTypedArray.call(args[i] as ArrayBufferView);
  return placement;
}

/** Creates a runtime whose functions run on worker threads (see `WorkerRuntime`). */
export function createWorkerRuntime(options?: WorkerRuntimeOptions): WorkerRuntime {
  return new WorkerRuntime(options);
}
