// lib/options.ts: options are checked once, at createRuntime() / load(), and a bad or unknown one is
// INVALID_ARGUMENT naming the field — never a silent default, a raw TypeError/RangeError, an
// INVALID_COMPONENT or a TRAP at call time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, InvalidArgumentError } from '../dist/index.js';
import { createWorkerRuntime } from '../dist/workers/worker-runtime.js';
import { functionConfig, runtimeConfig, workerRuntimeConfig } from '../dist/options.js';
import { guest, rejection, tempCache } from './helpers.mjs';

const cacheDir = tempCache();
const rt = createRuntime({ cacheDir });
const hello = guest('hello');

/** [function options, the field the error must name]. */
const badFunctionOptions = [
  [{ glue: 'bogus' }, 'glue'],
  [{ captureLimitBytes: 'abc' }, 'captureLimitBytes'],
  [{ captureLimitBytes: -5 }, 'captureLimitBytes'],
  [{ captureLimitBytes: 1.5 }, 'captureLimitBytes'],
  [{ nnBackend: 'bogus' }, 'nnBackend'],
  [{ wasi: { stdout: 'bogus' } }, 'wasi.stdout'],
  [{ wasi: { stderr: 1 } }, 'wasi.stderr'],
  [{ limits: { memoryByte: 1 << 20 } }, 'limits.memoryByte'],
  [{ pool: { maxx: 3 } }, 'pool.maxx'],
  [{ pool: { idleTimeoutMs: -1 } }, 'pool.idleTimeoutMs'],
  [{ pool: { idleTimeoutMs: 2 ** 40 } }, 'pool.idleTimeoutMs'],
  [{ wasi: { preopens: { '/x': 42 } } }, 'wasi.preopens["/x"]'],
  [{ wasi: { preopens: { '/x': { hostPath: '/tmp', readonly: true } } } }, 'wasi.preopens["/x"].readonly'],
  [{ wasi: { preopens: { '/x': { readOnly: true } } } }, 'wasi.preopens["/x"].hostPath'],
  [{ wasi: { preopens: { '/x': { hostPath: '/tmp', readOnly: false, maxBytes: -1 } } } }, 'wasi.preopens["/x"].maxBytes'],
  [{ wasi: { preopens: { '/x': { hostPath: '/tmp', readOnly: false, maxEntries: '10' } } } }, 'wasi.preopens["/x"].maxEntries'],
  [{ pool: { min: 1e6 } }, 'pool.min'],
  [{ pool: { min: 5, max: 2 } }, 'pool.min'],
  [{ pool: { mode: 'recycle' } }, 'pool.mode'],
  [{ pool: 'big' }, 'pool'],
  [{ limits: { memoryBytes: 2 ** 40 } }, 'limits.memoryBytes'],
  [{ limits: { fuel: 1.5 } }, 'limits.fuel'],
  [{ limits: { fuel: -1 } }, 'limits.fuel'],
  [{ limits: { timeoutMs: 'soon' } }, 'limits.timeoutMs'],
  [{ limits: { timeoutMs: NaN } }, 'limits.timeoutMs'],
  [{ limits: { openFiles: 0 } }, 'limits.openFiles'],
  [{ limits: { tableElements: 2 ** 33 } }, 'limits.tableElements'],
  [{ limits: { resultBytes: 0.5 } }, 'limits.resultBytes'],
  [{ wasi: { args: ['ok', 7] } }, 'wasi.args[1]'],
  [{ wasi: { args: 'one two' } }, 'wasi.args'],
  [{ wasi: { env: { HOME: 1 } } }, 'wasi.env.HOME'],
  [{ wasi: { env: { 'A=B': 'c' } } }, 'wasi.env["A=B"]'],
  [{ wasi: { stdin: 42 } }, 'wasi.stdin'],
  [{ wasi: { deterministic: { seed: 1.5 } } }, 'wasi.deterministic.seed'],
  [{ wasi: { deterministic: 'yes' } }, 'wasi.deterministic'],
  [{ wasi: { network: true } }, 'wasi.network'],
  [{ imports: { 'sfirt:kv/store': 5 } }, 'imports["sfirt:kv/store"]'],
  [{ replace: 'yes' }, 'replace'],
  [{ timeoutMs: 100 }, 'timeoutMs'],
  ['fast', 'options'],
];

for (const [options, field] of badFunctionOptions) {
  test(`load(): ${JSON.stringify(options)} is INVALID_ARGUMENT naming ${field}`, async () => {
    const err = await rejection(rt.load('bad', hello, options));
    assert.instance(err, InvalidArgumentError);
    assert.is(err.code, 'INVALID_ARGUMENT');
    assert.ok(err.message.startsWith(field), `"${err.message}" names ${field}`);
  });
}

test('the same options are refused by a worker runtime\'s load() on the calling thread', async () => {
  const wr = createWorkerRuntime({ workers: 1, runtime: { cacheDir } });
  try {
    for (const [options, field] of badFunctionOptions) {
      const err = await rejection(wr.load('bad', hello, options));
      assert.is(err.code, 'INVALID_ARGUMENT', JSON.stringify(options));
      assert.ok(err.message.startsWith(field) || (field === 'imports["sfirt:kv/store"]' && err.message.startsWith('imports')), err.message);
    }
    const err = await rejection(wr.load('bad', hello, { imports: {} }));
    assert.match(err.message, 'cannot cross to worker threads');
    assert.is((await rejection(wr.load('bad', hello, { http: { outgoing: 'all' } }))).code, 'INVALID_ARGUMENT');
    assert.is((await rejection(wr.load('bad', hello, { http: { incoming: {} } }))).message.split(' ')[0], 'http.incoming');
    // Valid options still load and run.
    assert.is(await (await wr.load('ok', hello, { pool: { min: 0 }, limits: { fuel: null } })).call('greet', 'w'), 'Hello, w!');
  } finally {
    await wr.close();
  }
});

test('runtime options: unknown keys and bad values are INVALID_ARGUMENT naming the field', () => {
  const cases = [
    [{ cacheDirectory: '/tmp' }, 'cacheDirectory'],
    [{ cacheDir: 5 }, 'cacheDir'],
    [{ defaults: { limits: { fuel: 0 } } }, 'defaults.limits.fuel'],
    [{ defaults: { pool: { min: 3, max: 1 } } }, 'defaults.pool.min'],
    [{ defaults: { glue: 'fast' } }, 'defaults.glue'],
    [{ nn: { backend: 'gpu' } }, 'nn.backend'],
    [{ nn: { threads: 0 } }, 'nn.threads'],
    [{ nn: { models: { digits: 42 } } }, 'nn.models.digits'],
    [{ nn: { deadline: () => 0 } }, 'nn.deadline'],
  ];
  for (const [options, field] of cases) {
    let err;
    try { createRuntime(options); } catch (e) { err = e; }
    assert.is(err?.code, 'INVALID_ARGUMENT', JSON.stringify(options));
    assert.ok(err.message.startsWith(field), `"${err.message}" names ${field}`);
  }
});

test('worker runtime options: unknown keys and bad values are INVALID_ARGUMENT naming the field', () => {
  const cases = [
    [{ workers: -1 }, 'workers'],
    [{ workers: 1.5 }, 'workers'],
    [{ worker: 2 }, 'worker'],
    [{ maxPendingPerWorker: 0 }, 'maxPendingPerWorker'],
    [{ resourceLimits: { maxOldGenerationSizeMb: -1 } }, 'resourceLimits.maxOldGenerationSizeMb'],
    [{ resourceLimits: { heapMb: 64 } }, 'resourceLimits.heapMb'],
    [{ runtime: { cacheDir: 5 } }, 'runtime.cacheDir'],
    [{ runtime: { defaults: { pool: { maxx: 1 } } } }, 'runtime.defaults.pool.maxx'],
  ];
  for (const [options, field] of cases) {
    let err;
    try { createWorkerRuntime(options); } catch (e) { err = e; }
    assert.is(err?.code, 'INVALID_ARGUMENT', JSON.stringify(options));
    assert.ok(err.message.startsWith(field), `"${err.message}" names ${field}`);
  }
});

test('a complete config: defaults applied, runtime defaults under function options key by key, null removes a limit', () => {
  const runtime = runtimeConfig({ defaults: { limits: { fuel: 1000, timeoutMs: 50 }, pool: { max: 4 }, wasi: { args: ['a'], stdout: 'discard' } }, nn: { backend: 'native' } });
  const c = functionConfig({ limits: { timeoutMs: null, memoryBytes: Infinity }, pool: { mode: 'reset' }, wasi: { stdin: 'hi', preopens: { '/d': '/tmp' } } }, runtime);
  // (resultBytes: the default memory cap, since memoryBytes was removed)
  assert.equal(c.limits, { fuel: 1000, openFiles: 256, tableElements: 100_000, resultBytes: 256 * 1024 * 1024 });
  assert.equal(c.pool, { mode: 'reset', min: 1, max: 4, maxQueue: 1024, idleTimeoutMs: 30_000 });
  assert.equal(c.wasi.args, ['a']);
  assert.is(c.wasi.stdout, 'discard');
  assert.is(c.wasi.stderr, 'capture');
  assert.equal([...c.wasi.stdin], [104, 105]);
  assert.equal(c.wasi.preopens, { '/d': { hostPath: '/tmp', readOnly: true, maxBytes: 1024 ** 3, maxEntries: 10_000 } });
  assert.is(c.wasi.deterministic, false);
  assert.is(c.nnBackend, 'native');
  assert.is(c.glue, 'auto');
  assert.is(c.replace, false);
  assert.is(c.captureLimitBytes, 1024 * 1024);
  assert.equal(functionConfig(undefined, runtimeConfig(undefined)).limits, { memoryBytes: 256 * 1024 * 1024, tableElements: 100_000, timeoutMs: 10_000, resultBytes: 256 * 1024 * 1024, openFiles: 256 });
  const w = workerRuntimeConfig({}, 3);
  assert.equal(w, { workers: 3, runtime: {}, maxPendingPerWorker: 1024, resourceLimits: { maxOldGenerationSizeMb: 2048 }, runHereWhenBusy: false });
});

test('non-string wasi.args fail at load, not as a TRAP at call time', async () => {
  const err = await rejection(rt.load('probe', guest('wasi-probe'), { wasi: { args: ['x', { toString: () => 'y' }] } }));
  assert.is(err.code, 'INVALID_ARGUMENT');
  const ok = await rt.load('probe', guest('wasi-probe'), { wasi: { args: ['x', 'y'] } });
  assert.equal(await ok.call('args'), ['x', 'y']);
});

test('a taken name is INVALID_ARGUMENT unless replace: true; the first function keeps serving', async () => {
  const own = createRuntime({ cacheDir });
  const first = await own.load('greeter', hello);
  const err = await rejection(own.load('greeter', hello));
  assert.is(err.code, 'INVALID_ARGUMENT');
  assert.match(err.message, 'replace: true');
  assert.is(own.get('greeter'), first);
  assert.is(await first.call('greet', 'a'), 'Hello, a!');
  // Two loads of one name at once: one wins, the other is refused.
  const both = await Promise.allSettled([own.load('twin', hello), own.load('twin', hello)]);
  assert.equal(both.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const second = await own.load('greeter', hello, { replace: true });
  assert.is(own.get('greeter'), second);
  assert.is.not(second, first);
  assert.is(await second.call('greet', 'b'), 'Hello, b!');
  own.close();

  const wr = createWorkerRuntime({ workers: 1, runtime: { cacheDir } });
  try {
    await wr.load('greeter', hello);
    assert.is((await rejection(wr.load('greeter', hello))).code, 'INVALID_ARGUMENT');
    await wr.load('greeter', hello, { replace: true });
    assert.is(await wr.get('greeter').call('greet', 'c'), 'Hello, c!');
  } finally {
    await wr.close();
  }
});

test('every rule path is exercised by a valid value too: a full set of options loads and runs', async () => {
  const fn = await rt.load('full', guest('wasi-probe'), {
    imports: {},
    wasi: { env: { A: '1' }, args: ['p'], preopens: {}, stdin: new Uint8Array(), stdout: 'capture', stderr: 'discard', deterministic: { seed: 7, startTimeMs: 0, tickNs: 5 } },
    limits: { memoryBytes: 64 * 1024 * 1024, tableElements: 10_000, fuel: 10_000_000, timeoutMs: 5_000, openFiles: 16 },
    pool: { mode: 'fresh', min: 0, max: 2, maxQueue: 8, idleTimeoutMs: 1_000 },
    nnBackend: 'wasm', glue: 'jco', captureLimitBytes: 4096, replace: false,
  });
  assert.equal(await fn.call('env'), [['A', '1']]);
  assert.is(fn.glue.kind, 'jco');
  // Records that are not object literals are records too (process.env's prototype is its own).
  const env = await rt.load('env', guest('wasi-probe'), { wasi: { env: process.env } });
  assert.is((await env.call('env')).length, Object.keys(process.env).length);
  for (const notARecord of [new Map([['A', '1']]), ['A=1']]) {
    assert.match((await rejection(rt.load('bad', guest('wasi-probe'), { wasi: { env: notARecord } }))).message, /^wasi\.env must be an object/);
  }
});

test('a record key named __proto__ is data, not a prototype (env, preopens)', () => {
  const env = JSON.parse('{"__proto__":"x","A":"b"}');
  const config = functionConfig({ wasi: { env } }, runtimeConfig());
  assert.equal(Object.entries(config.wasi.env), [['__proto__', 'x'], ['A', 'b']]);
  assert.is(Object.getPrototypeOf(config.wasi.env), Object.prototype);
});

test.run();
