import type { NnTensor, NnValueInfo } from './tensor.js';

/** Which onnxruntime build runs inference. */
export type NnBackend = 'wasm' | 'native';

/**
 * A loaded model. Every method is synchronous, so a host function called by a guest (which cannot
 * await on Node 20) can run inference.
 */
export interface NnSession {
  /** The model's inputs, in declaration order. */
  readonly inputs: readonly NnValueInfo[];
  /** The model's outputs, in declaration order. */
  readonly outputs: readonly NnValueInfo[];
  /**
   * Runs the model on `feeds` (one tensor per input name) and returns every output by name.
   * Throws `NnError`: `invalid-argument` when a feed does not match the model, `runtime-error`
   * when onnxruntime fails (with `outOfMemory` set when the engine's memory cap was hit),
   * `timeout` when the run was stopped at `options.deadline`, `too-large` when the outputs exceed
   * `options.maxOutputBytes` (checked before they are copied out of the engine).
   */
  run(feeds: Record<string, NnTensor>, options?: NnRunOptions): Record<string, NnTensor>;
  /** Frees the session's engine resources. Idempotent. */
  release(): void;
  /**
   * False once released, or once its engine lost it (the wasm engine restored after a trap); a
   * model that is not alive has to be loaded again.
   */
  readonly alive: boolean;
}

/** Options of one {@link NnSession.run}. */
export interface NnRunOptions {
  /**
   * Return every output's `data` as its raw little-endian bytes (`Uint8Array`) rather than a typed
   * array of its element type. Saves a re-view for callers that want bytes (wasi:nn); engines whose
   * outputs are already bytes-backed may ignore it.
   */
  rawOutputs?: boolean;
  /**
   * `performance.now()` time at which the run is stopped (`NnError('timeout')`). The wasm engine
   * asks onnxruntime to stop at the next node and, a few ms later, traps it (the engine is then
   * unusable); the native engine kills its process.
   */
  deadline?: number;
  /** Largest total size of the outputs, in bytes; more is `too-large`, refused before copying. */
  maxOutputBytes?: number;
}

/** Options of one {@link NnEngine.createSession}. */
export interface NnSessionOptions {
  /** `performance.now()` time at which loading is stopped (`timeout`; the engine is unusable after). */
  deadline?: number;
}

/** One inference engine: a separate onnxruntime instance with its own memory (wasm) or the shared native runtime. */
export interface NnEngine {
  readonly backend: NnBackend;
  /** False once the engine failed in a way that leaves its state unknown; create a new engine. */
  readonly usable: boolean;
  /**
   * Parses `model` (ONNX bytes) into a session. Throws `NnError`: `invalid-encoding` for bytes that
   * are not a valid ONNX model, `runtime-error` (with `outOfMemory`) when the engine's memory cap
   * is too small for it, `timeout` when `options.deadline` passed while loading.
   */
  createSession(model: Uint8Array, options?: NnSessionOptions): NnSession;
  /** Releases every session and the engine itself. Idempotent. */
  dispose(): void;
}

/** Options shared by both engines. */
export interface NnEngineOptions {
  /** Threads onnxruntime may use for one inference. Only 1 is supported by the wasm engine. */
  threads?: number;
}
