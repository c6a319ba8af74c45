import { readFile } from 'node:fs/promises';
import { BORROWED_LISTS } from '../component/fast/codec.js';
import { InvalidArgumentError, TrapError, type TrapKind } from '../errors.js';
import type { CallFuel } from '../limits/call-deadline.js';
import { InstanceScope, type InstanceImports } from '../host/scope.js';
import { BufferPool } from './buffer-pool.js';
import type { NnBackend, NnEngine, NnSession } from './engine.js';
import { EngineSlot } from './engine-slot.js';
import { NnError, type NnErrorCode } from './errors.js';
import { admitGuestModel } from './model-admission.js';
import { ModelRegistry, printable, type ModelEntry } from './model-registry.js';
import { createOrtNativeEngine, DEFAULT_NATIVE_MEMORY_MAX_BYTES, type OrtNativeBinding } from './ort-native-engine.js';
import { createOrtWasmEngine, DEFAULT_ENGINE_MEMORY_MAX_BYTES } from './ort-wasm-engine.js';
import { KIND, resolveQuota, type NnQuota } from './quota.js';
import { MAX_RANK, type NnTensor, type NnTensorType } from './tensor.js';

/** The `wasi:nn` version this host implements. */
export const WASI_NN_VERSION = '0.2.0-rc-2024-10-28';
/** Default cap on model bytes a guest may pass to `graph.load`: 64 MiB. */
export const DEFAULT_MAX_MODEL_BYTES = 64 * 1024 * 1024;
/** Default cap on graphs loaded from guest bytes per instance (`quota.guestModels`). */
export const DEFAULT_MAX_GUEST_MODELS = 4;
/**
 * Default fuel per millisecond of engine work: about what a millisecond of metered wasm burns on
 * a current core (1–3 G simple instructions per second), on the low side.
 */
export const DEFAULT_FUEL_PER_MS = 1_000_000;

export type { NnQuota } from './quota.js';

/** Options for {@link createWasiNn}. */
export interface WasiNnOptions {
  /** `'wasm'` (default): onnxruntime-web in a private, memory-capped wasm instance. `'native'`: onnxruntime-node. */
  backend?: NnBackend;
  /** Models guests may open with `load-by-name`: ONNX bytes, or a file path read at creation. */
  models?: Record<string, Uint8Array | string>;
  /** Cap on the bytes a guest may pass to `graph.load` (larger → `too-large`). Default 64 MiB. */
  maxModelBytes?: number;
  /**
   * Cap on the engine's memory: the wasm engine's linear memory (default 256 MiB); what
   * onnxruntime-node may allocate in its process (default 192 MiB; the process's own Node takes
   * ~100 MiB more).
   */
  engineMemoryMaxBytes?: number;
  /** Same as `quota.guestModels` (kept for compatibility). */
  maxGuestModels?: number;
  /**
   * Most bytes of models loaded from guest bytes that the engine holds at once, all functions
   * together (past it, `load` answers `too-large`); the rest of the engine's memory stays for
   * host-registered models and inference. Default: a quarter of `engineMemoryMaxBytes`.
   */
  guestModelBytes?: number;
  /** Per-instance caps (see {@link NnQuota}); a function's own quota overrides these. */
  quota?: Partial<NnQuota>;
  /** Threads per inference for the native engine (the wasm engine always uses 1). Default 1. */
  threads?: number;
  /**
   * The calling guest's deadline (`performance.now()` ms), if any. `compute` refuses to start past
   * it, and a running inference (or the parsing of a guest's model) is stopped at it: `timeout`.
   */
  deadline?: () => number | undefined;
  /**
   * The calling guest's fuel meter, if any. Engine work (inference, parsing a guest's model) is
   * charged to it at `fuelPerMs` per millisecond, and stopped (`timeout` for the guest,
   * `FUEL_EXHAUSTED` for the call) when the call's fuel would not pay for more.
   */
  fuel?: () => CallFuel | undefined;
  /**
   * Fuel per millisecond of engine work. Engine time is wall-clock time, so charging it makes
   * `fuelUsed` depend on the machine; by default it is charged only in calls without a deadline
   * (where fuel is the only thing that can bound inference), at {@link DEFAULT_FUEL_PER_MS}. A
   * number charges every call at that rate (0: never).
   */
  fuelPerMs?: number;
  /**
   * Directory for the rewritten engine module (wasm backend; it depends only on the installed
   * onnxruntime-web, so one per machine is enough). Default: the runtime's `cacheDir`, else
   * `$SFIRT_CACHE_DIR`, else `~/.cache/sfirt`; `false` keeps it in memory.
   */
  cacheDir?: string | false;
  /** Replaces the check that onnxruntime-node is installed (tests use it to simulate its absence). */
  loadNativeBinding?: () => Promise<OrtNativeBinding | unknown>;
}

/** Options of {@link WasiNn.functionImports}: one function's view of the host. */
export interface NnFunctionOptions {
  /** Caps per instance of this function (over the host's `quota`). */
  quota?: Partial<NnQuota>;
  /**
   * How many more bytes the current call may lift from the host (the hook for the runtime's
   * per-call result budget); `compute` refuses outputs beyond it with `too-large`.
   */
  callBytesLeft?: () => number | undefined;
}

/** A `wasi:nn` host: import factories for jco or the fast glue, plus host-side state. */
export interface WasiNn {
  /**
   * The import object of one instance whose state lives in `scope`:
   * `wasi:nn/{tensor,graph,inference,errors}@0.2.0-rc-2024-10-28` (also under the unversioned
   * names). Build it per instance (`functionImports(options)(scope)`), so each instance counts
   * and releases its own graphs, contexts, tensors and errors.
   */
  functionImports(options?: NnFunctionOptions): InstanceImports;
  /** Imports for one instance on a scope of their own (tests, single-instance embedders). */
  readonly imports: Record<string, Record<string, unknown>>;
  /** The engine currently in use. */
  readonly engine: NnEngine;
  /** The per-instance caps in force for functions that set none. */
  readonly quota: Readonly<NnQuota>;
  /**
   * The last failure returned to a guest as a `wasi:nn` `error`, so the runtime can raise a typed
   * host error after the call. `takeLastError()` reads and clears it.
   */
  readonly lastError: NnError | undefined;
  takeLastError(): NnError | undefined;
  /** Puts back what `takeLastError()` took (a call suspended on an async import resumes). */
  restoreLastError(err: NnError | undefined): void;
  /** Releases every model and the engine. Later guest calls fail with `runtime-error`. */
  dispose(): void;
}

/** WIT `tensor-type` cases, in WIT order, and the ONNX element type each one means. */
const WIT_TO_TYPE: Record<string, NnTensorType> = {
  FP16: 'float16', FP32: 'float32', FP64: 'float64', BF16: 'bfloat16', U8: 'uint8', I32: 'int32', I64: 'int64',
};
const TYPE_TO_WIT = Object.fromEntries(Object.entries(WIT_TO_TYPE).map(([k, v]) => [v, k])) as Record<NnTensorType, string>;

/**
 * Creates a `wasi:nn` host over one inference engine. Named models are read now (paths) and
 * parsed on first `load-by-name`, once per engine, then shared by every instance of every function
 * that uses this host. Models from guest bytes are admitted (`model-admission.ts`) and parsed on
 * the wasm engine only: the native engine runs host-registered models. Every guest-facing call is
 * synchronous. Rejects with `BackendUnavailableError` when the backend cannot start,
 * `InvalidArgumentError` for an unreadable model path or bad option.
 */
export async function createWasiNn(options: WasiNnOptions = {}): Promise<WasiNn> {
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'native') throw new InvalidArgumentError(`unknown wasi:nn backend \`${String(backend)}\``);
  const maxModelBytes = options.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES;
  if (!(maxModelBytes >= 0)) throw new InvalidArgumentError(`maxModelBytes must be a non-negative number, got ${maxModelBytes}`);
  const quota = resolveQuota(options.maxGuestModels === undefined ? undefined : { guestModels: options.maxGuestModels }, options.quota);
  const modelBytes = new Map<string, Uint8Array>();
  for (const [name, source] of Object.entries(options.models ?? {})) {
    if (source instanceof Uint8Array) modelBytes.set(name, source);
    else if (typeof source === 'string') {
      try {
        modelBytes.set(name, new Uint8Array(await readFile(source)));
      } catch (err) {
        throw new InvalidArgumentError(`cannot read model \`${name}\` from ${source}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else throw new InvalidArgumentError(`model \`${name}\` must be bytes (Uint8Array) or a file path`);
  }
  const memoryMaxBytes = options.engineMemoryMaxBytes ?? (backend === 'wasm' ? DEFAULT_ENGINE_MEMORY_MAX_BYTES : DEFAULT_NATIVE_MEMORY_MAX_BYTES);
  const startEngine = (): Promise<NnEngine> => backend === 'wasm'
    ? createOrtWasmEngine({ memoryMaxBytes, ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }) })
    : createOrtNativeEngine({ threads: options.threads ?? 1, memoryMaxBytes, ...(options.loadNativeBinding ? { loadBinding: options.loadNativeBinding } : {}) });
  const fuelPerMs = options.fuelPerMs;
  if (fuelPerMs !== undefined && (!(fuelPerMs >= 0) || !Number.isFinite(fuelPerMs))) throw new InvalidArgumentError(`fuelPerMs must be a non-negative number, got ${fuelPerMs}`);
  const guestModelBytes = options.guestModelBytes ?? Math.floor(memoryMaxBytes / 4);
  if (!(guestModelBytes >= 0)) throw new InvalidArgumentError(`guestModelBytes must be a non-negative number, got ${guestModelBytes}`);
  const slot = new EngineSlot(await startEngine(), startEngine);
  return new WasiNnHost(slot, modelBytes, maxModelBytes, quota, options.deadline ?? (() => undefined), options.fuel ?? (() => undefined), fuelPerMs, guestModelBytes);
}

class WasiNnHost implements WasiNn {
  lastError: NnError | undefined;
  readonly registry: ModelRegistry;
  #disposed = false;
  #imports: Record<string, Record<string, unknown>> | undefined;
  #functions = 0;

  constructor(
    readonly slot: EngineSlot,
    modelBytes: ReadonlyMap<string, Uint8Array>,
    readonly maxModelBytes: number,
    readonly quota: Readonly<NnQuota>,
    readonly deadline: () => number | undefined,
    readonly fuel: () => CallFuel | undefined,
    readonly fuelPerMs: number | undefined,
    guestModelBytes: number,
  ) {
    this.registry = new ModelRegistry(slot, modelBytes, guestModelBytes);
  }

  /** One inference for the current guest call, as {@link engineWork} (the per-inference path: no closure). */
  runSession(session: NnSession, feeds: Record<string, NnTensor>, maxOutputBytes: number): Record<string, NnTensor> {
    const deadline = this.deadline();
    if (this.fuelPerMs === 0 || (this.fuelPerMs === undefined && deadline !== undefined)) {
      if (deadline !== undefined && performance.now() >= deadline) throw new NnError('timeout', 'the caller\'s deadline passed before the engine started');
      return session.run(feeds, { rawOutputs: true, deadline, maxOutputBytes });
    }
    return this.engineWork((d) => session.run(feeds, { rawOutputs: true, deadline: d, maxOutputBytes }));
  }

  /**
   * Runs engine work for the current guest call: stopped at the call's deadline, or earlier when
   * the call's fuel would not pay for more, and charged to its fuel afterwards (see `fuelPerMs`).
   */
  engineWork<T>(fn: (deadline: number | undefined) => T): T {
    let deadline = this.deadline();
    const start = performance.now();
    if (deadline !== undefined && start >= deadline) throw new NnError('timeout', 'the caller\'s deadline passed before the engine started');
    const meter = this.fuel();
    const rate = this.fuelPerMs ?? (deadline === undefined ? DEFAULT_FUEL_PER_MS : 0);
    if (meter === undefined || rate === 0) return fn(deadline);
    const left = meter.fuelLeft;
    let fuelBound = false;
    if (left !== Infinity) {
      const byFuel = start + left / rate;
      if (deadline === undefined || byFuel < deadline) {
        deadline = byFuel;
        fuelBound = true;
      }
    }
    let spent = false;
    try {
      return fn(deadline);
    } catch (err) {
      // Stopped at the deadline the fuel set: the fuel is spent, whatever our clock says. The
      // native engine's stop is timed on another thread and may land a few µs before our reading
      // of it, which charged a hair less than was left and made the call DEADLINE_EXCEEDED.
      spent = fuelBound && err instanceof NnError && err.nnCode === 'timeout';
      throw err;
    } finally {
      const used = Math.ceil((performance.now() - start) * rate);
      meter.charge(spent && used <= left ? left + 1 : used);
    }
  }

  get engine(): NnEngine {
    return this.slot.engine;
  }

  get imports(): Record<string, Record<string, unknown>> {
    this.#imports ??= this.functionImports()(new InstanceScope()) as Record<string, Record<string, unknown>>;
    return this.#imports;
  }

  functionImports(options: NnFunctionOptions = {}): InstanceImports {
    return functionImports(this, `f${this.#functions++}`, resolveQuota(this.quota, options.quota), options.callBytesLeft ?? (() => undefined));
  }

  takeLastError(): NnError | undefined {
    const err = this.lastError;
    this.lastError = undefined;
    return err;
  }

  restoreLastError(err: NnError | undefined): void {
    this.lastError = err;
  }

  /** Throws when disposed. */
  check(): void {
    if (this.#disposed) throw new NnError('runtime-error', 'wasi:nn host is disposed');
  }

  /** The value to throw for `cause` so the glue hands the guest an `error` resource; records it as `lastError`. */
  guestError(errorFor: (e: NnError) => object, cause: unknown): NnError {
    if (cause instanceof TrapError) {
      // A trap is the call's failure; an earlier wasi:nn error the guest saw is not its cause.
      this.lastError = undefined;
      throw cause;
    }
    const err = cause instanceof NnError ? cause : new NnError('unknown', 'wasi:nn host failed', { cause });
    let payload: object;
    try {
      payload = errorFor(err);
    } catch (trapped) {
      // The guest holds too many errors already: the trap is the call's failure.
      this.lastError = undefined;
      throw trapped;
    }
    this.lastError = err;
    return Object.assign(err, { payload });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.registry.dispose();
    this.slot.dispose();
  }
}

/** A canonical-ABI violation by the guest: the call traps (the instance is discarded). */
function trap(kind: TrapKind, message: string): TrapError {
  return new TrapError(kind, `wasm trap: ${message}`);
}

/**
 * Names arrive decoded by the glue, which turns invalid UTF-8 into U+FFFD; the host cannot tell
 * that apart from a real U+FFFD, so a name containing it is refused as invalid UTF-8 (no model or
 * input name needs the replacement character).
 */
function checkName(name: string, what: string): void {
  if (name.includes('\uFFFD')) throw trap('invalid-utf8', `${what} is not valid UTF-8`);
}

/** Marks a Tensor built from engine output: its bytes are its own, not a pooled copy. */
const OWNED: unique symbol = Symbol('owned');
const EMPTY = new Uint8Array(0);
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** One instance's wasi:nn state: its scope (counts, release), its tensors and the bytes they hold. */
class NnInstance {
  tensorBytes = 0;
  /**
   * Live tensors. They are registered in the scope as one resource (kind `wasi-nn:tensor`), from
   * the instance's creation on, not one each: a guest makes two per inference, and tracking each
   * (or the set again after every reset) costs ~0.2–0.4 µs per call. So a discard releases them all
   * through the scope, and a reset through the state saved at `mark()` (`#saveTensors`): every
   * tensor made since is released.
   */
  readonly tensors = new Set<{ release(): void }>();
  /** The instance's tensor class (outputs must be instances of it for the glue to lower them). */
  Tensor!: new (dims: ArrayLike<number>, ty: string, data: Uint8Array, own?: typeof OWNED) => object;

  constructor(readonly scope: InstanceScope, readonly quota: NnQuota, readonly callBytesLeft: () => number | undefined) {
    scope.track(this.tensors, KIND.tensor, () => this.#releaseTensors());
    scope.state(() => this.#saveTensors());
  }

  /**
   * At `mark()`: what a reset does to the tensors. The usual case, none live (tensors are made by
   * calls): a reset releases whatever is live. Tensors made while the instance initialised (its
   * init export) are kept: a reset releases every other one, and if a kept one was released (the
   * guest dropped it) the instance can no longer be reset (`loseInitial`).
   */
  #saveTensors(): () => void {
    if (this.tensors.size === 0) return () => { if (this.tensors.size !== 0) this.#releaseTensors(); };
    const kept = new Set(this.tensors);
    return () => {
      for (const t of [...this.tensors]) if (!kept.has(t)) t.release();
      for (const t of kept) if (!this.tensors.has(t)) this.scope.loseInitial();
    };
  }

  /** True when the instance holds `cap` resources of `kind` already (a new one must be refused). */
  full(kind: string, cap: number): boolean {
    return this.scope.count(kind) >= cap;
  }

  addTensor(t: { release(): void }): void {
    this.tensors.add(t);
  }

  #releaseTensors(): void {
    for (const t of [...this.tensors]) t.release();
  }

  /** Output bytes `compute` may return now. */
  outputBudget(): number {
    const left = this.quota.tensorBytes - this.tensorBytes;
    const call = this.callBytesLeft();
    return call === undefined ? left : Math.min(left, call);
  }
}

/** One guest use of a model: held by its graph and every context made from it; the last drop releases it. */
class ModelLease {
  #refs = 0;
  constructor(readonly registry: ModelRegistry, readonly entry: ModelEntry) {}
  retain(): void { this.#refs++; }
  drop(): void {
    if (this.#refs > 0 && --this.#refs === 0) this.registry.releaseGuest(this.entry);
  }
}

/**
 * Builds one function's import factory. The resource classes are per function (the glue checks
 * `instanceof` against the class it was given); per instance, only the state object, the tensor
 * subclass (its constructor must know its instance) and the two loader closures are made.
 */
function functionImports(host: WasiNnHost, functionKey: string, quota: NnQuota, callBytesLeft: () => number | undefined): InstanceImports {
  const registry = host.registry;

  /** `wasi:nn/errors.error` (exported to the glue under the WIT name `Error`). */
  class ErrorResource {
    readonly #err: NnError;
    readonly #inst: NnInstance;
    constructor(err: NnError, inst: NnInstance) {
      this.#err = err;
      this.#inst = inst;
      if (inst.full(KIND.error, quota.errors)) throw trap('resource-limit', `the instance holds ${quota.errors} wasi:nn errors; drop them`);
      inst.scope.track(this, KIND.error, () => {});
    }
    code(): NnErrorCode { return ErrorResource.#of(this).#err.nnCode; }
    data(): string { return ErrorResource.#of(this).#err.message; }
    static #of(self: unknown): ErrorResource {
      if (!(self instanceof ErrorResource) || !(#err in self)) throw trap('invalid-handle', 'not a live wasi:nn error handle');
      return self;
    }
    [DISPOSE](): void {
      if (#inst in this) this.#inst.scope.untrack(this);
    }
  }

  /** Input tensors' bytes, recycled once `compute` consumed them (see BufferPool). */
  const inputBuffers = new BufferPool();

  /** `wasi:nn/tensor.tensor`: dimensions, element type and raw little-endian bytes. */
  class Tensor {
    readonly #ty: string;
    /** The engine-side tensor; its `data` is this tensor's own copy of the bytes. */
    readonly #nn: NnTensor;
    readonly #inst: NnInstance;
    /** True when `#nn.data` came from `inputBuffers` and goes back there when consumed. */
    #pooled: boolean;
    /** Set when the bytes did not fit the instance's tensor budget: the tensor holds none, `compute` says `too-large`. */
    #refused = false;
    /** The rank given, when it was over MAX_RANK: the tensor holds no dimensions, `compute` says `invalid-argument`. */
    #rank: number | undefined;
    #live = true;
    /**
     * `data` may be a view of the guest's memory (this class is marked BORROWED_LISTS): it is
     * copied here, into a recycled buffer, and not kept.
     */
    constructor(inst: NnInstance, dimensions: ArrayLike<number>, ty: string, data: Uint8Array, own?: typeof OWNED) {
      this.#inst = inst;
      if (inst.tensors.size >= quota.tensors) throw trap('resource-limit', `the instance holds ${quota.tensors} wasi:nn tensors; drop them`);
      // A constructor cannot return a WIT error; an unknown type, a refused size or rank surfaces at `compute`.
      // Dimensions past MAX_RANK are not kept: they would be host memory outside the byte budget.
      const dims: number[] = [];
      if (dimensions.length > MAX_RANK) this.#rank = dimensions.length;
      else for (let i = 0; i < dimensions.length; i++) dims.push(dimensions[i]! >>> 0);
      this.#ty = ty;
      this.#pooled = own !== OWNED;
      let bytes = data;
      if (inst.tensorBytes + data.byteLength > quota.tensorBytes) {
        this.#refused = true;
        this.#pooled = false;
        bytes = EMPTY;
      } else if (this.#pooled) {
        bytes = inputBuffers.take(data.byteLength);
        bytes.set(data);
      }
      inst.tensorBytes += bytes.byteLength;
      this.#nn = { type: (Object.hasOwn(WIT_TO_TYPE, ty) ? WIT_TO_TYPE[ty] : undefined)!, dims, data: bytes };
      inst.addTensor(this);
    }
    dimensions(): Uint32Array { return Uint32Array.from(Tensor.#of(this).#nn.dims); }
    ty(): string { return Tensor.#of(this).#ty; }
    data(): Uint8Array { return Tensor.#of(this).#nn.data as Uint8Array; }
    /** The engine-side tensor (no copy); the engine copies the bytes into its own memory. */
    toNnTensor(name: string): NnTensor {
      if (this.#rank !== undefined) throw new NnError('invalid-argument', `input \`${printable(name)}\` has rank ${this.#rank}; at most ${MAX_RANK} dimensions are supported`);
      if (this.#refused) throw new NnError('too-large', `input \`${printable(name)}\` is larger than the ${quota.tensorBytes} bytes of tensors an instance may hold`);
      if (this.#nn.type === undefined) throw new NnError('invalid-argument', `input \`${printable(name)}\` has unknown tensor type ${this.#ty}`);
      return this.#nn;
    }
    /** The guest no longer holds this tensor (consumed, dropped, or its instance reset): give the bytes back. */
    release(): void {
      if (!this.#live) return;
      this.#live = false;
      this.#inst.tensors.delete(this);
      this.#inst.tensorBytes -= this.#nn.data.byteLength;
      if (this.#pooled) inputBuffers.give(this.#nn.data as Uint8Array);
      this.#pooled = false;
      this.#nn.data = EMPTY;
    }
    /** This instance's live tensor behind a handle the glue lifted, or a trap. */
    static of(self: unknown): Tensor {
      return Tensor.#of(self);
    }
    static #of(self: unknown): Tensor {
      if (!(self instanceof Tensor) || !(#nn in self) || !self.#live) throw trap('invalid-handle', 'not a live wasi:nn tensor handle');
      return self;
    }
    static isLive(self: unknown): self is Tensor {
      return self instanceof Tensor && #nn in self && self.#live;
    }
  }
  Object.defineProperty(Tensor, BORROWED_LISTS, { value: true });
  Object.defineProperty(Tensor.prototype, DISPOSE, { value: Tensor.prototype.release });

  /** `wasi:nn/inference.graph-execution-context`: runs its graph's session. */
  class GraphExecutionContext {
    readonly #lease: ModelLease;
    readonly #inst: NnInstance;
    #live = true;
    constructor(lease: ModelLease, inst: NnInstance) {
      if (inst.full(KIND.context, quota.contexts)) throw new NnError('too-large', `the instance holds ${quota.contexts} execution contexts; drop some`);
      this.#lease = lease;
      this.#inst = inst;
      lease.retain();
      inst.scope.track(this, KIND.context, (c) => c.drop());
    }
    compute(inputs: Array<[string, Tensor]>): Array<[string, Tensor]> {
      const self = GraphExecutionContext.#of(this);
      const inst = self.#inst;
      // The per-inference path: no closures, one feeds object, outputs wrapped without copying.
      try {
        host.check();
        const feeds: Record<string, NnTensor> = {};
        for (const [name, tensor] of inputs) {
          checkName(name, 'an input name');
          Tensor.of(tensor);
          if (Object.hasOwn(feeds, name)) throw new NnError('invalid-argument', `input \`${printable(name)}\` is given twice`);
          feeds[name] = tensor.toNnTensor(name);
        }
        const session = registry.session(self.#lease.entry)!;
        const outputs = host.runSession(session, feeds, inst.outputBudget());
        const result: Array<[string, Tensor]> = [];
        for (const name in outputs) {
          const t = outputs[name]!;
          const bytes = t.data instanceof Uint8Array ? t.data : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
          result.push([name, newTensor(inst, t.dims, TYPE_TO_WIT[t.type], bytes, OWNED)]);
        }
        return result;
      } catch (cause) {
        throw host.guestError((e) => new ErrorResource(e, inst), cause);
      } finally {
        // The inputs were moved to us (`own<tensor>`) and the engine has copied them: recycle.
        if (Array.isArray(inputs)) for (const entry of inputs) if (Array.isArray(entry) && Tensor.isLive(entry[1])) entry[1].release();
      }
    }
    /** Called by the glue when the guest drops its handle (and by the scope on reset/discard). */
    drop(): void {
      if (!(#live in this) || !this.#live) return;
      this.#live = false;
      this.#inst.scope.untrack(this);
      this.#lease.drop();
    }
    static #of(self: unknown): GraphExecutionContext {
      if (!(self instanceof GraphExecutionContext) || !(#lease in self) || !self.#live) throw trap('invalid-handle', 'not a live wasi:nn execution context handle');
      return self;
    }
  }
  Object.defineProperty(GraphExecutionContext.prototype, DISPOSE, { value: GraphExecutionContext.prototype.drop });

  /** `wasi:nn/graph.graph`: a loaded model, kept alive while the graph or one of its contexts is. */
  class Graph {
    readonly #lease: ModelLease;
    readonly #inst: NnInstance;
    #live = true;
    constructor(lease: ModelLease, inst: NnInstance, kind: string) {
      this.#lease = lease;
      this.#inst = inst;
      lease.retain();
      inst.scope.track(this, kind, (g) => g.drop());
    }
    initExecutionContext(): GraphExecutionContext {
      const self = Graph.#of(this);
      try {
        host.check();
        return new GraphExecutionContext(self.#lease, self.#inst);
      } catch (cause) {
        throw host.guestError((e) => new ErrorResource(e, self.#inst), cause);
      }
    }
    /** Called by the glue when the guest drops its handle (and by the scope on reset/discard). */
    drop(): void {
      if (!(#live in this) || !this.#live) return;
      this.#live = false;
      this.#inst.scope.untrack(this);
      this.#lease.drop();
    }
    static #of(self: unknown): Graph {
      if (!(self instanceof Graph) || !(#lease in self) || !self.#live) throw trap('invalid-handle', 'not a live wasi:nn graph handle');
      return self;
    }
  }
  Object.defineProperty(Graph.prototype, DISPOSE, { value: Graph.prototype.drop });

  /** A tensor of the instance's own class (the glue checks `instanceof` when lowering it). */
  function newTensor(inst: NnInstance, dims: ArrayLike<number>, ty: string, data: Uint8Array, own?: typeof OWNED): Tensor {
    return new inst.Tensor(dims, ty, data, own) as Tensor;
  }

  function load(inst: NnInstance, builders: Uint8Array[], encoding: string, target: string): Graph {
    try {
      host.check();
      if (encoding !== 'onnx' && encoding !== 'autodetect') throw new NnError('invalid-encoding', `graph encoding \`${printable(String(encoding))}\` is not supported; only onnx is`);
      if (target !== 'cpu') throw new NnError('unsupported-operation', `execution target \`${printable(String(target))}\` is not available; only cpu is`);
      if (builders.length !== 1) throw new NnError('invalid-argument', `an onnx graph is one builder (the model bytes), got ${builders.length}`);
      const bytes = builders[0]!;
      if (bytes.byteLength > host.maxModelBytes) throw new NnError('too-large', `model is ${bytes.byteLength} bytes; the limit is ${host.maxModelBytes}`);
      if (host.slot.engine.backend !== 'wasm') {
        throw new NnError('unsupported-operation', 'the native inference backend runs only models the host registered (use load-by-name)');
      }
      if (inst.full(KIND.guestGraph, quota.guestModels)) throw new NnError('too-large', `the instance holds ${quota.guestModels} models loaded from bytes; drop some graphs`);
      admitGuestModel(bytes);
      const entry = host.engineWork((deadline) => registry.acquireGuest(functionKey, bytes, deadline));
      return new Graph(new ModelLease(registry, entry), inst, KIND.guestGraph);
    } catch (cause) {
      throw host.guestError((e) => new ErrorResource(e, inst), cause);
    }
  }

  /** Leases of named models, one per model for this function (see loadByName). */
  const namedLeases = new Map<ModelEntry, ModelLease>();
  function newNamedLease(entry: ModelEntry): ModelLease {
    const lease = new ModelLease(registry, entry);
    namedLeases.set(entry, lease);
    return lease;
  }

  function loadByName(inst: NnInstance, name: string): Graph {
    checkName(name, 'a model name');
    try {
      host.check();
      if (inst.full(KIND.graph, quota.graphs)) throw new NnError('too-large', `the instance holds ${quota.graphs} graphs; drop some`);
      const entry = registry.named(name);
      registry.session(entry); // parse it now, so a broken model fails here rather than at compute
      // A named model's lease releases nothing (the session is host data, kept across resets): one per model is enough.
      return new Graph(namedLeases.get(entry) ?? newNamedLease(entry), inst, KIND.graph);
    } catch (cause) {
      throw host.guestError((e) => new ErrorResource(e, inst), cause);
    }
  }

  return (scope: InstanceScope) => {
    const inst = new NnInstance(scope, quota, callBytesLeft);
    const InstanceTensor = class extends Tensor {
      constructor(dimensions: ArrayLike<number>, ty: string, data: Uint8Array, own?: typeof OWNED) {
        super(inst, dimensions, ty, data, own);
      }
    };
    inst.Tensor = InstanceTensor;
    const interfaces: Record<string, Record<string, unknown>> = {
      tensor: { Tensor: InstanceTensor },
      graph: {
        Graph,
        load: (builders: Uint8Array[], encoding: string, target: string) => load(inst, builders, encoding, target),
        loadByName: (name: string) => loadByName(inst, name),
      },
      inference: { GraphExecutionContext },
      errors: { Error: ErrorResource },
    };
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, members] of Object.entries(interfaces)) {
      out[`wasi:nn/${name}@${WASI_NN_VERSION}`] = members;
      out[`wasi:nn/${name}`] = members;
    }
    return out;
  };
}
