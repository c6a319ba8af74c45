/**
 * Stops wasm inference at a deadline, from another thread.
 *
 * A guest's `compute` runs onnxruntime-web synchronously on the guest's own thread, so nothing on
 * that thread can look at the clock until onnxruntime returns. The engine's memory is shared,
 * though, so a second thread can write into it while it runs. Each thread that owns engines gets
 * one watchdog thread; before a run the owner arms it with two addresses and two times:
 *
 * - soft (the deadline): the watchdog writes 1 into the run's `OrtRunOptions.terminate`, which
 *   onnxruntime checks before every node, also inside `Loop`/`Scan`/`If` bodies. The run returns
 *   an error status and the engine stays usable.
 * - hard (a grace period after the soft stop was written): for a single node that runs long, the
 *   watchdog writes the engine's stop byte, which the engine's code checks at loop headers
 *   (`lib/instrument/loop-check.ts`): it traps, and the engine is discarded (its state mid-kernel
 *   is unknown).
 *
 * The watchdog must be scheduled to act: on a machine whose cores are all busy, a stop comes as
 * late as the OS lets the watchdog thread run.
 *
 * Arming costs a few plain and atomic stores; the watchdog is woken (a futex call) only when the
 * new deadline is earlier than the one it already sleeps until, so a stream of calls with the
 * same timeout wakes it about once per timeout period.
 */
import { Worker } from 'node:worker_threads';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { BackendUnavailableError } from '../errors.js';
import {
  ARMED, CONTROL_BYTES, ENGINE, FIRED, FIRING, GRACE, HARD_ADDR, IDLE, ORIGIN, SLEEP_MS, SLEEPS_FOREVER,
  SOFT_ADDR, SOFT_AT, STATE, WAKE, type WatchdogMessage,
} from './watchdog-layout.js';

export { FIRED_HARD, FIRED_SOFT } from './watchdog-layout.js';

let thisThread: Promise<InferenceWatchdog> | undefined;

/** The watchdog of the current thread (started on first use). */
export class InferenceWatchdog {
  readonly #ctl: Int32Array;
  readonly #times: Float64Array;
  /** `performance.now()` of this thread → shared ms, and the origin of `SLEEP_MS`. */
  readonly #timeOrigin = performance.timeOrigin;
  readonly #origin: number;
  readonly #port: MessagePort;
  #nextId = 1;
  readonly #pending = new Map<number, () => void>();

  private constructor(control: SharedArrayBuffer, port: MessagePort) {
    this.#ctl = new Int32Array(control);
    this.#times = new Float64Array(control);
    this.#origin = this.#times[ORIGIN]!;
    this.#port = port;
    port.on('message', (msg: { kind: string; id: number }) => {
      if (msg.kind === 'registered') this.#pending.get(msg.id)?.();
    });
    port.unref();
  }

  /** The current thread's watchdog; rejects with `BackendUnavailableError` when its thread cannot start. */
  static forThisThread(): Promise<InferenceWatchdog> {
    thisThread ??= InferenceWatchdog.#start().catch((err: unknown) => {
      thisThread = undefined;
      throw new BackendUnavailableError(`cannot start the inference watchdog thread: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
    return thisThread;
  }

  static async #start(): Promise<InferenceWatchdog> {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    new Float64Array(control)[ORIGIN] = performance.timeOrigin + performance.now();
    new Int32Array(control)[SLEEP_MS] = SLEEPS_FOREVER;
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./watchdog-thread.js', import.meta.url), {
      workerData: { control, port: port2 },
      transferList: [port2],
      // A watchdog needs almost nothing; keep its heap small.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    // The watchdog never keeps the process alive.
    worker.unref();
    // A watchdog that dies (it should not) leaves runs unbounded: forget it so the next engine starts another.
    worker.once('exit', () => { thisThread = undefined; });
    return new InferenceWatchdog(control, port1);
  }

  /** Registers an engine's (shared) memory; resolves to the handle that arms runs on it. */
  async watch(memory: WebAssembly.Memory): Promise<WatchedEngine> {
    const id = this.#nextId++;
    const registered = new Promise<void>((resolve) => this.#pending.set(id, resolve));
    this.#post({ kind: 'register', id, memory });
    this.#wake();
    this.#port.ref();
    try {
      await registered;
    } finally {
      this.#pending.delete(id);
      this.#port.unref();
    }
    return new WatchedEngine(this, id);
  }

  /** Forgets an engine (its memory can then be collected). */
  unwatch(id: number): void {
    this.#post({ kind: 'unregister', id });
    this.#wake();
  }

  #post(msg: WatchdogMessage): void {
    this.#port.postMessage(msg);
  }

  /** Makes the watchdog re-read everything now. */
  #wake(): void {
    Atomics.add(this.#ctl, WAKE, 1);
    Atomics.notify(this.#ctl, WAKE);
  }

  /**
   * Arms a run of engine `id`: at `deadline` (`performance.now()` ms) the watchdog writes 1 at
   * `softAddr` (0 = nothing to write), and `graceMs` after it did, 1 at `hardAddr`. One run at a
   * time per thread.
   */
  arm(id: number, softAddr: number, hardAddr: number, deadline: number, graceMs: number): void {
    const ctl = this.#ctl;
    const times = this.#times;
    const soft = this.#timeOrigin + deadline;
    ctl[ENGINE] = id;
    ctl[SOFT_ADDR] = softAddr;
    ctl[HARD_ADDR] = hardAddr;
    ctl[FIRED] = 0;
    times[SOFT_AT] = soft;
    times[GRACE] = graceMs;
    Atomics.store(ctl, STATE, ARMED);
    Atomics.add(ctl, WAKE, 1);
    const sleeping = Atomics.load(ctl, SLEEP_MS);
    if (sleeping === SLEEPS_FOREVER || soft - this.#origin < sleeping) Atomics.notify(ctl, WAKE);
  }

  /** Ends the armed run; returns the `FIRED_*` bits of what the watchdog wrote. */
  disarm(): number {
    const ctl = this.#ctl;
    // FIRING lasts a few instructions on the other thread.
    while (Atomics.compareExchange(ctl, STATE, ARMED, IDLE) === FIRING) { /* spin */ }
    return ctl[FIRED]!;
  }
}

/** An engine known to the watchdog. */
export class WatchedEngine {
  #disposed = false;
  constructor(readonly watchdog: InferenceWatchdog, readonly id: number) {}

  /** See {@link InferenceWatchdog.arm}. */
  arm(softAddr: number, hardAddr: number, deadline: number, graceMs: number): void {
    this.watchdog.arm(this.id, softAddr, hardAddr, deadline, graceMs);
  }

  /** See {@link InferenceWatchdog.disarm}. */
  disarm(): number {
    return this.watchdog.disarm();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.watchdog.unwatch(this.id);
  }
}
