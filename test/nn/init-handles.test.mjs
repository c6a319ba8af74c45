// Graphs and execution contexts a guest opens in its init export (function option `init`) are part
// of the initial state a `reset` pool returns its instance to: they survive every reset, count in
// the instance's quotas, and carry nothing from one caller to the next. Everything a caller opens
// is still released by the reset, and an instance that lost one of its initial handles during a
// call is discarded, not reset.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { createWasiNn } from '../../dist/nn/wasi-nn.js';
import { createOrtWasmEngine } from '../../dist/nn/ort-wasm-engine.js';
import { InstanceScope } from '../../dist/host/scope.js';
import { denseModel, denseReference } from './fixtures/tiny-model.mjs';
import { guest, rejection, root, tempCache } from '../helpers.mjs';

const MiB = 1024 * 1024;
const FP32 = 1;
const utf8 = (s) => new TextEncoder().encode(s);
const floats = (...xs) => new Uint8Array(Float32Array.from(xs).buffer);
const asFloats = (bytes) => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const xA = [1, 2, 3, 4, 5, 6, 7, 8];
const xB = [-8, 7, -6, 5, -4, 3, -2, 1];
const DIMS = Uint32Array.of(2, 4);

function close(values, want, what = '') {
  assert.is(values.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(values[i] - want[i]) < 1e-5, `${what}[${i}] ${values[i]} vs ${want[i]}`);
}

/** The function's one idle instance (pools here have `max: 1`), handed back at once. */
function idleInstance(fn) {
  const lease = fn.pool.tryAcquire();
  assert.ok(lease, 'an idle instance');
  fn.pool.release(lease.instance);
  return lease.instance;
}

test('host: a context opened before mark() survives resets; a later caller gets nothing of an earlier one\'s inputs or outputs', async () => {
  const nn = await createWasiNn({ backend: 'wasm', models: { dense: denseModel(3) }, engineMemoryMaxBytes: 32 * MiB });
  try {
    const scope = new InstanceScope();
    const imports = nn.functionImports()(scope);
    const Tensor = imports['wasi:nn/tensor'].Tensor;
    // "init": opened before the instance's state is recorded.
    const graph = imports['wasi:nn/graph'].loadByName('dense');
    const ctx = graph.initExecutionContext();
    scope.mark();
    // Caller A.
    const outA = ctx.compute([['x', new Tensor([2, 4], 'FP32', floats(...xA))]]);
    close(asFloats(outA[0][1].data()), denseReference(3, Float32Array.from(xA), 2), 'A');
    const graphA = imports['wasi:nn/graph'].loadByName('dense'); // opened during A's call
    scope.releaseSinceMark();
    assert.not.ok(scope.initialLost);
    assert.is(scope.count('wasi-nn:graph'), 1, 'the init graph only');
    assert.is(scope.count('wasi-nn:context'), 1, 'the init context only');
    assert.throws(() => outA[0][1].data(), (e) => e.trapKind === 'invalid-handle', 'A\'s output is released');
    assert.throws(() => graphA.initExecutionContext(), (e) => e.trapKind === 'invalid-handle', 'A\'s graph is released');
    // Caller B, on the same context: without its own input (or under another name) nothing runs.
    for (const inputs of [[], [['y', new Tensor([2, 4], 'FP32', floats(...xB))]]]) {
      assert.throws(() => ctx.compute(inputs), (e) => e.nnCode === 'invalid-argument', 'a run on A\'s leftover input');
    }
    const outB = ctx.compute([['x', new Tensor([2, 4], 'FP32', floats(...xB))]]);
    close(asFloats(outB[0][1].data()), denseReference(3, Float32Array.from(xB), 2), 'B');
    scope.releaseSinceMark();
    assert.not.ok(scope.initialLost);
    // A caller that drops the init context leaves an instance that cannot go back to its initial state.
    ctx.drop();
    assert.ok(scope.initialLost);
    scope.releaseAll();
    assert.is(scope.count('wasi-nn:graph'), 0, 'a discard releases the init graph');
  } finally {
    nn.dispose();
  }
});

test('host: tensors made before mark() stay; tensors made since are released by a reset; dropping a kept one is a loss', async () => {
  const nn = await createWasiNn({ backend: 'wasm', models: { dense: denseModel(3) }, engineMemoryMaxBytes: 32 * MiB });
  try {
    const scope = new InstanceScope();
    const imports = nn.functionImports()(scope);
    const Tensor = imports['wasi:nn/tensor'].Tensor;
    const kept = new Tensor([2, 4], 'FP32', floats(...xA));
    scope.mark();
    const later = new Tensor([2, 4], 'FP32', floats(...xB));
    scope.releaseSinceMark();
    assert.is(asFloats(kept.data()).length, 8, 'the init tensor is still there');
    assert.throws(() => later.data(), (e) => e.trapKind === 'invalid-handle', 'the caller\'s tensor is released');
    assert.not.ok(scope.initialLost);
    kept[Symbol.dispose ?? Symbol.for('dispose')]();
    scope.releaseSinceMark();
    assert.ok(scope.initialLost);
    scope.releaseAll();
  } finally {
    nn.dispose();
  }
});

test('guest (nn-hostile, init): callers share the init context, never each other\'s data or handles', async () => {
  const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { 'init-model': denseModel(3) }, engineMemoryMaxBytes: 32 * MiB } });
  try {
    const fn = await rt.load('hostile', guest('nn-hostile'), { init: 'init', pool: { max: 1 } });
    const [g, c] = await fn.call('init-handles');
    assert.ok(g > 0 && c > 0, `init opened a graph and a context (${g}, ${c})`);
    const first = idleInstance(fn);
    assert.is(first.scope.count('wasi-nn:graph'), 1);
    assert.is(first.scope.count('wasi-nn:context'), 1);

    const a = await fn.call('compute', c, utf8('x'), DIMS, FP32, floats(...xA));
    assert.is(a.tag, 'ok', JSON.stringify(a));
    close(asFloats(a.val), denseReference(3, Float32Array.from(xA), 2), 'A');
    // B on the same context, with the wrong input name: refused, none of A's input is used.
    const b = await fn.call('compute', c, utf8('y'), DIMS, FP32, floats(...xB));
    assert.is(b.tag, 'err');
    assert.is(b.val.code, 'invalid-argument');
    const b2 = await fn.call('compute', c, utf8('x'), DIMS, FP32, floats(...xB));
    close(asFloats(b2.val), denseReference(3, Float32Array.from(xB), 2), 'B');
    assert.is(idleInstance(fn), first, 'every call so far was served by the one instance, reset after each');

    // A graph and a context opened during a call are released by the reset that follows.
    const opened = await fn.call('load-named', utf8('init-model'));
    assert.is(opened.tag, 'ok');
    assert.ok(opened.val !== g, 'a new handle');
    assert.is(first.scope.count('wasi-nn:graph'), 1, 'back to the init graph only');
    const ctx2 = await fn.call('init-context', g);
    assert.is(ctx2.tag, 'ok');
    assert.is(first.scope.count('wasi-nn:context'), 1, 'back to the init context only');
    assert.is(idleInstance(fn), first);
    // The handle number of the graph opened in an earlier call means nothing now: the call traps.
    const err = await rejection(fn.call('init-context', opened.val));
    assert.is(err.code, 'TRAP', String(err));
    assert.is.not(idleInstance(fn), first, 'a trapped instance is discarded');
  } finally {
    rt.close();
  }
});

test('guest (nn-hostile, init): a caller that drops an init handle gets its instance discarded, not reset', async () => {
  const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { 'init-model': denseModel(3) }, engineMemoryMaxBytes: 32 * MiB } });
  try {
    const fn = await rt.load('hostile', guest('nn-hostile'), { init: 'init', pool: { max: 1 } });
    const [, c] = await fn.call('init-handles');
    const first = idleInstance(fn);
    await fn.call('drop-context', c);
    const next = idleInstance(fn);
    assert.is.not(next, first, 'the instance that lost its init context was not kept');
    assert.is(next.scope.count('wasi-nn:context'), 1, 'the new instance has its own');
    const r = await fn.call('compute', c, utf8('x'), DIMS, FP32, floats(...xA));
    assert.is(r.tag, 'ok', JSON.stringify(r));
    close(asFloats(r.val), denseReference(3, Float32Array.from(xA), 2));
    // The init graph, too.
    const [g] = await fn.call('init-handles');
    await fn.call('drop-graph', g);
    assert.is.not(idleInstance(fn), next);
  } finally {
    rt.close();
  }
});

test('guest (classifier, init): one graph and context per instance across calls; each caller gets its own result', async () => {
  const digits = join(root, 'models/digits.onnx');
  const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { digits, digits2: digits } } });
  const engine = await createOrtWasmEngine();
  const session = engine.createSession(new Uint8Array(readFileSync(digits)));
  try {
    const fn = await rt.load('classifier', guest('classifier'), { init: 'init', pool: { max: 1 } });
    const first = idleInstance(fn);
    assert.is(first.scope.count('wasi-nn:graph'), 1, 'init opened the digits graph');
    assert.is(first.scope.count('wasi-nn:context'), 1);
    const images = [0.1, 0.9, 0.5].map((v, k) => Float32Array.from({ length: 784 }, (_, i) => ((i * (k + 3)) % 17 === 0 ? v : 0)));
    const results = [];
    for (const image of images) {
      const r = await fn.call('run-raw', 'digits', Uint32Array.of(1, 1, 28, 28), FP32, new Uint8Array(image.buffer));
      assert.is(r.tag, 'ok', JSON.stringify(r));
      close(asFloats(r.val), session.run({ input: { type: 'float32', dims: [1, 1, 28, 28], data: image } }).logits.data);
      results.push(asFloats(r.val));
      assert.is(first.scope.count('wasi-nn:graph'), 1);
      assert.is(first.scope.count('wasi-nn:context'), 1);
    }
    assert.ok(results[0].some((v, i) => Math.abs(v - results[1][i]) > 1e-3), 'the inputs give different outputs');
    // Another model, opened lazily in a call: released by the reset.
    const other = await fn.call('classify-with', 'digits2', new Uint8Array(784));
    assert.is(other.tag, 'ok', JSON.stringify(other));
    assert.is(first.scope.count('wasi-nn:graph'), 1, 'digits2 was released');
    assert.is(idleInstance(fn), first, 'one instance, reset after every call');
  } finally {
    session.release();
    engine.dispose();
    rt.close();
  }
});

test('guest (nn-hostile, init) on jco\'s glue: the init handles survive resets too', async () => {
  const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { 'init-model': denseModel(3) }, engineMemoryMaxBytes: 32 * MiB } });
  try {
    const fn = await rt.load('hostile', guest('nn-hostile'), { init: 'init', glue: 'jco', pool: { max: 1 } });
    assert.is(fn.glue.kind, 'jco');
    const [g, c] = await fn.call('init-handles');
    assert.ok(g > 0 && c > 0);
    const first = idleInstance(fn);
    for (const x of [xA, xB]) {
      const r = await fn.call('compute', c, utf8('x'), DIMS, FP32, floats(...x));
      assert.is(r.tag, 'ok', JSON.stringify(r));
      close(asFloats(r.val), denseReference(3, Float32Array.from(x), 2));
    }
    const opened = await fn.call('load-named', utf8('init-model'));
    assert.is(opened.tag, 'ok');
    assert.is(first.scope.count('wasi-nn:graph'), 1, 'the graph opened in the call was released');
    assert.is(idleInstance(fn), first, 'reset after every call');
    await fn.call('drop-context', c);
    assert.is.not(idleInstance(fn), first, 'dropping the init context discards the instance');
  } finally {
    rt.close();
  }
});

test('init option: must name a func() export; a trap in it fails the instantiation, typed', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  try {
    let err = await rejection(rt.load('a', guest('trap'), { init: 'nope' }));
    assert.is(err.code, 'INVALID_ARGUMENT', String(err));
    err = await rejection(rt.load('b', guest('trap'), { init: 'divide' }));
    assert.is(err.code, 'INVALID_ARGUMENT', String(err));
    assert.match(err.message, /func\(\)/);
    err = await rejection(rt.load('c', guest('trap'), { init: '' }));
    assert.is(err.code, 'INVALID_ARGUMENT', String(err));
    const fn = await rt.load('d', guest('trap'), { init: 'unreachable', pool: { min: 0 } });
    err = await rejection(fn.call('divide', 4, 2));
    assert.is(err.code, 'TRAP', String(err));
  } finally {
    rt.close();
  }
});

test.run();
