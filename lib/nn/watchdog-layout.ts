/**
 * The shared control block between a thread that runs wasm inference engines and its watchdog
 * thread (`watchdog.ts` / `watchdog-thread.ts`). Int32 slots are read and written with `Atomics`;
 * times are BigInt64 microseconds on the process's monotonic clock (`process.hrtime`), which both
 * threads read alike.
 */

/** Int32 slots. */
export const STATE = 0;
export const WAKE = 1;
export const ENGINE = 2;
export const SOFT_ADDR = 3;
export const HARD_ADDR = 4;
export const FIRED = 5;
/** BigInt64 slots (index into a BigInt64Array over the same buffer). */
export const SOFT_AT = 4;
/** Hard stop this many µs after the soft one actually fired (the watchdog may wake late). */
export const GRACE = 5;
export const SLEEP_UNTIL = 6;
/** When the soft stop fired (µs), written by the watchdog. */
export const SOFT_FIRED_AT = 7;
export const CONTROL_BYTES = 64;

/** `STATE` values. */
export const IDLE = 0;
export const ARMED = 1;
/** The watchdog is writing a flag; the owner waits before disarming. */
export const FIRING = 2;

/** `FIRED` bits. */
export const FIRED_SOFT = 1;
export const FIRED_HARD = 2;

/** "Never", in µs. */
export const NEVER = 2n ** 62n;

/** Now, in µs on the clock shared by every thread of the process. */
export function nowMicros(): bigint {
  return toMicros(performance.now());
}

/** A `performance.now()` time of this thread in µs on the shared clock. */
export function toMicros(perfMs: number): bigint {
  return BigInt(Math.round((performance.timeOrigin + perfMs) * 1000));
}

/** Messages to the watchdog thread. */
export type WatchdogMessage =
  | { kind: 'register'; id: number; memory: WebAssembly.Memory }
  | { kind: 'unregister'; id: number };
