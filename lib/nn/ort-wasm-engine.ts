import { BackendUnavailableError, InvalidArgumentError, LimitTooLowError } from '../errors.js';
import type { NnEngine, NnEngineOptions, NnRunOptions, NnSession, NnSessionOptions } from './engine.js';
import { EngineSnapshot } from './engine-snapshot.js';
import { engineError, NnError, printable, type NnErrorCode } from './errors.js';
import { instantiateOrtWasm, ORT_WASM_INITIAL_PAGES, type OrtWasmInstance, type OrtWasmModuleOptions } from './ort-wasm-module.js';
import { FIRED_HARD, FIRED_SOFT, InferenceWatchdog, type WatchedEngine } from './watchdog.js';
import {
  allocateData, bytesOf, checkFeeds, elementBytes, elementCount, onnxTypeId, typeFromOnnxId,
  type NnTensor, type NnTensorType, type NnValueInfo,
} from './tensor.js';

/** Default cap on one wasm engine's linear memory: 256 MiB. */
export const DEFAULT_ENGINE_MEMORY_MAX_BYTES = 256 * 1024 * 1024;
/** The smallest cap an engine can start with: the glue's initial 16 MiB memory. */
export const MIN_ENGINE_MEMORY_BYTES = ORT_WASM_INITIAL_PAGES * 65536;

/**
 * How long after a run's deadline the engine is stopped hard (trapped and restored to its state
 * after start, which loses every loaded model) when it has not stopped on its own at a node
 * boundary: one node running past this is what it takes. Also what a busy machine may take to
 * schedule the engine's thread again, so it is not much shorter.
 */
export const HARD_STOP_GRACE_MS = 20;

/** Options for {@link createOrtWasmEngine}. */
export interface OrtWasmEngineOptions extends NnEngineOptions, OrtWasmModuleOptions {
  /** Cap on the engine's linear memory, in bytes (rounded down to 64 KiB pages). Default 256 MiB. */
  memoryMaxBytes?: number;
  /** See {@link HARD_STOP_GRACE_MS}. */
  hardStopGraceMs?: number;
}

// onnxruntime's OrtErrorCode values (onnxruntime_c_api.h).
const ORT_INVALID_ARGUMENT = 2;
const ORT_NO_MODEL = 4;
const ORT_INVALID_PROTOBUF = 7;
const ORT_NOT_IMPLEMENTED = 9;
const ORT_INVALID_GRAPH = 10;
/**
 * `_OrtInit`/session/run logging: 4 = fatal only. Errors (3) are logged to the host's stderr, and
 * a guest can make onnxruntime fail at will: it must not be able to write there.
 */
const LOG_FATAL = 4;
/** Byte offset of `terminate` in onnxruntime's `OrtRunOptions` (wasm32; checked at engine start). */
const TERMINATE_OFFSET = 20;
const GRAPH_OPTIMIZATION_ALL = 99;
const LOCATION_CPU = 1;
const ONNX_STRING = 8;
/**
 * Inputs up to this size keep their engine-heap buffer and tensor between runs, and a run's outputs
 * up to this size in all are kept for the next run; larger ones are freed after each run so one big
 * batch does not pin engine memory other sessions may need.
 */
export const MAX_KEPT_TENSOR_BYTES = 4 * 1024 * 1024;

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
  const grace = options.hardStopGraceMs ?? HARD_STOP_GRACE_MS;
  if (!(grace >= 0)) throw new InvalidArgumentError(`hardStopGraceMs must be a non-negative number, got ${grace}`);
  const pages = Math.min(65536, Math.floor(maxBytes / 65536));
  const [start, watchdog] = await Promise.all([
    instantiateOrtWasm(pages, options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    InferenceWatchdog.forThisThread(),
  ]);
  const watched = await watchdog.watch(start.state.memory);
  const engine = new OrtWasmEngine(start.wasm, pages * 65536, watched, grace);
  try {
    engine.guard(() => {
      const wasm = start.wasm;
      if (wasm._OrtInit(1, LOG_FATAL) !== 0) throw engine.lastError('runtime-error', 'cannot initialise onnxruntime');
      const stop = engine.malloc(8, 'cannot start the engine');
      wasm.HEAPU8.fill(0, stop, stop + 8);
      start.stopFlag.value = stop;
      const runOptions = wasm._OrtCreateRunOptions(LOG_FATAL, 0, false, 0);
      if (runOptions === 0) throw engine.lastError('runtime-error', 'cannot create run options');
      checkTerminateOffset(wasm);
      engine.started(runOptions, stop, new EngineSnapshot(start.state));
    });
  } catch (err) {
    engine.dispose();
    throw err;
  }
  return engine;
}

/** Checks that `terminate` sits where the watchdog will write it (another onnxruntime build may differ). */
function checkTerminateOffset(wasm: OrtWasmInstance): void {
  const off = wasm._OrtCreateRunOptions(LOG_FATAL, 0, false, 0);
  const on = wasm._OrtCreateRunOptions(LOG_FATAL, 0, true, 0);
  const ok = off !== 0 && on !== 0 && wasm.HEAPU8[off + TERMINATE_OFFSET] === 0 && wasm.HEAPU8[on + TERMINATE_OFFSET] === 1;
  if (off !== 0) wasm._OrtReleaseRunOptions(off);
  if (on !== 0) wasm._OrtReleaseRunOptions(on);
  if (!ok) throw new BackendUnavailableError('unrecognised onnxruntime-web build: OrtRunOptions.terminate is not where this runtime expects it');
}

class OrtWasmEngine implements NnEngine {
  readonly backend = 'wasm' as const;
  #wasm: OrtWasmInstance | undefined;
  #broken = false;
  readonly #sessions = new Set<OrtWasmSession>();
  /** The engine's one `OrtRunOptions` (runs are sequential) and the address of its `terminate` byte. */
  #runOptions = 0;
  #terminateAddr = 0;
  /** The stop byte the engine's loops check. */
  #stopAddr = 0;
  #snapshot: EngineSnapshot | undefined;
  /** Bumped by every restore: sessions of an older epoch are gone. */
  epoch = 0;

  constructor(wasm: OrtWasmInstance, readonly memoryMaxBytes: number, readonly watched: WatchedEngine, readonly hardStopGraceMs: number) {
    this.#wasm = wasm;
  }

  started(runOptions: number, stopAddr: number, snapshot: EngineSnapshot): void {
    this.#runOptions = runOptions;
    this.#terminateAddr = runOptions + TERMINATE_OFFSET;
    this.#stopAddr = stopAddr;
    this.#snapshot = snapshot;
  }

  /**
   * After a trap: puts the engine back in its state right after start (every session is lost) so
   * it serves again at once; an engine that cannot be restored is broken for good.
   */
  #recover(): void {
    this.epoch++;
    this.#sessions.clear();
    try {
      if (this.#snapshot === undefined) throw new Error('no snapshot');
      this.#snapshot.restore();
    } catch {
      this.#broken = true;
    }
  }

  /**
   * True when the last {@link watchdogged} call asked onnxruntime to stop at a node boundary (its
   * deadline passed): an error status from that run means `timeout`.
   */
  stoppedSoftly = false;

  /**
   * Runs `fn` (an `_OrtCreateSession`, say) under the watchdog: at `deadline` onnxruntime is
   * asked to stop between nodes (when `soft`; see {@link stoppedSoftly}), and
   * {@link hardStopGraceMs} after that (or at the deadline, without `soft`) the engine is stopped
   * hard: it traps, is restored to its state after start, and this throws `NnError('timeout')`.
   */
  watchdogged<T>(deadline: number | undefined, soft: boolean, fn: () => T): T {
    this.stoppedSoftly = false;
    if (deadline === undefined) return fn();
    this.watched.arm(soft ? this.#terminateAddr : 0, this.#stopAddr, deadline, soft ? this.hardStopGraceMs : 0);
    let fired = 0;
    try {
      const result = fn();
      fired = this.#disarm();
      return result;
    } catch (err) {
      fired = this.#disarm();
      if (fired & FIRED_HARD) {
        this.#recover();
        throw new NnError('timeout', 'inference ran past the caller\'s deadline and was stopped', { cause: err });
      }
      throw err;
    } finally {
      this.stoppedSoftly = (fired & FIRED_SOFT) !== 0;
    }
  }

  /**
   * `_OrtRun` under the watchdog, as {@link watchdogged} with `soft` (the per-inference path:
   * no closure). Returns onnxruntime's status code.
   */
  ortRun(deadline: number | undefined, handle: number, args: number, inValues: number, nIn: number, outNames: number, nOut: number, outValues: number): number {
    const wasm = this.wasm;
    this.stoppedSoftly = false;
    if (deadline === undefined) return wasm._OrtRun(handle, args, inValues, nIn, outNames, nOut, outValues, this.#runOptions);
    this.watched.arm(this.#terminateAddr, this.#stopAddr, deadline, this.hardStopGraceMs);
    let fired = 0;
    try {
      const rc = wasm._OrtRun(handle, args, inValues, nIn, outNames, nOut, outValues, this.#runOptions);
      fired = this.#disarm();
      return rc;
    } catch (err) {
      fired = this.#disarm();
      if (fired & FIRED_HARD) {
        this.#recover();
        throw new NnError('timeout', 'inference ran past the caller\'s deadline and was stopped', { cause: err });
      }
      throw err;
    } finally {
      this.stoppedSoftly = (fired & FIRED_SOFT) !== 0;
    }
  }

  /** Disarms the watchdog and clears what it may have set. */
  #disarm(): number {
    const fired = this.watched.disarm();
    const wasm = this.#wasm;
    if (fired !== 0 && wasm !== undefined) {
      Atomics.store(wasm.HEAPU8, this.#terminateAddr, 0);
      Atomics.store(wasm.HEAPU8, this.#stopAddr, 0);
    }
    return fired;
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
   * abort) leaves onnxruntime's state unknown, so the engine is restored to its state after start.
   */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** Throws when the engine cannot be used; the closure-free start of a {@link guard}ed block. */
  enter(): void {
    void this.wasm;
  }

  /**
   * What a guarded block throws for `err`: our own `NnError` as is; anything else (a wasm trap,
   * an Emscripten abort) restores the engine to its state after start (every model is lost).
   */
  failure(err: unknown): NnError {
    if (err instanceof NnError) return err;
    this.#recover();
    return engineError('runtime-error', 'inference engine failed; its models were unloaded', err);
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
      const message = messagePtr ? wasm.UTF8ToString(messagePtr, 4096) : `onnxruntime error ${code}`;
      if (/bad_alloc|failed to allocate/i.test(message)) return this.outOfMemory(what);
      let nnCode = fallback;
      if (fallback === 'invalid-encoding' && code === ORT_NOT_IMPLEMENTED) nnCode = 'unsupported-operation';
      if (fallback === 'runtime-error' && code === ORT_INVALID_ARGUMENT) nnCode = 'invalid-argument';
      if (fallback === 'runtime-error' && (code === ORT_INVALID_PROTOBUF || code === ORT_INVALID_GRAPH || code === ORT_NO_MODEL)) nnCode = 'invalid-encoding';
      return engineError(nnCode, what, message);
    } finally {
      wasm.stackRestore(sp);
    }
  }

  outOfMemory(what: string, bytes?: number): NnError {
    const detail = bytes === undefined ? '' : `; cannot allocate ${bytes} bytes`;
    return new NnError('runtime-error', `${what}: inference engine out of memory (cap ${this.memoryMaxBytes} bytes${detail})`, { outOfMemory: true });
  }

  /** `malloc` that turns a refusal into an out-of-memory error. */
  malloc(bytes: number, what: string): number {
    const ptr = this.wasm._malloc(Math.max(1, bytes));
    if (ptr === 0) throw this.outOfMemory(what, bytes);
    return ptr;
  }

  createSession(model: Uint8Array, options?: NnSessionOptions): NnSession {
    return this.guard(() => {
      const wasm = this.wasm;
      const modelPtr = this.malloc(model.byteLength, 'cannot load model');
      let sessionOptions = 0;
      let handle = 0;
      try {
        wasm.HEAPU8.set(model, modelPtr);
        sessionOptions = wasm._OrtCreateSessionOptions(GRAPH_OPTIMIZATION_ALL, false, false, 0, false, 0, 0, LOG_FATAL, 0, 0);
        if (sessionOptions === 0) throw this.lastError('runtime-error', 'cannot create session options');
        // onnxruntime does not look at a deadline while it parses and optimises: only a hard stop ends it.
        handle = this.watchdogged(options?.deadline, false, () => wasm._OrtCreateSession(modelPtr, model.byteLength, sessionOptions));
        if (handle === 0) throw this.lastError('invalid-encoding', 'cannot load model');
        const session = new OrtWasmSession(this, handle);
        handle = 0;
        this.#sessions.add(session);
        return session;
      } finally {
        if (this.usable) {
          if (handle !== 0) wasm._OrtReleaseSession(handle);
          if (sessionOptions !== 0) wasm._OrtReleaseSessionOptions(sessionOptions);
          wasm._free(modelPtr);
        }
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
    this.watched.dispose();
    this.#wasm = undefined; // the instance and its memory go with the last reference
  }
}

/**
 * A tensor kept alive between runs: an engine-heap buffer and the onnxruntime tensor that wraps it
 * (onnxruntime-web's `_OrtCreateTensor` does not copy or own the data). An input run with the same
 * type and dimensions only copies the new bytes in; an output is written there by onnxruntime.
 */
interface TensorSlot {
  type: NnTensorType;
  dims: number[];
  dataPtr: number;
  byteLength: number;
  tensor: number;
}

class OrtWasmSession implements NnSession {
  readonly inputs: NnValueInfo[] = [];
  readonly outputs: NnValueInfo[] = [];
  /** C strings owned by onnxruntime (freed with `_OrtFree`), in inputs-then-outputs order. */
  readonly #namePtrs: number[] = [];
  /** One reusable input tensor per model input (index as in `inputs`). */
  readonly #slots: Array<TensorSlot | undefined> = [];
  /**
   * Output tensors onnxruntime writes into (index as in `outputs`), shaped as the last run's
   * outputs; valid while the input slots stay the same (same input shapes give the same output
   * shapes). Saves onnxruntime allocating, and us reading and releasing, every output per run.
   */
  #outSlots: TensorSlot[] | undefined;
  /** Set once onnxruntime refused kept outputs (data-dependent output shapes): never keep them again. */
  #outputsVary = false;
  #handle: number;
  /** The engine epoch this session was made in (a restore of the engine ends it). */
  readonly #epoch: number;
  /**
   * One engine-heap block, allocated once: input name pointers, input values, output name
   * pointers, output values (4 bytes each), then 16 bytes of scratch for reading outputs.
   */
  #runArgs = 0;

  constructor(readonly engine: OrtWasmEngine, handle: number) {
    this.#handle = handle;
    this.#epoch = engine.epoch;
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
      const nIn = this.inputs.length;
      const nOut = this.outputs.length;
      this.#runArgs = engine.malloc(8 * (nIn + nOut) + 16, 'cannot create session');
      const base = this.#runArgs >> 2;
      for (let i = 0; i < nIn; i++) wasm.HEAPU32[base + i] = this.#namePtrs[i]!;
      for (let i = 0; i < nOut; i++) wasm.HEAPU32[base + 2 * nIn + i] = this.#namePtrs[nIn + i]!;
      for (let i = 0; i < nIn; i++) this.#slots.push(undefined);
    } catch (err) {
      this.release();
      throw err;
    }
  }

  run(feeds: Record<string, NnTensor>, options?: NnRunOptions): Record<string, NnTensor> {
    if (this.#handle === 0) throw new NnError('runtime-error', 'session is released');
    if (!this.alive) throw new NnError('runtime-error', 'the inference engine was restarted since this model was loaded; load it again');
    checkFeeds(this.inputs, feeds);
    const engine = this.engine;
    engine.enter();
    try {
      const wasm = engine.wasm;
      const nIn = this.inputs.length;
      const nOut = this.outputs.length;
      const args = this.#runArgs;
      const inValues = args + 4 * nIn;
      const outNames = args + 8 * nIn;
      const outValues = outNames + 4 * nOut;
      for (let i = 0; i < nIn; i++) {
        const feed = feeds[this.inputs[i]!.name]!;
        const slot = this.#slotFor(i, feed);
        const data = feed.data;
        // The only copy of the input: caller's bytes → engine heap.
        wasm.HEAPU8.set(data instanceof Uint8Array ? data : bytesOf(data), slot.dataPtr);
        wasm.HEAPU32[(inValues >> 2) + i] = slot.tensor;
      }
      const outBase = outValues >> 2;
      let outSlots = this.#outSlots;
      for (let i = 0; i < nOut; i++) wasm.HEAPU32[outBase + i] = outSlots ? outSlots[i]!.tensor : 0;
      const handle = this.#handle;
      const deadline = options?.deadline;
      let rc = engine.ortRun(deadline, handle, args, inValues, nIn, outNames, nOut, outValues);
      if (rc !== 0 && outSlots && !engine.stoppedSoftly) {
        // A model whose output shapes depend on the data refuses kept outputs: run it as before.
        this.#releaseFailedOutputs(outBase, outSlots);
        this.#dropOutSlots();
        this.#outputsVary = true;
        outSlots = undefined;
        rc = engine.ortRun(deadline, handle, args, inValues, nIn, outNames, nOut, outValues);
      }
      const raw = options?.rawOutputs === true;
      if (rc !== 0) {
        this.#releaseFailedOutputs(outBase, outSlots);
        if (engine.stoppedSoftly) throw new NnError('timeout', 'inference ran past the caller\'s deadline and was stopped');
        throw engine.lastError('runtime-error', 'inference failed');
      }
      const budget = options?.maxOutputBytes ?? Infinity;
      let outputBytes = 0;
      const result: Record<string, NnTensor> = {};
      let failure: unknown;
      let replaced = false;
      for (let i = 0; i < nOut; i++) {
        const tensor = wasm.HEAPU32[outBase + i]!;
        const slot = outSlots?.[i];
        if (slot !== undefined && tensor === slot.tensor) {
          if (failure === undefined) {
            outputBytes += slot.byteLength;
            if (outputBytes > budget) failure = tooLarge(budget);
            else result[this.outputs[i]!.name] = copyOut(wasm, slot.type, slot.dims.slice(), slot.dataPtr, raw);
          }
          continue;
        }
        replaced ||= slot !== undefined;
        try {
          if (failure === undefined) {
            const out = readTensor(engine, tensor, this.outputs[i]!.name, outValues + 4 * nOut, raw, budget - outputBytes);
            outputBytes += out.data.byteLength;
            result[this.outputs[i]!.name] = out;
          }
        } catch (err) {
          failure = err;
        } finally {
          wasm._OrtReleaseTensor(tensor);
        }
      }
      if (failure !== undefined) throw failure;
      if (replaced) this.#dropOutSlots();
      else if (!outSlots && !this.#outputsVary) this.#keepOutputs(result);
      return result;
    } catch (err) {
      throw engine.failure(err);
    } finally {
      this.#dropLargeSlots();
    }
  }

  /** False once released, or once the engine was restored (its memory no longer holds this session). */
  get alive(): boolean {
    return this.#handle !== 0 && this.#epoch === this.engine.epoch && this.engine.usable;
  }

  /** Frees kept inputs above {@link MAX_KEPT_TENSOR_BYTES}; a failure here marks the engine broken. */
  #dropLargeSlots(): void {
    if (!this.alive) return;
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      if (slot === undefined || slot.byteLength <= MAX_KEPT_TENSOR_BYTES || !this.engine.usable) continue;
      try {
        this.#dropSlot(i);
      } catch (err) {
        this.engine.failure(err);
      }
    }
  }

  /**
   * The reusable tensor for input `index` shaped like `feed` (already checked against the model),
   * replacing the cached one when the type or dimensions changed.
   */
  #slotFor(index: number, feed: NnTensor): TensorSlot {
    const cached = this.#slots[index];
    if (cached !== undefined && cached.type === feed.type && sameDims(cached.dims, feed.dims)) return cached;
    this.#dropSlot(index);
    this.#dropOutSlots(); // new input shapes may give new output shapes
    const slot = createSlot(this.engine, feed.type, feed.dims, feed.data.byteLength, 'invalid-argument', `cannot pass input \`${printable(this.inputs[index]!.name)}\``);
    this.#slots[index] = slot;
    return slot;
  }

  /**
   * Creates output tensors shaped like `outputs` (the first run with these input shapes) for the
   * next runs, unless one is of a type we cannot pre-allocate or they are too large to keep.
   */
  #keepOutputs(outputs: Record<string, NnTensor>): void {
    let total = 0;
    for (const info of this.outputs) {
      const t = outputs[info.name];
      if (t === undefined) return;
      total += elementCount(t.dims) * elementBytes(t.type);
    }
    if (total > MAX_KEPT_TENSOR_BYTES) return;
    const slots: TensorSlot[] = [];
    try {
      for (const info of this.outputs) {
        const t = outputs[info.name]!;
        slots.push(createSlot(this.engine, t.type, t.dims, elementCount(t.dims) * elementBytes(t.type), 'runtime-error', `cannot keep output \`${printable(info.name)}\``));
      }
      this.#outSlots = slots;
    } catch {
      // Not keeping outputs only costs speed: free what was made and let onnxruntime allocate.
      for (const s of slots) freeSlot(this.engine.wasm, s);
    }
  }

  /**
   * After a failed run: releases the output tensors onnxruntime made (never the kept ones in
   * `kept`) and clears the output values for another run.
   */
  #releaseFailedOutputs(outBase: number, kept: TensorSlot[] | undefined): void {
    const wasm = this.engine.wasm;
    for (let i = 0; i < this.outputs.length; i++) {
      const tensor = wasm.HEAPU32[outBase + i]!;
      if (tensor !== 0 && tensor !== kept?.[i]?.tensor) wasm._OrtReleaseTensor(tensor);
      wasm.HEAPU32[outBase + i] = 0;
    }
  }

  /** Frees the kept output tensors, if any. */
  #dropOutSlots(): void {
    const slots = this.#outSlots;
    if (slots === undefined) return;
    this.#outSlots = undefined;
    for (const s of slots) freeSlot(this.engine.wasm, s);
  }

  /** Frees input `index`'s kept buffer and tensor, if any. */
  #dropSlot(index: number): void {
    const slot = this.#slots[index];
    if (slot === undefined) return;
    this.#slots[index] = undefined;
    freeSlot(this.engine.wasm, slot);
  }

  release(): void {
    if (this.#handle === 0) return;
    const alive = this.alive;
    const handle = this.#handle;
    this.#handle = 0;
    this.engine.forget(this);
    if (!alive) return; // the engine's memory no longer holds it
    if (!this.engine.usable) return;
    this.engine.guard(() => {
      const wasm = this.engine.wasm;
      for (const slot of this.#slots) if (slot !== undefined) freeSlot(wasm, slot);
      this.#slots.length = 0;
      this.#dropOutSlots();
      if (this.#runArgs !== 0) wasm._free(this.#runArgs);
      for (const p of this.#namePtrs) wasm._OrtFree(p);
      wasm._OrtReleaseSession(handle);
    });
  }
}

/**
 * An engine-heap buffer of `byteLength` bytes and the onnxruntime tensor of `type` and `dims` that
 * wraps it; failures free what was made and throw `NnError(code)` with `what`.
 */
function createSlot(engine: OrtWasmEngine, type: NnTensorType, dims: readonly number[], byteLength: number, code: NnErrorCode, what: string): TensorSlot {
  const wasm = engine.wasm;
  const dataPtr = engine.malloc(byteLength, what);
  const sp = wasm.stackSave();
  try {
    const rank = dims.length;
    const dimsPtr = wasm.stackAlloc(4 * Math.max(1, rank));
    for (let j = 0; j < rank; j++) wasm.HEAP32[(dimsPtr >> 2) + j] = dims[j]!;
    const tensor = wasm._OrtCreateTensor(onnxTypeId(type), dataPtr, byteLength, dimsPtr, rank, LOCATION_CPU);
    if (tensor === 0) throw engine.lastError(code, what);
    return { type, dims: dims.slice(), dataPtr, byteLength, tensor };
  } catch (err) {
    wasm._free(dataPtr);
    throw err;
  } finally {
    wasm.stackRestore(sp);
  }
}

/** Releases a slot's tensor and frees its buffer. */
function freeSlot(wasm: OrtWasmInstance, slot: TensorSlot): void {
  wasm._OrtReleaseTensor(slot.tensor);
  wasm._free(slot.dataPtr);
}

/** Whether two dimension lists are equal. */
function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

/**
 * Copies an output tensor out of the engine's memory (the one copy of the output). `scratch` is 16
 * bytes of engine memory for onnxruntime's out-parameters.
 */
function readTensor(engine: OrtWasmEngine, tensor: number, name: string, scratch: number, raw: boolean, budget: number): NnTensor {
  const wasm = engine.wasm;
  const p = scratch;
  if (wasm._OrtGetTensorData(tensor, p, p + 4, p + 8, p + 12) !== 0) throw engine.lastError('runtime-error', `cannot read output \`${printable(name)}\``);
  const typeId = wasm.HEAP32[p >> 2]!;
  const dataPtr = wasm.HEAPU32[(p + 4) >> 2]!;
  const dimsPtr = wasm.HEAPU32[(p + 8) >> 2]!;
  const rank = wasm.HEAPU32[(p + 12) >> 2]!;
  const dims: number[] = [];
  const heap32 = wasm.HEAP32;
  for (let i = 0; i < rank; i++) dims.push(heap32[(dimsPtr >> 2) + i]!);
  wasm._OrtFree(dimsPtr);
  const type = typeFromOnnxId(typeId);
  if (typeId === ONNX_STRING) wasm._free(dataPtr); // string data is a copy the caller owns
  if (type === undefined) throw new NnError('unsupported-operation', `output \`${printable(name)}\` has ONNX element type ${typeId}, which this runtime does not support`);
  // Checked before anything is copied out of the engine.
  if (elementCount(dims) * elementBytes(type) > budget) throw tooLarge(budget);
  return copyOut(wasm, type, dims, dataPtr, raw);
}

function tooLarge(budget: number): NnError {
  return new NnError('too-large', `the model's outputs exceed the ${budget} bytes this call may receive`);
}

/** Outputs up to this many bytes are copied out by a loop (see `copyOut`). */
const SMALL_COPY_BYTES = 64;

/** Copies a tensor's data out of the engine's memory: raw bytes, or a typed array of its type. */
function copyOut(wasm: OrtWasmInstance, type: NnTensorType, dims: number[], dataPtr: number, raw: boolean): NnTensor {
  const count = elementCount(dims);
  const byteLength = count * elementBytes(type);
  // Fresh arrays of up to 64 bytes live on V8's heap; copying with `set` from a view of the engine's
  // memory (never reading `data.buffer`) keeps them there, saving ~1 µs per small output.
  if (raw) {
    const bytes = new Uint8Array(byteLength);
    const heap = wasm.HEAPU8;
    // A small output (a classifier's scores) byte by byte: no view of the engine's memory to make.
    if (byteLength <= SMALL_COPY_BYTES) for (let i = 0; i < byteLength; i++) bytes[i] = heap[dataPtr + i]!;
    else bytes.set(heap.subarray(dataPtr, dataPtr + byteLength));
    return { type, dims, data: bytes };
  }
  const data = allocateData(type, count);
  const Ctor = data.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => ArrayBufferView;
  if (dataPtr % elementBytes(type) === 0) (data as unknown as { set(src: ArrayBufferView): void }).set(new Ctor(wasm.HEAPU8.buffer, dataPtr, count));
  else bytesOf(data).set(wasm.HEAPU8.subarray(dataPtr, dataPtr + byteLength));
  return { type, dims, data };
}
