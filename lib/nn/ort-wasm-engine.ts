import { InvalidArgumentError, LimitTooLowError } from '../errors.js';
import type { NnEngine, NnEngineOptions, NnSession } from './engine.js';
import { NnError, type NnErrorCode } from './errors.js';
import { instantiateOrtWasm, ORT_WASM_INITIAL_PAGES, type OrtWasmInstance } from './ort-wasm-module.js';
import {
  allocateData, bytesOf, checkFeeds, elementCount, onnxTypeId, typeFromOnnxId,
  type NnTensor, type NnValueInfo,
} from './tensor.js';

/** Default cap on one wasm engine's linear memory: 256 MiB. */
export const DEFAULT_ENGINE_MEMORY_MAX_BYTES = 256 * 1024 * 1024;
/** The smallest cap an engine can start with: the glue's initial 16 MiB memory. */
export const MIN_ENGINE_MEMORY_BYTES = ORT_WASM_INITIAL_PAGES * 65536;

/** Options for {@link createOrtWasmEngine}. */
export interface OrtWasmEngineOptions extends NnEngineOptions {
  /** Cap on the engine's linear memory, in bytes (rounded down to 64 KiB pages). Default 256 MiB. */
  memoryMaxBytes?: number;
}

// onnxruntime's OrtErrorCode values (onnxruntime_c_api.h).
const ORT_INVALID_ARGUMENT = 2;
const ORT_NO_MODEL = 4;
const ORT_INVALID_PROTOBUF = 7;
const ORT_NOT_IMPLEMENTED = 9;
const ORT_INVALID_GRAPH = 10;
/** `_OrtInit`/session logging: 3 = errors only, so guests cannot flood the host's stderr. */
const LOG_ERROR = 3;
const GRAPH_OPTIMIZATION_ALL = 99;
const LOCATION_CPU = 1;
const ONNX_STRING = 8;

/**
 * Starts a synchronous inference engine: a private instance of onnxruntime-web's wasm build with
 * its own linear memory capped at `memoryMaxBytes`. When a model or an input needs more memory
 * than the cap, the call fails with `NnError` (`runtime-error`, `outOfMemory: true`) and the engine
 * stays usable. Rejects with `LimitTooLowError` for a cap below 16 MiB, `InvalidArgumentError` for
 * `threads` other than 1, `BackendUnavailableError` when onnxruntime-web cannot be loaded.
 */
export async function createOrtWasmEngine(options: OrtWasmEngineOptions = {}): Promise<NnEngine> {
  const threads = options.threads ?? 1;
  if (threads !== 1) throw new InvalidArgumentError(`the wasm inference engine runs on one thread; got threads: ${threads}`);
  const maxBytes = options.memoryMaxBytes ?? DEFAULT_ENGINE_MEMORY_MAX_BYTES;
  if (!Number.isFinite(maxBytes) || maxBytes < MIN_ENGINE_MEMORY_BYTES) {
    throw new LimitTooLowError(`engine memory cap ${maxBytes} bytes is below onnxruntime-web's initial ${MIN_ENGINE_MEMORY_BYTES} bytes`);
  }
  const pages = Math.min(65536, Math.floor(maxBytes / 65536));
  const wasm = await instantiateOrtWasm(pages);
  const engine = new OrtWasmEngine(wasm, pages * 65536);
  engine.guard(() => {
    if (wasm._OrtInit(1, LOG_ERROR) !== 0) throw engine.lastError('runtime-error', 'cannot initialise onnxruntime');
  });
  return engine;
}

class OrtWasmEngine implements NnEngine {
  readonly backend = 'wasm' as const;
  #wasm: OrtWasmInstance | undefined;
  #broken = false;
  readonly #sessions = new Set<OrtWasmSession>();

  constructor(wasm: OrtWasmInstance, readonly memoryMaxBytes: number) {
    this.#wasm = wasm;
  }

  get usable(): boolean {
    return this.#wasm !== undefined && !this.#broken;
  }

  /** The live instance, or an error when disposed or broken. */
  get wasm(): OrtWasmInstance {
    if (this.#wasm === undefined) throw new NnError('runtime-error', 'inference engine is disposed');
    if (this.#broken) throw new NnError('runtime-error', 'inference engine failed earlier and is no longer usable');
    return this.#wasm;
  }

  /**
   * Runs `fn` against the instance. An exception that is not ours (a wasm trap, an Emscripten
   * abort) leaves onnxruntime's state unknown, so the engine is marked broken.
   */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof NnError) throw err;
      this.#broken = true;
      throw new NnError('runtime-error', `inference engine failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Builds an `NnError` from onnxruntime's last error; `bad_alloc` means the memory cap was hit. */
  lastError(fallback: NnErrorCode, what: string): NnError {
    const wasm = this.wasm;
    const sp = wasm.stackSave();
    try {
      const p = wasm.stackAlloc(8);
      wasm._OrtGetLastError(p, p + 4);
      const code = wasm.HEAP32[p >> 2]!;
      const messagePtr = wasm.HEAPU32[(p + 4) >> 2]!;
      const message = messagePtr ? wasm.UTF8ToString(messagePtr) : `onnxruntime error ${code}`;
      if (/bad_alloc|failed to allocate/i.test(message)) return this.outOfMemory(what, message);
      let nnCode = fallback;
      if (fallback === 'invalid-encoding' && code === ORT_NOT_IMPLEMENTED) nnCode = 'unsupported-operation';
      if (fallback === 'runtime-error' && code === ORT_INVALID_ARGUMENT) nnCode = 'invalid-argument';
      if (fallback === 'runtime-error' && (code === ORT_INVALID_PROTOBUF || code === ORT_INVALID_GRAPH || code === ORT_NO_MODEL)) nnCode = 'invalid-encoding';
      return new NnError(nnCode, `${what}: ${message}`);
    } finally {
      wasm.stackRestore(sp);
    }
  }

  outOfMemory(what: string, detail: string): NnError {
    return new NnError('runtime-error', `${what}: inference engine out of memory (cap ${this.memoryMaxBytes} bytes; ${detail})`, { outOfMemory: true });
  }

  /** `malloc` that turns a refusal into an out-of-memory error. */
  malloc(bytes: number, what: string): number {
    const ptr = this.wasm._malloc(Math.max(1, bytes));
    if (ptr === 0) throw this.outOfMemory(what, `cannot allocate ${bytes} bytes`);
    return ptr;
  }

  createSession(model: Uint8Array): NnSession {
    return this.guard(() => {
      const wasm = this.wasm;
      const modelPtr = this.malloc(model.byteLength, 'cannot load model');
      let options = 0;
      let handle = 0;
      try {
        wasm.HEAPU8.set(model, modelPtr);
        options = wasm._OrtCreateSessionOptions(GRAPH_OPTIMIZATION_ALL, false, false, 0, false, 0, 0, LOG_ERROR, 0, 0);
        if (options === 0) throw this.lastError('runtime-error', 'cannot create session options');
        handle = wasm._OrtCreateSession(modelPtr, model.byteLength, options);
        if (handle === 0) throw this.lastError('invalid-encoding', 'cannot load model');
        const session = new OrtWasmSession(this, handle);
        handle = 0;
        this.#sessions.add(session);
        return session;
      } finally {
        if (handle !== 0) wasm._OrtReleaseSession(handle);
        if (options !== 0) wasm._OrtReleaseSessionOptions(options);
        wasm._free(modelPtr);
      }
    });
  }

  forget(session: OrtWasmSession): void {
    this.#sessions.delete(session);
  }

  dispose(): void {
    if (this.#wasm === undefined) return;
    if (!this.#broken) for (const session of [...this.#sessions]) session.release();
    this.#sessions.clear();
    this.#wasm = undefined; // the instance and its memory go with the last reference
  }
}

class OrtWasmSession implements NnSession {
  readonly inputs: NnValueInfo[] = [];
  readonly outputs: NnValueInfo[] = [];
  /** C strings owned by onnxruntime (freed with `_OrtFree`), in inputs-then-outputs order. */
  readonly #namePtrs: number[] = [];
  #handle: number;
  #runOptions = 0;

  constructor(readonly engine: OrtWasmEngine, handle: number) {
    this.#handle = handle;
    const wasm = engine.wasm;
    try {
      const sp = wasm.stackSave();
      const p = wasm.stackAlloc(8);
      try {
        if (wasm._OrtGetInputOutputCount(handle, p, p + 4) !== 0) throw engine.lastError('runtime-error', 'cannot read model inputs');
        const inputCount = wasm.HEAPU32[p >> 2]!;
        const outputCount = wasm.HEAPU32[(p + 4) >> 2]!;
        for (let i = 0; i < inputCount + outputCount; i++) {
          if (wasm._OrtGetInputOutputMetadata(handle, i, p, p + 4) !== 0) throw engine.lastError('runtime-error', 'cannot read model metadata');
          const namePtr = wasm.HEAPU32[p >> 2]!;
          this.#namePtrs.push(namePtr);
          const info = readValueInfo(wasm, wasm.UTF8ToString(namePtr), wasm.HEAPU32[(p + 4) >> 2]!);
          (i < inputCount ? this.inputs : this.outputs).push(info);
        }
      } finally {
        wasm.stackRestore(sp);
      }
      this.#runOptions = wasm._OrtCreateRunOptions(LOG_ERROR, 0, false, 0);
      if (this.#runOptions === 0) throw engine.lastError('runtime-error', 'cannot create run options');
    } catch (err) {
      this.release();
      throw err;
    }
  }

  run(feeds: Record<string, NnTensor>): Record<string, NnTensor> {
    if (this.#handle === 0) throw new NnError('runtime-error', 'session is released');
    checkFeeds(this.inputs, feeds);
    const engine = this.engine;
    return engine.guard(() => {
      const wasm = engine.wasm;
      const nIn = this.inputs.length;
      const nOut = this.outputs.length;
      const buffers: number[] = [];
      const tensors: number[] = [];
      const sp = wasm.stackSave();
      try {
        const inNames = wasm.stackAlloc(4 * nIn);
        const inValues = wasm.stackAlloc(4 * nIn);
        const outNames = wasm.stackAlloc(4 * nOut);
        const outValues = wasm.stackAlloc(4 * nOut);
        for (let i = 0; i < nIn; i++) {
          const feed = feeds[this.inputs[i]!.name]!;
          const bytes = bytesOf(feed.data);
          const dataPtr = engine.malloc(bytes.byteLength, `cannot pass input \`${this.inputs[i]!.name}\``);
          buffers.push(dataPtr);
          wasm.HEAPU8.set(bytes, dataPtr);
          const dimsPtr = wasm.stackAlloc(4 * Math.max(1, feed.dims.length));
          feed.dims.forEach((d, j) => { wasm.HEAP32[(dimsPtr >> 2) + j] = d; });
          const tensor = wasm._OrtCreateTensor(onnxTypeId(feed.type), dataPtr, bytes.byteLength, dimsPtr, feed.dims.length, LOCATION_CPU);
          if (tensor === 0) throw engine.lastError('invalid-argument', `cannot pass input \`${this.inputs[i]!.name}\``);
          tensors.push(tensor);
          wasm.HEAPU32[(inNames >> 2) + i] = this.#namePtrs[i]!;
          wasm.HEAPU32[(inValues >> 2) + i] = tensor;
        }
        for (let i = 0; i < nOut; i++) {
          wasm.HEAPU32[(outNames >> 2) + i] = this.#namePtrs[nIn + i]!;
          wasm.HEAPU32[(outValues >> 2) + i] = 0;
        }
        const rc = wasm._OrtRun(this.#handle, inNames, inValues, nIn, outNames, nOut, outValues, this.#runOptions);
        for (let i = 0; i < nOut; i++) {
          const tensor = wasm.HEAPU32[(outValues >> 2) + i]!;
          if (tensor !== 0) tensors.push(tensor);
        }
        if (rc !== 0) throw engine.lastError('runtime-error', 'inference failed');
        const result: Record<string, NnTensor> = {};
        for (let i = 0; i < nOut; i++) {
          result[this.outputs[i]!.name] = readTensor(engine, wasm.HEAPU32[(outValues >> 2) + i]!, this.outputs[i]!.name);
        }
        return result;
      } finally {
        wasm.stackRestore(sp);
        for (const t of tensors) wasm._OrtReleaseTensor(t);
        for (const b of buffers) wasm._free(b);
      }
    });
  }

  release(): void {
    if (this.#handle === 0) return;
    const handle = this.#handle;
    this.#handle = 0;
    this.engine.forget(this);
    if (!this.engine.usable) return;
    this.engine.guard(() => {
      const wasm = this.engine.wasm;
      for (const p of this.#namePtrs) wasm._OrtFree(p);
      if (this.#runOptions !== 0) wasm._OrtReleaseRunOptions(this.#runOptions);
      wasm._OrtReleaseSession(handle);
    });
  }
}

/** Decodes onnxruntime-web's metadata record: [elementType i32, rank u32, symbolic name ptrs[rank], dims[rank]]. */
function readValueInfo(wasm: OrtWasmInstance, name: string, metadataPtr: number): NnValueInfo {
  try {
    const base = metadataPtr >> 2;
    const elementType = wasm.HEAP32[base]!;
    if (elementType === 0) return { name, type: undefined, dims: [] }; // not a tensor (sequence, map)
    const rank = wasm.HEAPU32[base + 1]!;
    const dims: Array<number | string> = [];
    for (let i = 0; i < rank; i++) {
      const symbolic = wasm.HEAPU32[base + 2 + i]!;
      dims.push(symbolic !== 0 ? wasm.UTF8ToString(symbolic) : wasm.HEAP32[base + 2 + rank + i]!);
    }
    return { name, type: typeFromOnnxId(elementType), dims };
  } finally {
    wasm._OrtFree(metadataPtr);
  }
}

/** Copies an output tensor out of the engine's memory. */
function readTensor(engine: OrtWasmEngine, tensor: number, name: string): NnTensor {
  const wasm = engine.wasm;
  const p = wasm.stackAlloc(16);
  if (wasm._OrtGetTensorData(tensor, p, p + 4, p + 8, p + 12) !== 0) throw engine.lastError('runtime-error', `cannot read output \`${name}\``);
  const typeId = wasm.HEAP32[p >> 2]!;
  const dataPtr = wasm.HEAPU32[(p + 4) >> 2]!;
  const dimsPtr = wasm.HEAPU32[(p + 8) >> 2]!;
  const rank = wasm.HEAPU32[(p + 12) >> 2]!;
  const dims = Array.from(wasm.HEAP32.subarray(dimsPtr >> 2, (dimsPtr >> 2) + rank));
  wasm._OrtFree(dimsPtr);
  const type = typeFromOnnxId(typeId);
  if (typeId === ONNX_STRING) wasm._free(dataPtr); // string data is a copy the caller owns
  if (type === undefined) throw new NnError('unsupported-operation', `output \`${name}\` has ONNX element type ${typeId}, which this runtime does not support`);
  const data = allocateData(type, elementCount(dims));
  bytesOf(data).set(wasm.HEAPU8.subarray(dataPtr, dataPtr + data.byteLength));
  return { type, dims, data };
}
