// The inference watchdog: writes the soft byte at the deadline and the hard byte a grace period
// after, never writes for a run that was disarmed in time, and arming is cheap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIRED_HARD, FIRED_SOFT, InferenceWatchdog } from '../../dist/nn/watchdog.js';

const SOFT = 100;
const HARD = 200;
const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
const bytes = new Uint8Array(memory.buffer);
const watched = await (await InferenceWatchdog.forThisThread()).watch(memory);

/** Busy-waits (the thread running inference is busy too) until `until` or `byte` is set. */
function spinUntil(until, addr) {
  while (performance.now() < until) if (addr !== undefined && Atomics.load(bytes, addr) !== 0) return performance.now();
  return undefined;
}

test.after.each(() => {
  watched.disarm();
  bytes[SOFT] = 0;
  bytes[HARD] = 0;
});

test('at the deadline the soft byte is written, the hard byte a grace period after it', () => {
  const t0 = performance.now();
  watched.arm(SOFT, HARD, t0 + 30, 20);
  const soft = spinUntil(t0 + 2000, SOFT);
  const hard = spinUntil(t0 + 2000, HARD);
  const fired = watched.disarm();
  assert.ok(soft !== undefined && hard !== undefined, 'both written');
  console.log(`  soft seen ${(soft - t0 - 30).toFixed(2)} ms after the deadline, hard ${(hard - soft).toFixed(2)} ms after soft (grace 20)`);
  assert.ok(soft >= t0 + 30, 'not before the deadline');
  assert.ok(hard >= t0 + 30 + 20, 'not before the deadline plus the grace');
  assert.is(fired, FIRED_SOFT | FIRED_HARD);
});

test('a run disarmed before its deadline is never written to, even by a watchdog that wakes later', () => {
  const t0 = performance.now();
  watched.arm(SOFT, HARD, t0 + 200, 0);
  spinUntil(t0 + 5);
  const fired = watched.disarm();
  const disarmedAt = performance.now() - t0;
  spinUntil(t0 + 300, SOFT);
  if (disarmedAt >= 200) {
    console.log(`  (this thread was descheduled past the deadline: disarmed after ${disarmedAt.toFixed(1)} ms)`);
    return;
  }
  assert.is(fired, 0);
  assert.is(bytes[SOFT], 0);
  assert.is(bytes[HARD], 0);
});

test('a nearer deadline wakes a watchdog sleeping until a later one; no soft address means hard only', () => {
  let t0 = performance.now();
  watched.arm(SOFT, HARD, t0 + 10_000, 0);
  assert.is(watched.disarm(), 0);
  t0 = performance.now();
  watched.arm(0, HARD, t0 + 15, 0);
  const hard = spinUntil(t0 + 2000, HARD);
  assert.is(watched.disarm(), FIRED_SOFT | FIRED_HARD);
  assert.ok(hard !== undefined && hard - t0 < 1000, 'the watchdog woke for the nearer deadline');
  assert.is(bytes[SOFT], 0, 'nothing written at address 0 stands for no soft stop');
});

test('arming and disarming costs about a microsecond and never fires for far deadlines', () => {
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    watched.arm(SOFT, HARD, performance.now() + 10_000, 20);
    assert.is(watched.disarm(), 0);
  }
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`  arm + disarm: ${us.toFixed(2)} µs`);
  assert.ok(us < 50);
  assert.is(bytes[SOFT] + bytes[HARD], 0);
});

test.run();
