import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createOrtWasmEngine, MIN_ENGINE_MEMORY_BYTES } from '../../dist/nn/ort-wasm-engine.js';
import { patchGlueSource } from '../../dist/nn/ort-wasm-module.js';
import { denseModel, denseReference, nonZeroModel } from './fixtures/tiny-model.mjs';
import { testUnless } from '../helpers.mjs';

const MiB = 1024 * 1024;
const input = (batch) => Float32Array.from({ length: batch * 4 }, (_, i) => Math.sin(i) * 3);

let engine;
test.before(async () => {
  engine = await createOrtWasmEngine({ memoryMaxBytes: 32 * MiB });
});
test.after(() => engine?.dispose());

test('runs a model and matches a plain-JS reference', () => {
  const session = engine.createSession(denseModel(5));
  assert.equal(session.inputs, [{ name: 'x', type: 'float32', dims: ['batch', 4] }]);
  assert.equal(session.outputs, [{ name: 'y', type: 'float32', dims: ['batch', 5] }]);
  const x = input(3);
  const { y } = session.run({ x: { type: 'float32', dims: [3, 4], data: x } });
  assert.is(y.type, 'float32');
  assert.equal(y.dims, [3, 5]);
  assert.ok(y.data instanceof Float32Array);
  const want = denseReference(5, x, 3);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(y.data[i] - want[i]) < 1e-5, `element ${i}: ${y.data[i]} vs ${want[i]}`);
  session.release();
});

test('is synchronous: inference completes without yielding to the event loop', () => {
  const session = engine.createSession(denseModel(3));
  let ticked = false;
  setImmediate(() => { ticked = true; });
  const out = session.run({ x: { type: 'float32', dims: [1, 4], data: input(1) } });
  assert.is(typeof out.then, 'undefined');
  assert.ok(out.y.data instanceof Float32Array);
  assert.is(ticked, false);
  session.release();
});

test('accepts raw bytes as input data', () => {
  const session = engine.createSession(denseModel(3));
  const x = input(2);
  const a = session.run({ x: { type: 'float32', dims: [2, 4], data: x } }).y.data;
  const b = session.run({ x: { type: 'float32', dims: [2, 4], data: new Uint8Array(x.buffer) } }).y.data;
  assert.equal(Array.from(a), Array.from(b));
  session.release();
});

test('rejects inputs that do not match the model with invalid-argument', () => {
  const session = engine.createSession(denseModel(3));
  const cases = [
    { x: { type: 'float32', dims: [2, 3], data: new Float32Array(6) } }, // wrong inner dimension
    { x: { type: 'int32', dims: [2, 4], data: new Int32Array(8) } }, // wrong type
    { x: { type: 'float32', dims: [2, 4], data: new Float32Array(7) } }, // data shorter than dims
    { x: { type: 'float32', dims: [8], data: new Float32Array(8) } }, // wrong rank
    {}, // missing input
    { x: { type: 'float32', dims: [1, 4], data: new Float32Array(4) }, extra: { type: 'float32', dims: [1], data: new Float32Array(1) } },
  ];
  for (const feeds of cases) {
    try {
      session.run(feeds);
      assert.unreachable(`accepted ${JSON.stringify(Object.keys(feeds))}`);
    } catch (err) {
      assert.is(err.code, 'NN_ERROR', err.message);
      assert.is(err.nnCode, 'invalid-argument', err.message);
    }
  }
  assert.equal(session.run({ x: { type: 'float32', dims: [1, 4], data: new Float32Array(4) } }).y.dims, [1, 3]);
  session.release();
});

test('rejects bytes that are not an ONNX model with invalid-encoding', () => {
  for (const bytes of [new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array(0), denseModel(3).slice(0, 40)]) {
    try {
      engine.createSession(bytes);
      assert.unreachable('accepted a corrupt model');
    } catch (err) {
      assert.is(err.code, 'NN_ERROR');
      assert.is(err.nnCode, 'invalid-encoding', err.message);
    }
  }
  assert.ok(engine.usable);
});

test('successive runs follow each call\'s data and shape (input buffers are reused between runs)', () => {
  const session = engine.createSession(denseModel(5));
  const check = (batch, seed) => {
    const x = Float32Array.from({ length: batch * 4 }, (_, i) => Math.cos(i * 0.7 + seed) * 2);
    const { y } = session.run({ x: { type: 'float32', dims: [batch, 4], data: x } });
    assert.equal(y.dims, [batch, 5]);
    const want = denseReference(5, x, batch);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(y.data[i] - want[i]) < 1e-5, `batch ${batch} seed ${seed} element ${i}`);
  };
  check(1, 0);
  check(1, 1); // same shape, new data
  check(3, 2); // new shape
  try {
    session.run({ x: { type: 'float32', dims: [3, 5], data: new Float32Array(15) } });
    assert.unreachable('accepted a wrong shape');
  } catch (err) {
    assert.is(err.nnCode, 'invalid-argument');
  }
  check(3, 3);
  check(1, 4); // back to an earlier shape
  // Inputs above the kept-buffer size (4 MiB) are freed after each run and still give right answers.
  check(300_000, 5);
  check(300_000, 6);
  check(2, 7);
  session.release();
});

test('outputs whose shape depends on the data: kept output tensors are refused and runs stay correct', () => {
  const session = engine.createSession(nonZeroModel());
  const run = (values) => {
    const y = session.run({ x: { type: 'float32', dims: [4], data: Float32Array.from(values) } }).y;
    return { dims: y.dims, data: Array.from(y.data, Number) };
  };
  assert.equal(run([1, 0, 2, 0]), { dims: [1, 2], data: [0, 2] });
  assert.equal(run([1, 1, 1, 1]), { dims: [1, 4], data: [0, 1, 2, 3] }, 'same input shape, larger output');
  assert.equal(run([0, 0, 0, 3]), { dims: [1, 1], data: [3] });
  assert.equal(run([0, 0, 0, 3]), { dims: [1, 1], data: [3] });
  session.release();
});

test('enforces the memory cap: an oversized inference fails cleanly and the engine keeps working', () => {
  const session = engine.createSession(denseModel(64));
  // Output of 200,000 × 64 float32 = 51 MB > the 32 MiB cap.
  try {
    session.run({ x: { type: 'float32', dims: [200_000, 4], data: new Float32Array(800_000) } });
    assert.unreachable('ran past the memory cap');
  } catch (err) {
    assert.is(err.nnCode, 'runtime-error');
    assert.is(err.outOfMemory, true, err.message);
  }
  // A model bigger than the cap cannot even be copied in.
  try {
    engine.createSession(new Uint8Array(40 * MiB));
    assert.unreachable('loaded a model larger than the cap');
  } catch (err) {
    assert.is(err.outOfMemory, true, err.message);
  }
  assert.ok(engine.usable);
  // An inference that fits, growing memory toward the cap (10,000 × 64 × 4 = 2.5 MB), still works.
  const { y } = session.run({ x: { type: 'float32', dims: [10_000, 4], data: input(10_000) } });
  assert.equal(y.dims, [10_000, 64]);
  session.release();
});

test('the same inference succeeds under a larger cap, and engines are independent', async () => {
  const big = await createOrtWasmEngine({ memoryMaxBytes: 128 * MiB });
  try {
    const session = big.createSession(denseModel(64));
    const { y } = session.run({ x: { type: 'float32', dims: [200_000, 4], data: new Float32Array(800_000) } });
    assert.equal(y.dims, [200_000, 64]);
    // Disposing one engine leaves the other usable.
    big.dispose();
    assert.is(big.usable, false);
    const s2 = engine.createSession(denseModel(3));
    assert.equal(s2.run({ x: { type: 'float32', dims: [1, 4], data: input(1) } }).y.dims, [1, 3]);
    s2.release();
  } finally {
    big.dispose();
  }
});

test('a discarded engine can be replaced by a new one', async () => {
  const first = await createOrtWasmEngine({ memoryMaxBytes: 32 * MiB });
  first.dispose();
  try {
    first.createSession(denseModel(3));
    assert.unreachable('disposed engine loaded a model');
  } catch (err) {
    assert.is(err.nnCode, 'runtime-error');
  }
  const second = await createOrtWasmEngine({ memoryMaxBytes: 32 * MiB });
  const session = second.createSession(denseModel(3));
  assert.equal(session.run({ x: { type: 'float32', dims: [1, 4], data: input(1) } }).y.dims, [1, 3]);
  second.dispose();
});

const image224Path = fileURLToPath(new URL('../../models/image224.onnx', import.meta.url));
testUnless(existsSync(image224Path) ? undefined : 'models/image224.onnx is not built yet')('a real model that needs more than the cap fails to load; a larger cap runs it', async () => {
  const path = image224Path;
  const bytes = new Uint8Array(readFileSync(path)); // 5.3 MB of weights; needs 24–32 MiB in the engine
  const small = await createOrtWasmEngine({ memoryMaxBytes: 24 * MiB });
  try {
    small.createSession(bytes);
    assert.unreachable('loaded image224 under a 24 MiB cap');
  } catch (err) {
    assert.is(err.nnCode, 'runtime-error');
    assert.is(err.outOfMemory, true, err.message);
  } finally {
    small.dispose();
  }
  const ok = await createOrtWasmEngine({ memoryMaxBytes: 48 * MiB });
  try {
    const { logits } = ok.createSession(bytes).run({ input: { type: 'float32', dims: [1, 3, 224, 224], data: new Float32Array(3 * 224 * 224) } });
    assert.equal(logits.dims, [1, 1000]);
  } finally {
    ok.dispose();
  }
});

test('refuses a cap below the 16 MiB onnxruntime-web starts with, and more than one thread', async () => {
  try {
    await createOrtWasmEngine({ memoryMaxBytes: MIN_ENGINE_MEMORY_BYTES - 65536 });
    assert.unreachable('accepted a tiny cap');
  } catch (err) {
    assert.is(err.code, 'LIMIT_TOO_LOW');
  }
  try {
    await createOrtWasmEngine({ threads: 2 });
    assert.unreachable('accepted threads: 2');
  } catch (err) {
    assert.is(err.code, 'INVALID_ARGUMENT');
  }
});

test('patchGlueSource caps exactly one memory constructor and rejects unknown glue', () => {
  const src = 'var a=new WebAssembly.Memory({initial:0,maximum:0,shared:!0});x=new WebAssembly.Memory({initial:256,maximum:65536,shared:!0});f(import.meta.url)';
  const out = patchGlueSource(src, 'file:///x/glue.mjs');
  assert.ok(out.includes('maximum:moduleArg.sfirtMaximumPages??65536'));
  assert.ok(out.includes('{initial:0,maximum:0,shared:!0}'));
  assert.ok(out.includes('f("file:///x/glue.mjs")'));
  try {
    patchGlueSource('x=new WebAssembly.Memory({initial:256,maximum:65536})', 'file:///x');
    assert.unreachable('patched unknown glue');
  } catch (err) {
    assert.is(err.code, 'BACKEND_UNAVAILABLE');
  }
});

test.run();
