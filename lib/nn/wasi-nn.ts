import { readFile } from 'node:fs/promises';
import { BORROWED_LISTS } from '../component/fast/codec.js';
import { InvalidArgumentError } from '../errors.js';
import { BufferPool } from './buffer-pool.js';
import type { NnBackend, NnEngine, NnSession } from './engine.js';
import { NnError, type NnErrorCode } from './errors.js';
import { ModelRegistry } from './model-registry.js';
import { createOrtNativeEngine, type OrtNativeBinding } from './ort-native-engine.js';
import { createOrtWasmEngine, DEFAULT_ENGINE_MEMORY_MAX_BYTES } from './ort-wasm-engine.js';
import type { NnTensor, NnTensorType } from './tensor.js';

/** The `wasi:nn` version this host implements. */
export const WASI_NN_VERSION = '0.2.0-rc-2024-10-28';
/** Default cap on model bytes a guest may pass to `graph.load`: 64 MiB. */
export const DEFAULT_MAX_MODEL_BYTES = 64 * 1024 * 1024;
/** Default cap on distinct models loaded from guest bytes at the same time. */
export const DEFAULT_MAX_GUEST_MODELS = 4;

/** Options for {@link createWasiNn}. */
export interface WasiNnOptions {
  /** `'wasm'` (default): onnxruntime-web in a private, memory-capped wasm instance. `'native'`: onnxruntime-node. */
  backend?: NnBackend;
  /** Models guests may open with `load-by-name`: ONNX bytes, or a file path read at creation. */
  models?: Record<string, Uint8Array | string>;
  /** Cap on the bytes a guest may pass to `graph.load` (larger → `too-large`). Default 64 MiB. */
  maxModelBytes?: number;
  /** Cap on the wasm engine's linear memory (ignored by the native engine). Default 256 MiB. */
  engineMemoryMaxBytes?: number;
  /** Cap on distinct models loaded from guest bytes at once. Default 4. */
  maxGuestModels?: number;
  /** Threads per inference for the native engine (the wasm engine always uses 1). Default 1. */
  threads?: number;
  /**
   * The calling guest's deadline (`performance.now()` ms), if any: inference counts toward it.
   * `compute` refuses to start past it and reports `timeout` when it ran past it.
   */
  deadline?: () => number | undefined;
  /** Replaces how onnxruntime-node is loaded (tests use it to simulate its absence). */
  loadNativeBinding?: () => Promise<OrtNativeBinding>;
}

/** A `wasi:nn` host: the import object for jco plus host-side state. */
export interface WasiNn {
  /**
   * jco import object: `wasi:nn/{tensor,graph,inference,errors}@0.2.0-rc-2024-10-28` (also under
   * the unversioned names), with the resources as classes (`Tensor`, `Graph`,
   * `GraphExecutionContext`, `Error`) and the functions `load`, `loadByName`.
   */
  readonly imports: Record<string, Record<string, unknown>>;
  /** The engine currently in use. */
  readonly engine: NnEngine;
  /**
   * The last failure returned to a guest as a `wasi:nn` `error`, so the runtime can raise a typed
   * host error after the call. `takeLastError()` reads and clears it.
   */
  readonly lastError: NnError | undefined;
  takeLastError(): NnError | undefined;
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
 * that uses this host. Every guest-facing call is synchronous. Rejects with
 * `BackendUnavailableError` when the backend cannot start, `InvalidArgumentError` for an unreadable
 * model path or bad option.
 */
export async function createWasiNn(options: WasiNnOptions = {}): Promise<WasiNn> {
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'native') throw new InvalidArgumentError(`unknown wasi:nn backend \`${String(backend)}\``);
  const maxModelBytes = options.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES;
  const maxGuestModels = options.maxGuestModels ?? DEFAULT_MAX_GUEST_MODELS;
  if (!(maxModelBytes >= 0)) throw new InvalidArgumentError(`maxModelBytes must be a non-negative number, got ${maxModelBytes}`);
  if (!Number.isInteger(maxGuestModels) || maxGuestModels < 0) throw new InvalidArgumentError(`maxGuestModels must be a non-negative integer, got ${maxGuestModels}`);
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
  const startEngine = (): Promise<NnEngine> => backend === 'wasm'
    ? createOrtWasmEngine({ memoryMaxBytes: options.engineMemoryMaxBytes ?? DEFAULT_ENGINE_MEMORY_MAX_BYTES })
    : createOrtNativeEngine({ threads: options.threads ?? 1, ...(options.loadNativeBinding ? { loadBinding: options.loadNativeBinding } : {}) });
  const host = new WasiNnHost(await startEngine(), startEngine, modelBytes, maxModelBytes, maxGuestModels, options.deadline ?? (() => undefined));
  return host;
}

class WasiNnHost implements WasiNn {
  readonly imports: Record<string, Record<string, unknown>>;
  lastError: NnError | undefined;
  #engine: NnEngine;
  #registry: ModelRegistry;
  #restarting: Promise<void> | undefined;
  #disposed = false;

  constructor(
    engine: NnEngine,
    readonly startEngine: () => Promise<NnEngine>,
    readonly modelBytes: ReadonlyMap<string, Uint8Array>,
    readonly maxModelBytes: number,
    readonly maxGuestModels: number,
    readonly deadline: () => number | undefined,
  ) {
    this.#engine = engine;
    this.#registry = new ModelRegistry(engine, modelBytes, maxGuestModels);
    this.imports = buildImports(this);
  }

  get engine(): NnEngine {
    return this.#engine;
  }

  takeLastError(): NnError | undefined {
    const err = this.lastError;
    this.lastError = undefined;
    return err;
  }

  /** The registry of a usable engine; starts a replacement (in the background) for a broken one. */
  registry(): ModelRegistry {
    if (this.#disposed) throw new NnError('runtime-error', 'wasi:nn host is disposed');
    if (!this.#engine.usable) {
      this.#restarting ??= this.startEngine().then((engine) => {
        if (this.#disposed) { engine.dispose(); return; }
        this.#registry.dispose();
        this.#engine.dispose();
        this.#engine = engine;
        this.#registry = new ModelRegistry(engine, this.modelBytes, this.maxGuestModels);
      }).catch(() => {}).finally(() => { this.#restarting = undefined; });
      throw new NnError('runtime-error', 'inference engine failed and is restarting; retry later');
    }
    return this.#registry;
  }

  /**
   * Runs a guest-facing operation. An `NnError` (or any other failure) becomes the `err` case of
   * the WIT result: jco returns the thrown value's `payload` (our `error` resource) to the guest.
   */
  guest<T>(ErrorResource: new (e: NnError) => object, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw this.guestError(ErrorResource, cause);
    }
  }

  /** The value to throw for `cause` so jco hands the guest an `error` resource; records it as `lastError`. */
  guestError(ErrorResource: new (e: NnError) => object, cause: unknown): NnError {
    const err = cause instanceof NnError ? cause : new NnError('unknown', cause instanceof Error ? cause.message : String(cause), { cause });
    this.lastError = err;
    return Object.assign(err, { payload: new ErrorResource(err) });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#registry.dispose();
    this.#engine.dispose();
  }
}

/** Marks a Tensor built from engine output: its bytes are its own, not a pooled copy. */
const OWNED: unique symbol = Symbol('owned');
const EMPTY = new Uint8Array(0);
const RAW_OUTPUTS = Object.freeze({ rawOutputs: true });

/** Builds the jco import object; the resource classes are per host so `instanceof` checks stay per host. */
function buildImports(host: WasiNnHost): Record<string, Record<string, unknown>> {
  const disposeSymbol: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

  /** `wasi:nn/errors.error` (exported to jco under the WIT name `Error`). */
  class ErrorResource {
    readonly #err: NnError;
    constructor(err: NnError) { this.#err = err; }
    code(): NnErrorCode { return this.#err.nnCode; }
    data(): string { return this.#err.message; }
  }

  const guest = <T>(fn: () => T): T => host.guest(ErrorResource, fn);
  // A guest instance that is thrown away never drops its handles; release their models when the
  // graph or context objects are garbage collected.
  const abandoned = new FinalizationRegistry<ModelLease>((lease) => lease.drop());

  /** Input tensors' bytes, recycled once `compute` consumed them (see BufferPool). */
  const inputBuffers = new BufferPool();

  /** `wasi:nn/tensor.tensor`: dimensions, element type and raw little-endian bytes. */
  class Tensor {
    readonly #ty: string;
    /** The engine-side tensor; its `data` is this tensor's own copy of the bytes. */
    readonly #nn: NnTensor;
    /** True when `#nn.data` came from `inputBuffers` and goes back there when consumed. */
    #pooled: boolean;
    /**
     * `data` may be a view of the guest's memory (this class is marked BORROWED_LISTS): it is
     * copied here, into a recycled buffer, and not kept.
     */
    constructor(dimensions: ArrayLike<number>, ty: string, data: Uint8Array, own?: typeof OWNED) {
      // A constructor cannot return a WIT error; an unknown type surfaces at `compute`.
      const dims: number[] = [];
      for (let i = 0; i < dimensions.length; i++) dims.push(dimensions[i]! >>> 0);
      this.#ty = ty;
      this.#pooled = own !== OWNED;
      let bytes = data;
      if (this.#pooled) {
        bytes = inputBuffers.take(data.byteLength);
        bytes.set(data);
      }
      this.#nn = { type: (Object.hasOwn(WIT_TO_TYPE, ty) ? WIT_TO_TYPE[ty] : undefined)!, dims, data: bytes };
    }
    dimensions(): Uint32Array { return Uint32Array.from(this.#nn.dims); }
    ty(): string { return this.#ty; }
    data(): Uint8Array { return this.#nn.data as Uint8Array; }
    /** The engine-side tensor (no copy); the engine copies the bytes into its own memory. */
    toNnTensor(name: string): NnTensor {
      if (this.#nn.type === undefined) throw new NnError('invalid-argument', `input \`${name}\` has unknown tensor type ${this.#ty}`);
      return this.#nn;
    }
    /** Gives the bytes back for reuse: the guest no longer holds this tensor (consumed or dropped). */
    release(): void {
      if (!this.#pooled) return;
      this.#pooled = false;
      inputBuffers.give(this.#nn.data as Uint8Array);
      this.#nn.data = EMPTY;
    }
    static fromNnTensor(t: NnTensor): Tensor {
      const bytes = t.data instanceof Uint8Array ? t.data : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      return new Tensor(t.dims, TYPE_TO_WIT[t.type], bytes, OWNED);
    }
  }
  Object.defineProperty(Tensor, BORROWED_LISTS, { value: true });
  Object.defineProperty(Tensor.prototype, disposeSymbol, { value: Tensor.prototype.release });

  /** `wasi:nn/inference.graph-execution-context`: runs its graph's session. */
  class GraphExecutionContext {
    readonly #lease: ModelLease;
    constructor(lease: ModelLease) {
      this.#lease = lease;
      lease.retain();
      abandoned.register(this, lease, this);
    }
    compute(inputs: Array<[string, Tensor]>): Array<[string, Tensor]> {
      // The per-inference path: no closures, one feeds object, outputs wrapped without copying.
      try {
        host.registry(); // fails fast (and restarts) when the engine broke
        const feeds: Record<string, NnTensor> = {};
        for (const [name, tensor] of inputs) {
          if (!(tensor instanceof Tensor)) throw new NnError('invalid-argument', `input \`${name}\` is not a wasi:nn tensor`);
          if (Object.hasOwn(feeds, name)) throw new NnError('invalid-argument', `input \`${name}\` is given twice`);
          feeds[name] = tensor.toNnTensor(name);
        }
        const deadline = host.deadline();
        if (deadline !== undefined && performance.now() >= deadline) throw new NnError('timeout', 'the caller\'s deadline passed before inference started');
        const outputs = this.#lease.session.run(feeds, RAW_OUTPUTS);
        if (deadline !== undefined && performance.now() >= deadline) throw new NnError('timeout', 'inference ran past the caller\'s deadline');
        const result: Array<[string, Tensor]> = [];
        for (const name in outputs) result.push([name, Tensor.fromNnTensor(outputs[name]!)]);
        return result;
      } catch (cause) {
        throw host.guestError(ErrorResource, cause);
      } finally {
        // The inputs were moved to us (`own<tensor>`) and the engine has copied them: recycle.
        if (Array.isArray(inputs)) for (const entry of inputs) if (Array.isArray(entry) && entry[1] instanceof Tensor) entry[1].release();
      }
    }
    /** Called by jco when the guest drops its handle. */
    drop(): void {
      if (!abandoned.unregister(this)) return; // already dropped
      this.#lease.drop();
    }
  }
  Object.defineProperty(GraphExecutionContext.prototype, disposeSymbol, { value: GraphExecutionContext.prototype.drop });

  /** `wasi:nn/graph.graph`: a loaded model, kept alive while the graph or one of its contexts is. */
  class Graph {
    readonly #lease: ModelLease;
    constructor(lease: ModelLease) {
      this.#lease = lease;
      lease.retain();
      abandoned.register(this, lease, this);
    }
    initExecutionContext(): GraphExecutionContext {
      return guest(() => new GraphExecutionContext(this.#lease));
    }
    /** Called by jco when the guest drops its handle. */
    drop(): void {
      if (!abandoned.unregister(this)) return; // already dropped
      this.#lease.drop();
    }
  }
  Object.defineProperty(Graph.prototype, disposeSymbol, { value: Graph.prototype.drop });

  function load(builders: Uint8Array[], encoding: string, target: string): Graph {
    return guest(() => {
      if (encoding !== 'onnx' && encoding !== 'autodetect') throw new NnError('invalid-encoding', `graph encoding \`${encoding}\` is not supported; only onnx is`);
      if (target !== 'cpu') throw new NnError('unsupported-operation', `execution target \`${target}\` is not available; only cpu is`);
      if (builders.length !== 1) throw new NnError('invalid-argument', `an onnx graph is one builder (the model bytes), got ${builders.length}`);
      const bytes = builders[0]!;
      if (bytes.byteLength > host.maxModelBytes) throw new NnError('too-large', `model is ${bytes.byteLength} bytes; the limit is ${host.maxModelBytes}`);
      const { session, release } = host.registry().acquire(bytes);
      return new Graph(new ModelLease(session, release));
    });
  }

  function loadByName(name: string): Graph {
    return guest(() => new Graph(new ModelLease(host.registry().named(name))));
  }

  const interfaces: Record<string, Record<string, unknown>> = {
    tensor: { Tensor },
    graph: { Graph, load, loadByName },
    inference: { GraphExecutionContext },
    errors: { Error: ErrorResource },
  };
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, members] of Object.entries(interfaces)) {
    out[`wasi:nn/${name}@${WASI_NN_VERSION}`] = members;
    out[`wasi:nn/${name}`] = members;
  }
  return out;
}

/** One guest use of a model: held by its graph and every context made from it; the last drop releases it. */
class ModelLease {
  #refs = 0;
  constructor(readonly session: NnSession, readonly onLastDrop?: () => void) {}
  retain(): void { this.#refs++; }
  drop(): void {
    if (this.#refs > 0 && --this.#refs === 0) this.onLastDrop?.();
  }
}
