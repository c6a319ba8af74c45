/**
 * The inference engine a wasi:nn host uses, and its replacement when it breaks.
 *
 * A wasm engine that trapped (a hard stop at a deadline, a bug in onnxruntime) is discarded: its
 * state mid-run is unknown, and answers must stay exactly right. Starting an engine is
 * asynchronous (onnxruntime-web's module factory awaits) while a guest's wasi:nn call is not, so
 * the replacement starts in the background when the engine breaks, and calls fail with
 * `runtime-error` until it is ready (tens of ms). It is not started ahead of need: each engine
 * start runs onnxruntime's 890 KB initialisation function, and a second run in the same thread
 * crosses V8's tier-up budget for it (~11 s of TurboFan compilation, see ort-wasm-module.ts).
 * A wasm engine that trapped restores itself (`engine-snapshot.ts`); this replacement is for an
 * engine that cannot. Sessions of a replaced engine are no longer `alive`, and the model registry
 * re-creates named models on the new engine when next used.
 */
import type { NnEngine } from './engine.js';
import { NnError } from './errors.js';

export class EngineSlot {
  #engine: NnEngine;
  #standby: NnEngine | undefined;
  #starting: Promise<void> | undefined;
  #disposed = false;

  /**
   * @param first the engine to start with
   * @param start makes a replacement
   */
  constructor(first: NnEngine, readonly start: () => Promise<NnEngine>) {
    this.#engine = first;
  }

  /** The engine without swapping (may be unusable). */
  get engine(): NnEngine {
    return this.#engine;
  }

  /**
   * A usable engine: the current one, or the standby swapped in when the current one broke.
   * Throws `NnError('runtime-error')` when disposed, or broken with no standby ready yet (one is
   * being started; a later call succeeds).
   */
  current(): NnEngine {
    if (this.#disposed) throw new NnError('runtime-error', 'wasi:nn host is disposed');
    if (this.#engine.usable) return this.#engine;
    const standby = this.#standby;
    if (standby === undefined || !standby.usable) {
      this.#prepare();
      throw new NnError('runtime-error', 'the inference engine failed and is restarting; retry later');
    }
    this.#engine.dispose();
    this.#engine = standby;
    this.#standby = undefined;
    return standby;
  }

  /** Resolves once a replacement that is being started is ready (tests). */
  async ready(): Promise<void> {
    await this.#starting;
  }

  /** Starts a replacement engine in the background, unless one exists or is starting. */
  #prepare(): void {
    if (this.#standby !== undefined || this.#starting !== undefined || this.#disposed) return;
    this.#starting = this.start().then((engine) => {
      if (this.#disposed) engine.dispose();
      else this.#standby = engine;
    }, () => {
      // A failed start is retried by the next call that needs a standby.
    }).finally(() => { this.#starting = undefined; });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#engine.dispose();
    this.#standby?.dispose();
    this.#standby = undefined;
  }
}
