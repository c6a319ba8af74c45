// End to end: the classifier guest (AssemblyScript) → wasi:nn → onnxruntime, under limits,
// through createRuntime(). Compares with onnxruntime-node called directly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createRuntime } from '../../dist/index.js';
import { loadDigitsTest } from '../../models/digits-test.mjs';
import { guest, root, tempCache } from '../helpers.mjs';

const models = { digits: join(root, 'models/digits.onnx'), image224: join(root, 'models/image224.onnx') };
const recorded = JSON.parse(readFileSync(join(root, 'models/digits.json'), 'utf8'));
const { images, labels } = loadDigitsTest();
const limits = { memoryBytes: 16 * 1024 * 1024, fuel: 5_000_000, timeoutMs: 5_000 };
const rt = createRuntime({ cacheDir: tempCache(), nn: { models, maxModelBytes: 1024 * 1024, engineMemoryMaxBytes: 128 * 1024 * 1024 } });
const wasm = await rt.load('classify-wasm', guest('classifier'), { limits, nnBackend: 'wasm' });
const native = await rt.load('classify-native', guest('classifier'), { limits, nnBackend: 'native' });

function softmax(logits) {
  const m = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

test('all 2,000 held-out digits: recorded accuracy, same predictions as onnxruntime-node direct, backends agree within 1e-5', async () => {
  const session = await ort.InferenceSession.create(models.digits);
  let correct = 0;
  let maxDiff = 0;
  for (let i = 0; i < images.length; i++) {
    const a = await wasm.call('classify', images[i]);
    const b = await native.call('classify', images[i]);
    assert.is(a.tag, 'ok');
    assert.is(b.tag, 'ok');
    const input = new ort.Tensor('float32', Float32Array.from(images[i], (p) => p / 255), [1, 1, 28, 28]);
    const logits = [...(await session.run({ input })).logits.data];
    const direct = logits.indexOf(Math.max(...logits));
    assert.is(a.val.label, direct, `digit ${i}: guest/wasm ${a.val.label}, onnxruntime-node ${direct}`);
    assert.is(b.val.label, direct, `digit ${i}: guest/native`);
    const p = softmax(logits);
    for (let k = 0; k < 10; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(a.val.probabilities[k] - b.val.probabilities[k]));
      assert.ok(Math.abs(a.val.probabilities[k] - p[k]) < 1e-5, `digit ${i} class ${k}`);
    }
    if (a.val.label === labels[i]) correct++;
  }
  const accuracy = correct / images.length;
  console.log(`  guest accuracy ${accuracy} (recorded ${recorded.heldOutAccuracy}), max |wasm − native| probability ${maxDiff.toExponential(2)}`);
  assert.ok(accuracy >= 0.94);
  assert.is(accuracy, recorded.heldOutAccuracy);
  assert.ok(maxDiff <= 1e-5);
});

test('the guest runs under fuel and memory limits, and reports fuel used', async () => {
  const inv = await wasm.invoke('classify', [images[0]]);
  assert.ok(inv.stats.fuelUsed > 0 && inv.stats.fuelUsed < limits.fuel);
  assert.ok(inv.stats.memoryBytes <= limits.memoryBytes);
  // Instantiation runs under the same fuel (the guest's start function needs more than 1000).
  const starved = await rt.load('classify-starved', guest('classifier'), { limits: { fuel: 1000 }, pool: { min: 0 } });
  const err = await starved.call('classify', images[0]).catch((e) => e);
  assert.is(err.code, 'FUEL_EXHAUSTED');
});

const FP32 = 1, U8 = 4;
const f32bytes = (n) => new Uint8Array(new Float32Array(n).buffer);

test('errors: each a wasi:nn error in the guest and a typed NN_ERROR at the host; the runtime keeps serving', async () => {
  const cases = [
    ['unknown model name', 'classify-with', ['no-such-model', images[0]], 'not-found'],
    ['wrong tensor shape', 'run-raw', ['digits', [1, 1, 28], FP32, f32bytes(28)], 'invalid-argument'],
    ['wrong tensor type', 'run-raw', ['digits', [1, 1, 28, 28], U8, new Uint8Array(784)], 'invalid-argument'],
    ['corrupt ONNX bytes', 'load-bytes', [Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) & 255)], 'invalid-encoding'],
    ['oversized ONNX bytes', 'load-bytes', [new Uint8Array(2 * 1024 * 1024)], 'too-large'],
  ];
  for (const [what, exp, args, code] of cases) {
    const inv = await wasm.invoke(exp, args);
    assert.is(inv.value.tag, 'err', what);
    assert.is(inv.value.val.code, code, what);
    assert.is(inv.nnError?.code, 'NN_ERROR', what);
    assert.is(inv.nnError?.nnCode, code, what);
    assert.is((await wasm.call('classify', images[1])).val.label, (await native.call('classify', images[1])).val.label);
  }
});

test('engine out of memory is a wasi:nn error, and the engine keeps serving', async () => {
  const small = createRuntime({ cacheDir: tempCache(), nn: { models, engineMemoryMaxBytes: 24 * 1024 * 1024 } });
  const c224 = await small.load('c224', guest('classifier224'));
  const inv = await c224.invoke('classify', [new Uint8Array(224 * 224 * 3)]);
  assert.is(inv.value.tag, 'err');
  assert.ok(['runtime-error', 'too-large'].includes(inv.value.val.code), inv.value.val.code);
  assert.ok(inv.nnError?.outOfMemory, 'the host knows it was out of memory');
  const digits = await small.load('digits-small', guest('classifier'));
  assert.is((await digits.call('classify', images[2])).tag, 'ok');
  small.close();
});

test('the 224×224 guest classifies on both backends with the same label', async () => {
  const a = await rt.load('c224-wasm', guest('classifier224'), { nnBackend: 'wasm' });
  const b = await rt.load('c224-native', guest('classifier224'), { nnBackend: 'native' });
  const img = Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => (i * 31) & 255);
  const ra = await a.call('classify', img);
  const rb = await b.call('classify', img);
  assert.is(ra.tag, 'ok');
  assert.is(ra.val.label, rb.val.label);
  assert.is(ra.val.probabilities.length, 1000);
});

test('inference counts toward the caller\'s deadline', async () => {
  const img = new Uint8Array(224 * 224 * 3);
  const warm = await rt.load('c224-warm', guest('classifier224'));
  assert.is((await warm.call('classify', img)).tag, 'ok'); // the model is now loaded in the engine
  // The instance is made at load (instantiation runs under timeoutMs too); the call gets 2 ms.
  const tight = await rt.load('c224-tight', guest('classifier224'));
  const t0 = performance.now();
  const err = await tight.invoke('classify', [img], { deadlineAt: t0 + 2 }).catch((e) => e);
  assert.is(err.code, 'DEADLINE_EXCEEDED', String(err));
  console.log(`  224×224 inference under a 2 ms deadline stopped after ${(performance.now() - t0).toFixed(1)} ms`);
  assert.is((await warm.call('classify', img)).tag, 'ok');
});

test('missing backend module is BACKEND_UNAVAILABLE, not a crash', async () => {
  // Simulated through the nn host's loader hook (the package may be installed here).
  const { createWasiNn } = await import('../../dist/nn/wasi-nn.js');
  const err = await createWasiNn({ backend: 'native', loadNativeBinding: async () => { throw new Error('Cannot find module onnxruntime-node'); } }).catch((e) => e);
  assert.is(err.code, 'BACKEND_UNAVAILABLE');
});

test.run();
