// lib/errors.ts: one error codec. Every code crosses a real worker thread (toWire → the worker
// protocol's batches → postMessage → fromWire) and comes back as the same class with the same
// fields; every code a guest or a load can raise inside a worker does so through a real
// WorkerRuntime, compared with the same failure in this thread. `instanceof` also holds across two
// copies of the package.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { parse } from '@bytecodealliance/jco';
import * as errors from '../dist/errors.js';
import * as index from '../dist/index.js';
import { createRuntime } from '../dist/index.js';
import { createWorkerRuntime } from '../dist/workers/worker-runtime.js';
import { serve } from '../dist/http/serve.js';
import { guest, rejection, tempCache } from './helpers.mjs';
import { component as hostile } from './limits/fixtures/hostile.mjs';

const { ERROR_CLASSES, SfiError, fromWire, toWire } = errors;

/**
 * One row per code: constructor arguments (structured-cloneable, so the worker builds the same
 * error) and the fields the error must carry back. A new error class is one more row here.
 */
const samples = {
  NOT_A_COMPONENT: [['not a component: magic bytes missing', { cause: new Error('bad magic') }], {}],
  INVALID_COMPONENT: [['section 3 runs past the end'], {}],
  INVALID_MODULE: [['memory64 is not supported', { cause: new RangeError('feature') }], {}],
  MISSING_IMPORT: [['sfirt:kv/store', 'provide it in `imports`'], { importName: 'sfirt:kv/store' }],
  UNKNOWN_EXPORT: [['nope', ['greet', 'add']], { exportName: 'nope' }],
  INVALID_HANDLE: [['dropped', 'handle of [resource]counter was dropped'], { reason: 'dropped' }],
  UNKNOWN_FUNCTION: [['nope'], { functionName: 'nope' }],
  INVALID_ARGUMENT: [['greet: argument 0 must be a string'], {}],
  TRAP: [['integer-divide-by-zero', 'wasm trap: divide by zero', { cause: new Error('RuntimeError: divide by zero') }], { trapKind: 'integer-divide-by-zero' }],
  GUEST_EXIT: [[3], { exitCode: 3 }],
  HOST_FUNCTION_ERROR: [['sfirt:kv/store#get', { cause: new TypeError('boom') }], { importName: 'sfirt:kv/store#get' }],
  FUEL_EXHAUSTED: [[1000], { fuelLimit: 1000 }],
  DEADLINE_EXCEEDED: [[30, 31.25], { timeoutMs: 30, elapsedMs: 31.25 }],
  MEMORY_LIMIT_EXCEEDED: [[2097152], { memoryLimitBytes: 2097152 }],
  RESULT_LIMIT_EXCEEDED: [[4194304], { resultLimitBytes: 4194304 }],
  LIMIT_TOO_LOW: [['memory cap 0 pages is below the declared minimum 17'], {}],
  INVALID_MANIFEST: [['/app/sfirt.json', 'functions.hello.source', 'functions.hello.source must be a string'], { manifestPath: '/app/sfirt.json', field: 'functions.hello.source' }],
  OVERLOADED: [['pool is full'], {}],
  BACKEND_UNAVAILABLE: [['onnxruntime-node is not installed', { cause: new Error('Cannot find module') }], {}],
  NN_ERROR: [['runtime-error', 'engine out of memory', { outOfMemory: true }], { nnCode: 'runtime-error', outOfMemory: true }],
  WORKER_CRASHED: [[1, 'exited (exit code 1)'], { workerIndex: 1 }],
  CLOSED: [[], {}],
  INVALID_ROUTE: [['GET /x', 'no function named x is loaded'], { route: 'GET /x' }],
  INVALID_RESPONSE: [['content-length-mismatch', 'body is 7 bytes, content-length says 2'], { reason: 'content-length-mismatch' }],
  ASYNC_UNSUPPORTED: [['app:x/y#get', 'needs JSPI'], { importName: 'app:x/y#get', nodeVersion: process.version }],
  BIND_FAILED: [['127.0.0.1', 8080, 'EADDRINUSE', 'address already in use', { worker: 1 }], { host: '127.0.0.1', port: 8080, reason: 'EADDRINUSE', worker: 1 }],
  INTERNAL: [['something we did not foresee', { cause: new Error('inner') }], {}],
};

/** Checks that `got` is `expected` rebuilt: same class, code, name, message, fields and cause. */
function assertSame(got, expected, fields, what) {
  const cls = ERROR_CLASSES[expected.code];
  assert.is(Object.getPrototypeOf(got), cls.prototype, `${what}: class`);
  assert.ok(got instanceof cls && got instanceof SfiError && got instanceof Error, `${what}: instanceof`);
  assert.is(got.code, expected.code, what);
  assert.is(got.name, expected.name, what);
  assert.is(got.message, expected.message, what);
  assert.equal({ ...got }, { ...expected }, `${what}: own fields`);
  for (const [k, v] of Object.entries(fields)) assert.equal(got[k], v, `${what}: ${k}`);
  assert.is(got.cause?.message, expected.cause?.message, `${what}: cause`);
  assert.is(got.cause?.name, expected.cause?.name, `${what}: cause name`);
  assert.type(got.stack, 'string');
}

test('every class in lib/errors.ts (and in the public entry) is in the registry, and every code has a sample', () => {
  const classes = (mod) => Object.values(mod).filter((v) => typeof v === 'function' && v.prototype instanceof SfiError);
  const registered = new Set(Object.values(ERROR_CLASSES));
  for (const cls of [...classes(errors), ...classes(index)]) assert.ok(registered.has(cls), `${cls.name} is missing from ERROR_CLASSES`);
  assert.equal(Object.keys(samples).sort(), Object.keys(ERROR_CLASSES).sort());
  for (const [code, [args]] of Object.entries(samples)) assert.is(new ERROR_CLASSES[code](...args).code, code, 'the registry key is the code');
});

test('every code crosses a real worker thread through the worker protocol and comes back as the same class with its fields', async () => {
  // The worker builds each sample and answers through the same encoding worker-main.ts uses.
  const worker = new Worker(`
    import { workerData, parentPort } from 'node:worker_threads';
    const { ERROR_CLASSES, toWire } = await import(workerData.errors);
    const { pushFromWorker } = await import(workerData.protocol);
    const batch = [];
    let id = 0;
    for (const [code, args] of workerData.samples) pushFromWorker(batch, { id: id++, ok: false, error: toWire(new ERROR_CLASSES[code](...args)) });
    // An error that is not ours crosses as INTERNAL, the original kept as its cause.
    pushFromWorker(batch, { id: id++, ok: false, error: toWire(new TypeError('x is not a function')) });
    parentPort.postMessage(batch);
  `, {
    eval: true,
    workerData: {
      errors: new URL('../dist/errors.js', import.meta.url).href,
      protocol: new URL('../dist/workers/protocol.js', import.meta.url).href,
      samples: Object.entries(samples).map(([code, [args]]) => [code, args]),
    },
  });
  const batch = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await worker.terminate();
  const { readFromWorker } = await import('../dist/workers/protocol.js');
  const answers = [];
  readFromWorker(batch, (m) => answers.push(m));
  const codes = Object.keys(samples);
  assert.is(answers.length, codes.length + 1);
  codes.forEach((code, i) => {
    const [args, fields] = samples[code];
    assertSame(fromWire(answers[i].error), new ERROR_CLASSES[code](...args), fields, code);
  });
  const internal = fromWire(answers[codes.length].error);
  assert.ok(internal instanceof errors.InternalError);
  assert.is(internal.code, 'INTERNAL');
  assert.is(internal.message, 'x is not a function');
  assert.is(internal.cause.name, 'TypeError');
});

test('causes cross too, SfiError causes as their own class; unknown codes become INTERNAL', () => {
  const inner = new errors.FuelExhaustedError(7);
  const outer = new errors.HostFunctionError('a#b', { cause: inner });
  const back = fromWire(structuredClone(toWire(outer)));
  assert.ok(back.cause instanceof errors.FuelExhaustedError);
  assert.is(back.cause.fuelLimit, 7);
  const unknown = fromWire({ code: 'FROM_THE_FUTURE', name: 'X', message: 'm', fields: {} });
  assert.ok(unknown instanceof errors.InternalError);
  assert.match(unknown.message, 'FROM_THE_FUTURE');
  // Fields that cannot cross (functions) are left behind rather than failing the whole answer.
  const odd = new errors.InvalidArgumentError('x');
  odd.retry = () => {};
  odd.hint = { field: 'limits.fuel' };
  const w = toWire(odd);
  assert.equal(structuredClone(w).fields, { hint: { field: 'limits.fuel' } });
});

test('instanceof holds across two copies of the package (brand + code), and only for the right class', async () => {
  const other = await import(`../dist/errors.js?copy=${Date.now()}`);
  assert.is.not(other.TrapError, errors.TrapError, 'a second module instance');
  const theirs = new other.TrapError('unreachable', 'wasm trap: unreachable');
  assert.ok(theirs instanceof errors.TrapError);
  assert.ok(theirs instanceof errors.SfiError);
  assert.ok(!(theirs instanceof errors.FuelExhaustedError));
  const ours = new errors.DeadlineExceededError(10, 11);
  assert.ok(ours instanceof other.DeadlineExceededError && ours instanceof other.SfiError);
  assert.ok(!(ours instanceof other.TrapError));
  // Not fooled by look-alikes without the brand, and subclasses of ours still work by prototype.
  assert.ok(!({ code: 'TRAP' } instanceof errors.TrapError));
  assert.ok(!(new Error('x') instanceof errors.SfiError));
  class AppTrap extends errors.TrapError {}
  assert.ok(new AppTrap('unknown', 'm') instanceof AppTrap);
  assert.ok(!(new errors.TrapError('unknown', 'm') instanceof AppTrap));
});

// The same failures raised for real, in this thread and inside a worker.
const exitComponent = await parse(`(component
  (type $exit-iface (instance (type $r (result)) (export "exit" (func (param "status" $r)))))
  (import "wasi:cli/exit@0.2.0" (instance $exit (type $exit-iface)))
  (core func $exit-lowered (canon lower (func $exit "exit")))
  (core module $m
    (import "wasi" "exit" (func $exit (param i32)))
    (func (export "run") (call $exit (i32.const 1))))
  (core instance $wasi (export "exit" (func $exit-lowered)))
  (core instance $i (instantiate $m (with "wasi" (instance $wasi))))
  (func (export "run") (canon lift (core func $i "run"))))`);

/** code → how to raise it through `rt` (a Runtime or a WorkerRuntime), and the fields it must carry. */
const raised = {
  NOT_A_COMPONENT: [(rt) => rt.load('core', new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])), {}],
  INVALID_COMPONENT: [(rt) => rt.load('garbage', new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0xff, 0x13, 0x37])), {}],
  MISSING_IMPORT: [(rt) => rt.load('kv', guest('kv')), { importName: /^sfirt:kv\/(store|log)/ }],
  LIMIT_TOO_LOW: [(rt) => rt.load('tiny', guest('hello'), { limits: { memoryBytes: 32768 } }), {}],
  UNKNOWN_EXPORT: [async (rt) => (await rt.load('hello', guest('hello'))).call('nope'), { exportName: 'nope' }],
  INVALID_ARGUMENT: [async (rt) => (await rt.load('hello', guest('hello'))).call('greet', 42), {}],
  TRAP: [async (rt) => (await rt.load('trap', guest('trap'))).call('unreachable'), { trapKind: 'unreachable' }],
  GUEST_EXIT: [async (rt) => (await rt.load('exit', exitComponent)).call('run'), { exitCode: 1 }],
  FUEL_EXHAUSTED: [async (rt) => (await rt.load('fuel', guest('compute'), { limits: { fuel: 1000 } })).call('fib', 1_000_000), { fuelLimit: 1000 }],
  DEADLINE_EXCEEDED: [async (rt) => (await rt.load('spin', guest('spin'), { limits: { timeoutMs: 40 } })).call('spin'), { timeoutMs: 40 }],
  MEMORY_LIMIT_EXCEEDED: [async (rt) => (await rt.load('alloc', guest('alloc'), { limits: { memoryBytes: 2 * 1024 * 1024 } })).call('grow-and-use', 8 * 1024 * 1024), { memoryLimitBytes: 2 * 1024 * 1024 }],
  RESULT_LIMIT_EXCEEDED: [async (rt) => (await rt.load('amplify', await hostile('amplify-results'), { limits: { memoryBytes: 4 * 1024 * 1024 } })).call('strings', 8), { resultLimitBytes: 4 * 1024 * 1024 }],
  // A wasi:nn failure is a value the guest handles; the host's typed error rides on the invocation.
  NN_ERROR: [async (rt) => { throw (await (await rt.load('nn', guest('classifier'))).invoke('classify-with', ['no-such-model', new Uint8Array(784)])).nnError; }, { nnCode: 'not-found', outOfMemory: false }],
};

test('failures raised inside a worker arrive as the class and fields the same failure has in this thread', async () => {
  const options = { cacheDir: tempCache(), nn: { models: {} } };
  const local = createRuntime(options);
  const wr = createWorkerRuntime({ workers: 1, runtime: options });
  try {
    for (const [code, [raise, fields]] of Object.entries(raised)) {
      const here = await rejection(raise(local));
      const there = await rejection(raise(wr));
      const cls = ERROR_CLASSES[code];
      assert.ok(here instanceof cls, `${code} in this thread: ${here?.code} ${here?.message}`);
      assert.ok(there instanceof cls, `${code} from the worker: ${there?.code} ${there?.message}`);
      assert.is(Object.getPrototypeOf(there), cls.prototype);
      assert.equal(Object.keys(there).sort(), Object.keys(here).sort(), `${code}: the same fields`);
      for (const [k, v] of Object.entries(fields)) {
        if (v instanceof RegExp) assert.match(here[k], v, `${code} in this thread: ${k}`);
        else assert.equal(here[k], v, `${code} in this thread: ${k}`);
        assert.equal(there[k], here[k], `${code} from the worker: ${k}`);
      }
      if (code === 'DEADLINE_EXCEEDED') assert.ok(there.elapsedMs >= 40 && here.elapsedMs >= 40, 'elapsedMs crosses too');
      else assert.is(there.message, here.message, code);
    }
  } finally {
    local.close();
    await wr.close();
  }
});

test('an HTTP route naming no loaded function is INVALID_ROUTE at serve() (was the bare SFI_ERROR)', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  try {
    const err = await serve(rt, { port: 0, routes: [{ method: 'GET', path: '/x', function: 'never-loaded' }] }).then(() => undefined, (e) => e);
    assert.ok(err instanceof errors.InvalidRouteError, String(err));
    assert.is(err.code, 'INVALID_ROUTE');
    assert.match(err.message, 'never-loaded');
  } finally {
    rt.close();
  }
});

test('no SFI_ERROR code is left in the library', () => {
  for (const file of ['errors.js', 'http/serve.js', 'workers/worker-main.js']) {
    assert.not.match(readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8'), 'SFI_ERROR', file);
  }
});

test.run();
