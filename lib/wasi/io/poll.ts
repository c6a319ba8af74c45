/**
 * `wasi:io/poll`: pollables and `poll`. A pollable is ready at a time (`performance.now()` ms):
 * `-Infinity` for the streams of this runtime, which never wait, or a clock subscription's instant.
 *
 * Waiting blocks the guest's thread (guest calls are synchronous), so a wait never outlasts the
 * call: it stops at the call's deadline, or, in a call bounded only by fuel, when the fuel left
 * would not pay for more waiting (charged like engine time in `wasi:nn`, {@link FUEL_PER_MS}).
 * `block` and `poll` then return although nothing is ready; the meter stops the guest at its next
 * check. A subscription to a far future once blocked the whole thread for as long as the guest
 * asked (ten seconds under a 200 ms deadline), whatever else the thread had to serve.
 */
import { callDeadline, callFuel } from '../../limits/call-deadline.js';
import { TrapError } from '../../errors.js';

/** Fuel charged per millisecond waited, in calls bounded by fuel only (as `wasi:nn` engine time). */
export const FUEL_PER_MS = 1_000_000;

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function invalidHandle(): TrapError {
  return new TrapError('invalid-handle', 'wasm trap: not a live wasi:io pollable handle');
}

/**
 * Blocks the thread until `at` (`performance.now()` ms), or until the current call may wait no
 * longer. Returns true when `at` was reached.
 */
export function waitUntil(at: number): boolean {
  let now = performance.now();
  if (at <= now) return true;
  let until = at;
  const deadline = callDeadline.at;
  const meter = deadline === undefined ? callFuel.meter : undefined;
  const fuelLeft = meter?.fuelLeft ?? Infinity;
  if (deadline !== undefined) until = Math.min(until, deadline);
  else if (fuelLeft !== Infinity) until = Math.min(until, now + fuelLeft / FUEL_PER_MS);
  const start = now;
  while (now < until) {
    // Atomics.wait takes a finite timeout or none; a wait with no bound at all is the app's choice
    // (no deadline, no fuel limit).
    Atomics.wait(SLEEPER, 0, 0, until === Infinity ? undefined : until - now);
    now = performance.now();
  }
  if (meter && fuelLeft !== Infinity) meter.charge(Math.ceil((now - start) * FUEL_PER_MS));
  return now >= at;
}

export class Pollable {
  #at = -Infinity;

  /** A pollable that is ready at `at` (`performance.now()` ms); ready now by default. */
  static at(at = -Infinity): Pollable {
    const p = new Pollable();
    p.#at = at;
    return p;
  }

  /** When `p` is ready, or a trap for a handle the guest made up. */
  static readyAt(p: unknown): number {
    if (typeof p !== 'object' || p === null || !(#at in p)) throw invalidHandle();
    return (p as Pollable).#at;
  }

  ready(): boolean {
    return Pollable.readyAt(this) <= performance.now();
  }

  block(): void {
    waitUntil(Pollable.readyAt(this));
  }

  [Symbol.dispose](): void {}
}

/** A pollable that is always ready (streams of this runtime never wait). */
export function readyPollable(): Pollable {
  return Pollable.at(-Infinity);
}

/**
 * `poll`: the indices of the ready pollables, waiting for the earliest when none is (within the
 * call's bounds, see {@link waitUntil}: past them, an empty list). Traps for an empty list (as
 * WASI requires) and for handles the guest made up.
 */
export function poll(list: unknown): Uint32Array {
  if (!Array.isArray(list) || list.length === 0) throw new TrapError('unknown', 'wasm trap: poll of an empty list');
  const times = list.map((p) => Pollable.readyAt(p));
  let earliest = Infinity;
  for (const t of times) if (t < earliest) earliest = t;
  for (;;) {
    const now = performance.now();
    const ready: number[] = [];
    for (let i = 0; i < times.length; i++) if (times[i]! <= now) ready.push(i);
    if (ready.length) return Uint32Array.from(ready);
    if (!waitUntil(earliest)) return new Uint32Array(0);
  }
}
