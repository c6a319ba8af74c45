// Hostile components against an in-thread runtime, through both glues (test/limits/fixtures/
// hostile.mjs): a start function that never returns, bulk operations over big ranges, growth page
// by page, a table bomb, results and host-import arguments whose list elements all alias the same
// 1 MiB, values the canonical ABI rejects. Each ends in its typed error within a generous time
// bound, with host memory bounded, and the function and runtime keep serving afterwards.
// (test/limits/workers.test.mjs: the same on worker threads.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';
import { component } from './fixtures/hostile.mjs';

const rt = createRuntime({ cacheDir: tempCache() });
const MiB = 1024 * 1024;
/** Generous bound for "stopped promptly": the tests may share a loaded machine; the attacks run minutes or forever unstopped. */
const PROMPT_MS = 5000;
let names = 0;
const load = async (guestName, options) => rt.load(`${guestName}-${names++}`, await component(guestName), options);
const timed = async (promise) => { const t0 = performance.now(); const err = await rejection(promise); return { err, ms: performance.now() - t0 }; };
const rssMiB = () => process.memoryUsage().rss / MiB;

/** The runtime still answers an unrelated function. */
async function runtimeServes() {
  const hello = await rt.load(`hello-${names++}`, guest('hello'));
  assert.is(await hello.call('greet', 'x'), 'Hello, x!');
}

for (const glue of ['fast', 'jco']) {
  test(`[${glue}] an infinite start function is DEADLINE_EXCEEDED at load() (prewarm) and at the call that instantiates`, async () => {
    const bytes = await component('start-loop');
    await rt.load(`warm-cache-${glue}`, bytes, { glue, pool: { min: 0 } }); // transpile outside the timed part
    const atLoad = await timed(rt.load(`start-loop-${glue}`, bytes, { glue, limits: { timeoutMs: 200 } }));
    assert.is(atLoad.err.code, 'DEADLINE_EXCEEDED', atLoad.err.message);
    assert.ok(atLoad.ms < PROMPT_MS, `load took ${atLoad.ms.toFixed(0)} ms`);
    const fn = await rt.load(`start-loop-min0-${glue}`, bytes, { glue, pool: { min: 0 }, limits: { timeoutMs: 200 } });
    const atCall = await timed(fn.call('ok'));
    assert.is(atCall.err.code, 'DEADLINE_EXCEEDED', atCall.err.message);
    assert.ok(atCall.ms < PROMPT_MS, `call took ${atCall.ms.toFixed(0)} ms`);
    // A caller's own deadline bounds the instantiation too.
    const early = await timed(fn.invoke('ok', [], { deadlineAt: performance.now() + 50 }));
    assert.is(early.err.code, 'DEADLINE_EXCEEDED');
    // Fuel bounds it as well.
    const fuel = await rt.load(`start-loop-fuel-${glue}`, bytes, { glue, pool: { min: 0 }, limits: { fuel: 1_000_000 } });
    assert.is((await rejection(fuel.call('ok'))).code, 'FUEL_EXHAUSTED');
    await runtimeServes();
  });

  test(`[${glue}] a trapping start function is a typed TRAP; bulk work in a start function is stopped too`, async () => {
    const trap = await rejection(load('start-trap', { glue }));
    assert.is(trap.code, 'TRAP');
    assert.is(trap.trapKind, 'unreachable');
    const fill = await timed(load('start-fill', { glue, limits: { timeoutMs: 100 } }));
    assert.is(fill.err.code, 'DEADLINE_EXCEEDED', fill.err.message);
    await runtimeServes();
  });

  test(`[${glue}] bulk operations over big ranges are stopped by the deadline and by fuel; the function keeps serving`, async () => {
    const fn = await load('bulk', { glue, limits: { timeoutMs: 100 } });
    for (const [name, ...args] of [['fill-loop', 128 * MiB], ['fill-loop', 16 * MiB], ['copy-loop', 100 * MiB], ['init-loop'], ['table-fill-loop', 50_000], ['table-init-loop'], ['grow-zero-loop']]) {
      const { err, ms } = await timed(fn.call(name, ...args));
      assert.is(err.code, 'DEADLINE_EXCEEDED', `${name}: ${err.message}`);
      assert.ok(ms < PROMPT_MS, `${name} stopped after ${ms.toFixed(0)} ms`);
    }
    assert.is(await fn.call('fill-once', 4096, 9), 9);
    const fueled = await load('bulk', { glue, limits: { fuel: 1_000_000 } });
    assert.is((await rejection(fueled.call('fill-loop', 128 * MiB))).code, 'FUEL_EXHAUSTED');
    // Fuel follows the bytes: 16 MiB more costs 16 MiB / 64 more.
    const a = (await fueled.invoke('fill-once', [MiB, 1])).stats.fuelUsed;
    const b = (await fueled.invoke('fill-once', [17 * MiB, 1])).stats.fuelUsed;
    assert.is(b - a, (16 * MiB) / 64);
  });

  test(`[${glue}] growing memory page by page is bounded by the deadline`, async () => {
    const fn = await load('bulk', { glue, limits: { timeoutMs: 100 } });
    const t0 = performance.now();
    let outcome;
    try { outcome = await fn.call('grow-pages'); } catch (err) { outcome = err.code; }
    const ms = performance.now() - t0;
    // Either it reached the memory cap quickly or the deadline stopped it (each grow can cost a GC).
    assert.ok(outcome === 'DEADLINE_EXCEEDED' || (outcome === 4096 && ms < 1000), `${outcome} after ${ms.toFixed(0)} ms`);
    assert.ok(ms < PROMPT_MS, `${ms.toFixed(0)} ms`);
  });

  test(`[${glue}] the result and host-import arguments are budgeted: 20,000 aliases of 1 MiB are RESULT_LIMIT_EXCEEDED`, async () => {
    const sink = (items) => items.length;
    const imports = { sink: { sink, default: sink }, 'sink-bytes': { sinkBytes: sink, default: sink } };
    const fn = await load('amplify', { glue, imports, limits: { memoryBytes: 64 * MiB } });
    assert.is((await fn.call('strings', 3)).length, 3);
    const rss0 = rssMiB();
    for (const name of ['strings', 'byte-lists', 'send', 'send-bytes']) {
      const { err, ms } = await timed(fn.call(name, 20_000));
      assert.is(err.code, 'RESULT_LIMIT_EXCEEDED', `${name}: ${err.message}`);
      assert.ok(ms < PROMPT_MS);
    }
    const growth = rssMiB() - rss0;
    assert.ok(growth <= 256, `host RSS grew by ${growth.toFixed(0)} MiB`);
    // Under the budget (default: the memory cap) it works; every alias counts in full.
    assert.is((await fn.call('strings', 40)).length, 40);
    assert.is((await fn.call('send', 40)), undefined);
    assert.is((await rejection(fn.call('strings', 70))).code, 'RESULT_LIMIT_EXCEEDED');
    // An explicit budget, and none at all.
    const small = await load('amplify', { glue, imports, limits: { resultBytes: MiB - 1 } });
    assert.is((await rejection(small.call('strings', 1))).code, 'RESULT_LIMIT_EXCEEDED');
    assert.equal(await small.call('strings', 0), []);
    const none = await load('amplify', { glue, imports, limits: { memoryBytes: 4 * MiB, resultBytes: null } });
    assert.is((await none.call('byte-lists', 8)).length, 8);
  });

  test(`[${glue}] a loop around a slow app import stops at the deadline (the clock is read when an import returns)`, async () => {
    const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
    let calls = 0;
    const fn = await rt.load(`slow-import-${glue}`, await component('slow-import-loop'), {
      glue, limits: { timeoutMs: 100 }, imports: { 'sfirt:red/host': { slow: () => { calls++; busy(5); } } },
    });
    const { err, ms } = await timed(fn.call('run', 200));
    assert.is(err.code, 'DEADLINE_EXCEEDED', err.message);
    // 200 calls of 5 ms would take 1 s; the guest is stopped at its first fuel check past 100 ms.
    assert.ok(calls < 40, `${calls} import calls ran (${ms.toFixed(0)} ms)`);
    assert.is(await fn.call('run', 1), undefined, 'the function keeps serving');
  });

  test(`[${glue}] canonical-ABI faults are TRAPs with a specific trapKind, never V8's text`, async () => {
    const fn = await load('canon-faults', { glue });
    const expected = {
      'string-oob': 'out-of-bounds-memory', 'string-huge': 'out-of-bounds-memory', 'list-oob': 'out-of-bounds-memory',
      'strings-oob': 'out-of-bounds-memory', 'string-bad-utf8': 'invalid-utf8', 'bad-bool': 'invalid-discriminant',
      'bad-option': 'invalid-discriminant', 'bad-result': 'invalid-discriminant', 'bad-char': 'invalid-char',
    };
    for (const [name, kind] of Object.entries(expected)) {
      const err = await rejection(fn.call(name));
      assert.is(err.code, 'TRAP', `${name}: ${err.message}`);
      assert.is(err.trapKind, kind, `${name}: ${err.message}`);
      assert.not.match(err.message, /Invalid typed array length|outside the bounds|DataView/, err.message);
      assert.is(await fn.call('good'), true, 'the function keeps serving');
    }
  });
}

test('a table bomb with only memoryBytes set: 8 instances grow host RSS by at most 512 MiB', async () => {
  const bytes = await component('table-bomb');
  const fns = [];
  for (let i = 0; i < 8; i++) fns.push(await rt.load(`table-bomb-${i}`, bytes, { limits: { memoryBytes: MiB, timeoutMs: 1000 } }));
  const rss0 = rssMiB();
  for (const fn of fns) {
    try {
      assert.is(await fn.call('bomb'), 100_000, 'stopped by the default tableElements cap');
    } catch (err) {
      assert.is(err.code, 'DEADLINE_EXCEEDED', err.message);
    }
  }
  const growth = rssMiB() - rss0;
  assert.ok(growth <= 512, `host RSS grew by ${growth.toFixed(0)} MiB`);
  // The cap is per instance, over all its tables; the declared minimum counts too.
  const tight = await rt.load('table-bomb-tight', bytes, { limits: { tableElements: 10 } });
  assert.is(await tight.call('bomb'), 10);
  assert.is((await rejection(rt.load('table-bomb-none', bytes, { limits: { tableElements: 0.5 } }))).code, 'INVALID_ARGUMENT');
});

test('a failing background refill backs off: a start function that loops only later cannot keep taking the event loop', async () => {
  let mode = 0;
  let instantiations = 0;
  const host = () => { instantiations++; return mode; };
  const fn = await rt.load('start-host-mode', await component('start-host-mode'), {
    imports: { mode: { mode: host, default: host } }, pool: { mode: 'fresh', min: 1 }, limits: { timeoutMs: 200 },
  });
  assert.is(instantiations, 1, 'prewarmed at load');
  mode = 1;
  assert.is(await fn.call('ok'), 7, 'the spare was ready');
  // The refill runs off the call path, loops, and is stopped at its deadline; a timer still fires.
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(performance.now() - t0 < PROMPT_MS);
  assert.is(instantiations, 2, 'one background refill');
  // The next call instantiates itself and gets the typed error; no refill is tried meanwhile.
  assert.is((await rejection(fn.call('ok'))).code, 'DEADLINE_EXCEEDED');
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.is(instantiations, 3, 'no more background refills after a failure');
  // Once instantiation works again, so do calls and refills.
  mode = 0;
  assert.is(await fn.call('ok'), 7);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.ok(instantiations >= 5, `${instantiations} instantiations: refills resumed`);
});

test.run();
