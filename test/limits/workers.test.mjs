// The hostile components of test/limits/hostile.test.mjs on worker threads: the same typed errors
// cross back, the worker stays usable (or, past its heap limit, is replaced with WORKER_CRASHED),
// and the process lives with bounded memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWorkerRuntime, DEFAULT_WORKER_RESOURCE_LIMITS } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';
import { component } from './fixtures/hostile.mjs';

const MiB = 1024 * 1024;
const PROMPT_MS = 5000;
const cacheDir = tempCache();
const wr = createWorkerRuntime({ workers: 1, runtime: { cacheDir } });
const timed = async (promise) => { const t0 = performance.now(); const err = await rejection(promise); return { err, ms: performance.now() - t0 }; };

async function workerServes(runtime = wr) {
  const hello = await runtime.load(`hello-${Math.random()}`, guest('hello'));
  assert.is(await hello.call('greet', 'w'), 'Hello, w!');
}

test('workers run with heap limits by default', () => {
  assert.ok(DEFAULT_WORKER_RESOURCE_LIMITS.maxOldGenerationSizeMb > 0);
});

for (const glue of ['fast', 'jco']) {
  test(`[${glue}] an infinite start function on a worker: DEADLINE_EXCEEDED at load() and at the call; the worker keeps serving`, async () => {
    const bytes = await component('start-loop');
    await wr.load(`warm-${glue}`, bytes, { glue, pool: { min: 0 } });
    const atLoad = await timed(wr.load(`start-loop-${glue}`, bytes, { glue, limits: { timeoutMs: 200 } }));
    assert.is(atLoad.err.code, 'DEADLINE_EXCEEDED', atLoad.err.message);
    assert.ok(atLoad.ms < PROMPT_MS, `${atLoad.ms.toFixed(0)} ms`);
    const fn = await wr.load(`start-loop-min0-${glue}`, bytes, { glue, pool: { min: 0 }, limits: { timeoutMs: 200 } });
    const atCall = await timed(fn.call('ok'));
    assert.is(atCall.err.code, 'DEADLINE_EXCEEDED', atCall.err.message);
    assert.ok(atCall.ms < PROMPT_MS, `${atCall.ms.toFixed(0)} ms`);
    assert.is((await rejection(fn.invoke('ok'))).code, 'DEADLINE_EXCEEDED');
    const trap = await rejection(wr.load(`start-trap-${glue}`, await component('start-trap'), { glue }));
    assert.is(trap.code, 'TRAP');
    assert.is(trap.trapKind, 'unreachable');
    await workerServes();
    assert.is(wr.crashes, 0, 'no worker died');
  });

  test(`[${glue}] bulk loops and amplified results on a worker are typed errors; the process stays small`, async () => {
    const bulk = await wr.load(`bulk-${glue}`, await component('bulk'), { glue, limits: { timeoutMs: 100 } });
    const fill = await timed(bulk.call('fill-loop', 128 * MiB));
    assert.is(fill.err.code, 'DEADLINE_EXCEEDED');
    assert.ok(fill.ms < PROMPT_MS, `${fill.ms.toFixed(0)} ms`);
    const amp = await wr.load(`amplify-${glue}`, await component('amplify-results'), { glue, limits: { memoryBytes: 64 * MiB } });
    const rss0 = process.memoryUsage().rss;
    for (const name of ['strings', 'byte-lists']) assert.is((await rejection(amp.call(name, 20_000))).code, 'RESULT_LIMIT_EXCEEDED', name);
    assert.ok((process.memoryUsage().rss - rss0) / MiB <= 256);
    assert.is((await amp.call('strings', 2)).length, 2);
    const canon = await wr.load(`canon-${glue}`, await component('canon-faults'), { glue });
    const err = await rejection(canon.call('string-bad-utf8'));
    assert.is(err.code, 'TRAP');
    assert.is(err.trapKind, 'invalid-utf8', 'the trap kind crosses threads');
    assert.is(wr.crashes, 0);
  });
}

test('an unbudgeted lift on a small worker stops at the thread heap ceiling (RESULT_LIMIT_EXCEEDED); the worker lives', async () => {
  // resultBytes: null asks for no budget, yet 16,000 aliases of 64 KiB (1 GiB of strings) in a
  // worker with a 64 MiB heap would end the process (V8 does not always contain a worker's OOM).
  const small = createWorkerRuntime({ workers: 1, runtime: { cacheDir }, resourceLimits: { maxOldGenerationSizeMb: 64 } });
  try {
    const amp = await small.load('amplify-unbudgeted', await component('amplify-results'), { limits: { resultBytes: null } });
    const err = await rejection(amp.call('short-strings', 16_000));
    assert.is(err.code, 'RESULT_LIMIT_EXCEEDED', err.message);
    assert.ok(err.resultLimitBytes < 64 * MiB, `capped below the worker's heap: ${err.resultLimitBytes}`);
    assert.is(small.crashes, 0);
    assert.is((await amp.call('strings', 2)).length, 2, 'the same worker still serves the function');
    await workerServes(small);
  } finally {
    await small.close();
  }
});

test.after(() => wr.close());
test.run();
