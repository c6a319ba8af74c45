/**
 * The shared control block between a thread that runs wasm inference engines and its watchdog
 * thread (`watchdog.ts` / `watchdog-thread.ts`). Int32 slots are read and written with `Atomics`;
 * the Float64 slots are plain, and ordered by the `STATE` handshake (the owner writes them before
 * storing ARMED, the watchdog reads them after claiming the arm). Times are milliseconds of
 * `performance.timeOrigin + performance.now()`, the clock deadlines are set on, which every thread
 * of the process reads alike (`process.hrtime` is another clock, drifting from it by a fraction of
 * a millisecond per second).
 */

/** Int32 slots. */
export const STATE = 0;
export const WAKE = 1;
export const ENGINE = 2;
export const SOFT_ADDR = 3;
export const HARD_ADDR = 4;
export const FIRED = 5;
/**
 * Whole milliseconds since `origin` (Float64 slot `ORIGIN`) until which the watchdog sleeps, or
 * {@link SLEEPS_FOREVER}; the owner wakes it only for an earlier deadline.
 */
export const SLEEP_MS = 6;
/** Float64 slots (index into a Float64Array over the same buffer). */
export const SOFT_AT = 4;
/** Hard stop this many ms after the soft one actually fired (the watchdog may wake late). */
export const GRACE = 5;
/** When the soft stop fired, written by the watchdog. */
export const SOFT_FIRED_AT = 6;
/** The time `SLEEP_MS` counts from, set once by the owner. */
export const ORIGIN = 7;
export const CONTROL_BYTES = 64;

/** `STATE` values. */
export const IDLE = 0;
export const ARMED = 1;
/** The watchdog is writing a flag; the owner waits before disarming. */
export const FIRING = 2;

/** `FIRED` bits. */
export const FIRED_SOFT = 1;
export const FIRED_HARD = 2;

export const SLEEPS_FOREVER = 0x7fffffff;

/** Now, in ms on the clock shared by every thread of the process. */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Messages to the watchdog thread. */
export type WatchdogMessage =
  | { kind: 'register'; id: number; memory: WebAssembly.Memory }
  | { kind: 'unregister'; id: number };
