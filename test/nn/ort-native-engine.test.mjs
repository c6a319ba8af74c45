import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createOrtNativeEngine } from '../../dist/nn/ort-native-engine.js';
import { createOrtWasmEngine } from '../../dist/nn/ort-wasm-engine.js';
import { denseModel } from './fixtures/tiny-model.mjs';
import { join } from 'node:path';
import { loadTypeScript } from '../../models/build.mjs';
import { root, testUnless } from '../helpers.mjs';

const hostile = await loadTypeScript(join(root, 'models/hostile-models.ts'));

const digitsPath = fileURLToPath(new URL('../../models/digits.onnx', import.meta.url));

/** Deterministic pseudo-random floats in [-1, 1). */
function randomInput(length, seed) {
  let s = seed >>> 0;
  return Float32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

let wasm;
let native;
test.before(async () => {
  [wasm, native] = await Promise.all([createOrtWasmEngine({ memoryMaxBytes: 64 * 1024 * 1024 }), createOrtNativeEngine()]);
});
test.after(() => {
  wasm?.dispose();
  native?.dispose();
});

/** Runs both engines on the same model and feeds; asserts every output agrees within 1e-5. */
function assertSameOutputs(model, makeFeeds, rounds) {
  const a = wasm.createSession(model);
  const b = native.createSession(model);
  assert.equal(a.inputs, b.inputs);
  assert.equal(a.outputs, b.outputs);
  for (let r = 0; r < rounds; r++) {
    const feeds = makeFeeds(a.inputs, r);
    const outA = a.run(feeds);
    const outB = b.run(feeds);
    for (const { name } of a.outputs) {
      assert.equal(outA[name].dims, outB[name].dims);
      assert.is(outA[name].type, outB[name].type);
      const x = outA[name].data;
      const y = outB[name].data;
      assert.is(x.length, y.length);
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= 1e-5, `${name}[${i}]: wasm ${x[i]} vs native ${y[i]}`);
    }
  }
  a.release();
  b.release();
}

test('wasm and native engines agree within 1e-5 on a dense model', () => {
  assertSameOutputs(denseModel(16), (_inputs, r) => ({ x: { type: 'float32', dims: [r + 1, 4], data: randomInput((r + 1) * 4, r) } }), 20);
});

testUnless(existsSync(digitsPath) ? undefined : 'models/digits.onnx is not built yet')('wasm and native engines agree within 1e-5 on models/digits.onnx', () => {
  assertSameOutputs(new Uint8Array(readFileSync(digitsPath)), (inputs, r) => {
    const feeds = {};
    for (const info of inputs) {
      const dims = info.dims.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
      feeds[info.name] = { type: info.type, dims, data: randomInput(dims.reduce((p, d) => p * d, 1), 100 + r).map((v) => (v + 1) / 2) };
    }
    return feeds;
  }, 20);
});

test('native run is synchronous', () => {
  const s = native.createSession(denseModel(3));
  let ticked = false;
  setImmediate(() => { ticked = true; });
  const out = s.run({ x: { type: 'float32', dims: [1, 4], data: new Float32Array(4) } });
  assert.is(typeof out.then, 'undefined');
  assert.equal(out.y.dims, [1, 3]);
  assert.is(ticked, false);
  s.release();
});

test('native engine reports corrupt models and mismatched inputs like the wasm engine', () => {
  try {
    native.createSession(new Uint8Array([1, 2, 3, 4, 5]));
    assert.unreachable('accepted a corrupt model');
  } catch (err) {
    assert.is(err.code, 'NN_ERROR');
    assert.is(err.nnCode, 'invalid-encoding');
  }
  const s = native.createSession(denseModel(3));
  for (const feeds of [
    { x: { type: 'float32', dims: [2, 3], data: new Float32Array(6) } },
    { x: { type: 'int32', dims: [2, 4], data: new Int32Array(8) } },
  ]) {
    try {
      s.run(feeds);
      assert.unreachable('accepted a mismatched input');
    } catch (err) {
      assert.is(err.nnCode, 'invalid-argument');
    }
  }
  s.release();
});

test('a run past its deadline is stopped (its process killed) and the engine serves on at once', async () => {
  const s = native.createSession(hostile.longLoopModel());
  const feeds = (n) => ({ trips: { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(n)) } });
  const reference = s.run(feeds(2)).y.data;
  const t0 = performance.now();
  try {
    s.run(feeds(2n ** 40n), { deadline: t0 + 100 });
    assert.unreachable('a 2^40-trip loop returned');
  } catch (err) {
    assert.is(err.nnCode, 'timeout');
  }
  const stoppedMs = performance.now() - t0;
  // The standby process already holds the model: the same session answers, exactly as before.
  const t1 = performance.now();
  assert.equal(Array.from(s.run(feeds(2)).y.data), Array.from(reference));
  console.log(`  native: stopped after ${stoppedMs.toFixed(1)} ms (deadline 100 ms); next run answered after ${(performance.now() - t1).toFixed(1)} ms`);
  assert.ok(stoppedMs < 1000, `${stoppedMs} ms`);
  assert.ok(native.usable);
  s.release();
});

test('takeovers back to back (more than the standbys kept): every stopped run is a timeout, every next run the right answer', async () => {
  const s = native.createSession(hostile.longLoopModel());
  const feeds = (n) => ({ trips: { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(n)) } });
  const reference = Array.from(s.run(feeds(3)).y.data);
  for (let round = 0; round < 4; round++) {
    try {
      s.run(feeds(2n ** 40n), { deadline: performance.now() + 50 });
      assert.unreachable('a 2^40-trip loop returned');
    } catch (err) {
      assert.is(err.nnCode, 'timeout', `round ${round}: ${err}`);
    }
    assert.equal(Array.from(s.run(feeds(3)).y.data), reference, `round ${round}`);
  }
  assert.ok(native.usable);
  s.release();
});

test('allocations past the process cap are out-of-memory runtime errors; outputs past the call budget are refused', () => {
  const s = native.createSession(hostile.expandModel(2));
  const run = (a, b, budget) => s.run({ shape: { type: 'int64', dims: [2], data: BigInt64Array.of(a, b) } }, budget === undefined ? {} : { maxOutputBytes: budget });
  try {
    run(100_000n, 100_000n);
    assert.unreachable('allocated 40 GB');
  } catch (err) {
    assert.is(err.nnCode, 'runtime-error');
    assert.is(err.outOfMemory, true);
  }
  try {
    run(1024n, 1024n, 1024);
    assert.unreachable('returned 4 MiB into a 1 KiB budget');
  } catch (err) {
    assert.is(err.nnCode, 'too-large');
  }
  assert.equal(run(2n, 3n, 24).y.dims, [2, 3]);
  s.release();
});

test('a cap below the minimum is LIMIT_TOO_LOW', async () => {
  try {
    await createOrtNativeEngine({ memoryMaxBytes: 8 * 1024 * 1024 });
    assert.unreachable('started with 8 MiB');
  } catch (err) {
    assert.is(err.code, 'LIMIT_TOO_LOW');
  }
});

test('a missing onnxruntime-node gives BACKEND_UNAVAILABLE, not a crash', async () => {
  const missing = async () => {
    const err = new Error("Cannot find package 'onnxruntime-node'");
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  };
  try {
    await createOrtNativeEngine({ loadBinding: missing });
    assert.unreachable('created an engine without onnxruntime-node');
  } catch (err) {
    assert.is(err.code, 'BACKEND_UNAVAILABLE');
    assert.match(err.message, /onnxruntime-node/);
    assert.is(err.cause.code, 'ERR_MODULE_NOT_FOUND');
  }
  // A package that resolves but is not onnxruntime-node fails in the engine's process: the same.
  try {
    await createOrtNativeEngine({ specifier: 'uvu' });
    assert.unreachable('created an engine without onnxruntime-node');
  } catch (err) {
    assert.is(err.code, 'BACKEND_UNAVAILABLE');
  }
});

test.run();
