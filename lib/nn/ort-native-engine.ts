import { BackendUnavailableError, InvalidArgumentError } from '../errors.js';
import type { NnEngine, NnEngineOptions, NnSession } from './engine.js';
import { NnError } from './errors.js';
import { allocateData, bytesOf, checkFeeds, typeFromOnnxId, type NnTensor, type NnTensorType, type NnValueInfo } from './tensor.js';
import { ORT_NODE_INSTALL } from './install-hints.js';

/**
 * The parts of onnxruntime-node this engine uses. Its native binding (`dist/binding.js`) is
 * synchronous (`loadModel`, `run`); the package's public `InferenceSession` only wraps it in
 * `setImmediate` promises. So no worker or `Atomics.wait` bridge is needed.
 */
export interface OrtNativeBinding {
  /** onnxruntime-node's `initOrt()`: registers the Tensor class with the binding, once per process. */
  initOrt(): void;
  binding: { InferenceSession: new () => NativeInferenceSession };
  /** onnxruntime-common's `Tensor` class (the binding creates outputs of this class). */
  Tensor: new (type: string, data: ArrayBufferView, dims: readonly number[]) => NativeTensor;
}

interface NativeTensor { type: string; dims: readonly number[]; data: ArrayBufferView }
interface NativeValueMetadata { name: string; isTensor: boolean; symbolicDimensions: string[]; shape: number[]; type: number }
interface NativeInferenceSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: NativeValueMetadata[];
  readonly outputMetadata: NativeValueMetadata[];
  run(feeds: Record<string, NativeTensor>, fetches: Record<string, null>, options: object): Record<string, NativeTensor>;
  dispose(): void;
}

/** Options for {@link createOrtNativeEngine}. */
export interface OrtNativeEngineOptions extends NnEngineOptions {
  /**
   * Loads onnxruntime-node (default: dynamic `import()` of the optional dependency). Replaceable
   * so tests can simulate a machine without it.
   */
  loadBinding?: () => Promise<OrtNativeBinding>;
}

/** Loads onnxruntime-node's synchronous binding with dynamic imports (it is an optional dependency). */
export async function loadOrtNativeBinding(): Promise<OrtNativeBinding> {
  const specifier = 'onnxruntime-node';
  // Importing the package first also loads onnxruntime-common, whose Tensor the binding returns.
  const ort = (await import(specifier)) as { Tensor?: OrtNativeBinding['Tensor']; default?: { Tensor?: OrtNativeBinding['Tensor'] } };
  const mod = (await import(`${specifier}/dist/binding.js`)) as Partial<OrtNativeBinding> & { default?: Partial<OrtNativeBinding> };
  const binding = mod.binding ?? mod.default?.binding;
  const initOrt = mod.initOrt ?? mod.default?.initOrt;
  const Tensor = ort.Tensor ?? ort.default?.Tensor;
  if (!binding || !initOrt || !Tensor) throw new Error('onnxruntime-node does not expose the expected binding');
  return { binding, initOrt, Tensor };
}

/**
 * Starts a synchronous inference engine over onnxruntime-node (native CPU code, in process).
 * Unlike the wasm engine it has no memory cap of its own. Rejects with `BackendUnavailableError`
 * when onnxruntime-node cannot be loaded (not installed, no binary for this platform).
 */
export async function createOrtNativeEngine(options: OrtNativeEngineOptions = {}): Promise<NnEngine> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError(`threads must be a positive integer, got ${threads}`);
  let ort: OrtNativeBinding;
  try {
    ort = await (options.loadBinding ?? loadOrtNativeBinding)();
    ort.initOrt();
  } catch (err) {
    throw new BackendUnavailableError(`onnxruntime-node is not available (${err instanceof Error ? err.message : String(err)}); ${ORT_NODE_INSTALL}`, { cause: err });
  }
  return new OrtNativeEngine(ort, threads);
}

class OrtNativeEngine implements NnEngine {
  readonly backend = 'native' as const;
  #disposed = false;
  readonly #sessions = new Set<OrtNativeSession>();

  constructor(readonly ort: OrtNativeBinding, readonly threads: number) {}

  get usable(): boolean {
    return !this.#disposed;
  }

  createSession(model: Uint8Array): NnSession {
    if (this.#disposed) throw new NnError('runtime-error', 'inference engine is disposed');
    const native = new this.ort.binding.InferenceSession();
    try {
      native.loadModel(model.buffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: this.threads, interOpNumThreads: 1, executionMode: 'sequential',
        graphOptimizationLevel: 'all', logSeverityLevel: 3,
      });
    } catch (err) {
      throw new NnError('invalid-encoding', `cannot load model: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const session = new OrtNativeSession(this, native);
    this.#sessions.add(session);
    return session;
  }

  forget(session: OrtNativeSession): void {
    this.#sessions.delete(session);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const session of [...this.#sessions]) session.release();
  }
}

class OrtNativeSession implements NnSession {
  readonly inputs: NnValueInfo[];
  readonly outputs: NnValueInfo[];
  readonly #fetches: Record<string, null>;
  #native: NativeInferenceSession | undefined;

  constructor(readonly engine: OrtNativeEngine, native: NativeInferenceSession) {
    this.#native = native;
    this.inputs = native.inputMetadata.map(toValueInfo);
    this.outputs = native.outputMetadata.map(toValueInfo);
    this.#fetches = Object.fromEntries(this.outputs.map((o) => [o.name, null]));
  }

  run(feeds: Record<string, NnTensor>): Record<string, NnTensor> {
    const native = this.#native;
    if (native === undefined) throw new NnError('runtime-error', 'session is released');
    checkFeeds(this.inputs, feeds);
    const nativeFeeds: Record<string, NativeTensor> = {};
    for (const info of this.inputs) {
      const feed = feeds[info.name]!;
      if (feed.type === 'bfloat16') throw new NnError('unsupported-operation', 'the native engine cannot take bfloat16 tensors');
      nativeFeeds[info.name] = new this.engine.ort.Tensor(feed.type, typedView(feed.type, feed.data), feed.dims);
    }
    let out: Record<string, NativeTensor>;
    try {
      out = native.run(nativeFeeds, this.#fetches, {});
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new NnError('runtime-error', `inference failed: ${message}`, { cause: err, outOfMemory: /bad_alloc|failed to allocate/i.test(message) });
    }
    const result: Record<string, NnTensor> = {};
    for (const info of this.outputs) {
      const tensor = out[info.name]!;
      const type = tensor.type as NnTensorType;
      if (typeFromOnnxIdName(type) === undefined) throw new NnError('unsupported-operation', `output \`${info.name}\` has element type ${tensor.type}, which this runtime does not support`);
      result[info.name] = { type, dims: [...tensor.dims], data: tensor.data };
    }
    return result;
  }

  release(): void {
    if (this.#native === undefined) return;
    const native = this.#native;
    this.#native = undefined;
    this.engine.forget(this);
    native.dispose();
  }
}

const SUPPORTED = new Set<string>(['float16', 'float32', 'float64', 'uint8', 'int32', 'int64']);
function typeFromOnnxIdName(type: string): NnTensorType | undefined {
  return SUPPORTED.has(type) ? (type as NnTensorType) : undefined;
}

function toValueInfo(m: NativeValueMetadata): NnValueInfo {
  if (!m.isTensor) return { name: m.name, type: undefined, dims: [] };
  const dims = m.shape.map((d, i) => (d === -1 ? m.symbolicDimensions[i] || '?' : d));
  return { name: m.name, type: typeFromOnnxId(m.type), dims };
}

/** The typed array onnxruntime-common wants for `type`, viewing (or, when misaligned, copying) `data`. */
function typedView(type: NnTensorType, data: ArrayBufferView): ArrayBufferView {
  const template = allocateData(type, 0);
  if (data.constructor === template.constructor) return data;
  const Ctor = template.constructor as new (buffer: ArrayBufferLike, offset?: number, length?: number) => ArrayBufferView;
  const width = (template as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const bytes = bytesOf(data);
  if (bytes.byteOffset % width === 0) return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);
  return new Ctor(bytes.slice().buffer, 0, bytes.byteLength / width);
}
