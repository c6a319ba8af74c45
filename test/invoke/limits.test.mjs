import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, DeadlineExceededError, FuelExhaustedError } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';

const rt = createRuntime({ cacheDir: tempCache() });

test('fuel: exhaustion is FUEL_EXHAUSTED, deterministic, and the next call works', async () => {
  const fn = await rt.load('compute-fuel', guest('compute'), { limits: { fuel: 200_000 } });
  const small = await fn.invoke('fib-rec', [10]);
  assert.ok(small.stats.fuelUsed > 0 && small.stats.fuelUsed < 200_000, `fuelUsed ${small.stats.fuelUsed}`);
  const again = await fn.invoke('fib-rec', [10]);
  assert.is(again.stats.fuelUsed, small.stats.fuelUsed, 'same fuel every run');
  const err = await rejection(fn.call('fib-rec', 40));
  assert.instance(err, FuelExhaustedError);
  assert.is(err.code, 'FUEL_EXHAUSTED');
  assert.is(await fn.call('fib-rec', 10), 55n);
});

test('fuel is exact at the end of a call: it succeeds iff it used at most its fuel', async () => {
  const used = (await (await rt.load('compute-exact', guest('compute'))).invoke('fib-rec', [12])).stats.fuelUsed;
  for (const fuel of [used - 3, used - 2, used - 1]) {
    const fn = await rt.load(`compute-exact-${fuel}`, guest('compute'), { limits: { fuel } });
    assert.is((await rejection(fn.call('fib-rec', 12))).code, 'FUEL_EXHAUSTED', `fuel ${fuel} of ${used}`);
  }
  const fn = await rt.load('compute-exact-enough', guest('compute'), { limits: { fuel: used } });
  const inv = await fn.invoke('fib-rec', [12]);
  assert.is(inv.value, 144n);
  assert.is(inv.stats.fuelUsed, used);
});

test('fuel grows with the work done', async () => {
  const fn = await rt.load('compute-fuel2', guest('compute'));
  const a = (await fn.invoke('sort', [1000, 1])).stats.fuelUsed;
  const b = (await fn.invoke('sort', [4000, 1])).stats.fuelUsed;
  assert.ok(b > 3 * a, `sort 1000: ${a}, sort 4000: ${b}`);
});

test('deadline: spin is stopped with DEADLINE_EXCEEDED near its deadline; the next call works', async () => {
  const fn = await rt.load('spin', guest('spin'), { limits: { timeoutMs: 20 } });
  const t0 = performance.now();
  const err = await rejection(fn.call('spin'));
  const elapsed = performance.now() - t0;
  assert.instance(err, DeadlineExceededError);
  assert.is(err.code, 'DEADLINE_EXCEEDED');
  assert.ok(elapsed >= 20 && elapsed < 500, `stopped after ${elapsed.toFixed(1)} ms`);
  assert.type(await fn.call('spin-for', 10n), 'bigint');
});

test('a caller deadline (invoke deadlineAt) ends the call before limits.timeoutMs would', async () => {
  const fn = await rt.load('spin-caller-deadline', guest('spin'), { limits: { timeoutMs: 10_000 } });
  const t0 = performance.now();
  const err = await rejection(fn.invoke('spin', [], { deadlineAt: t0 + 30 }));
  const elapsed = performance.now() - t0;
  assert.instance(err, DeadlineExceededError);
  assert.ok(elapsed >= 30 && elapsed < 5000, `stopped after ${elapsed.toFixed(1)} ms`);
  assert.ok(Math.abs(err.timeoutMs - 30) < 5, `the error names the caller's budget: ${err.timeoutMs}`);
  // A later deadline than timeoutMs does not extend it; no deadline leaves timeoutMs alone.
  const short = await rt.load('spin-caller-deadline2', guest('spin'), { limits: { timeoutMs: 20 } });
  const t1 = performance.now();
  await rejection(short.invoke('spin', [], { deadlineAt: t1 + 60_000 }));
  assert.ok(performance.now() - t1 < 5000, 'stopped by timeoutMs 20, not by the 60 s deadline');
  assert.type(await fn.call('spin-for', 10n), 'bigint');
});

test('host imports see the running call\'s deadline, and none outside a call', async () => {
  const { remainingCallMs } = await import('../../dist/limits/call-deadline.js');
  const seen = [];
  const host = { get: () => { seen.push(remainingCallMs()); return undefined; }, set: () => {}, log: () => {} };
  const kv = await rt.load('kv-deadline', guest('kv'), { imports: { 'sfirt:kv/store': host, 'sfirt:kv/log': host }, limits: { timeoutMs: 5000 } });
  await kv.call('incr', 'a');
  await kv.invoke('incr', ['a'], { deadlineAt: performance.now() + 100 });
  assert.is(seen.length, 2);
  assert.ok(seen[0] > 4000 && seen[0] <= 5000, `timeoutMs: ${seen[0]}`);
  assert.ok(seen[1] > 0 && seen[1] <= 100, `caller deadline: ${seen[1]}`);
  assert.is(remainingCallMs(), undefined);
});

test('fuel stops spin too', async () => {
  const fn = await rt.load('spin-fuel', guest('spin'), { limits: { fuel: 1_000_000 } });
  assert.is((await rejection(fn.call('spin'))).code, 'FUEL_EXHAUSTED');
});

test('deadline stops unbounded recursion or it overflows the stack, either way typed', async () => {
  const fn = await rt.load('recurse', guest('recurse'), { limits: { timeoutMs: 1000 } });
  const err = await rejection(fn.call('forever'));
  assert.ok(['TRAP', 'DEADLINE_EXCEEDED'].includes(err.code), err.code);
  assert.is(await fn.call('recurse', 100), 100);
});

test('memory: growth past the cap is refused inside the guest', async () => {
  const fn = await rt.load('alloc-capped', guest('alloc'), { limits: { memoryBytes: 4 * 1024 * 1024 } });
  assert.is(await fn.call('grow', 1024 * 1024), 1024 * 1024);
  assert.is(await fn.call('grow', 8 * 1024 * 1024), 0, 'refused, the guest sees -1 from memory.grow');
  const inv = await fn.invoke('memory-size');
  assert.ok(inv.stats.memoryBytes <= 4 * 1024 * 1024);
});

test('memory: a guest that traps after a refused grow is MEMORY_LIMIT_EXCEEDED', async () => {
  const fn = await rt.load('alloc-trap', guest('alloc'), { limits: { memoryBytes: 2 * 1024 * 1024 } });
  const err = await rejection(fn.call('grow-and-use', 8 * 1024 * 1024));
  assert.is(err.code, 'MEMORY_LIMIT_EXCEEDED', err.message);
  assert.is(await fn.call('grow', 65536), 65536);
});

test('memory: a cap below the declared minimum fails at load with both numbers', async () => {
  const err = await rejection(rt.load('hello-tiny', guest('hello'), { limits: { memoryBytes: 65536 / 2 } }));
  assert.is(err.code, 'LIMIT_TOO_LOW', err.message);
  assert.match(err.message, /\d+.*\d+/);
});

test('invalid limits are INVALID_ARGUMENT', async () => {
  for (const limits of [{ fuel: -1 }, { fuel: 1.5 }, { timeoutMs: 'soon' }, { memoryBytes: 0 }]) {
    const err = await rejection(rt.load('bad-limits', guest('alloc'), { limits }));
    assert.is(err.code, 'INVALID_ARGUMENT', JSON.stringify(limits));
  }
});

test.run();
