// Imported resources on the fast glue, against real hosts: the classifier guests with the real
// wasi:nn host (onnxruntime-node, models/digits.onnx) give the same results, errors and error
// payloads as jco's glue, on real digits; the runtime now runs them on the fast glue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, inspect } from 'node:util';
import { transpile } from '@bytecodealliance/jco';
import { buildFastGlue, planComponent } from '../../../dist/component/fast/index.js';
import { createWasiNn } from '../../../dist/nn/wasi-nn.js';
import { createRuntime } from '../../../dist/index.js';
import { loadDigitsTest } from '../../../models/digits-test.mjs';
import { jcoInstantiator, outcome } from './helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const guestBytes = (name) => readFileSync(join(root, 'guests', 'dist', `${name}.wasm`));



test('classifier guests plan on the fast path, with the four wasi:nn resources', () => {
  for (const name of ['classifier', 'classifier224']) {
    const plan = planComponent(guestBytes(name));
    assert.not.ok('unsupported' in plan, `${name}: ${plan.unsupported}`);
    assert.equal(plan.resources.map((r) => `${r.key}.${r.className}`).sort(),
      ['wasi:nn/errors.Error', 'wasi:nn/graph.Graph', 'wasi:nn/inference.GraphExecutionContext', 'wasi:nn/tensor.Tensor']);
  }
});

test('classifier with the real wasi:nn host (onnxruntime-node): same results and errors as jco on real digits', async () => {
  const nn = await createWasiNn({ backend: 'native', models: { digits: join(root, 'models/digits.onnx') } });
  try {
    const bytes = guestBytes('classifier');
    const fast = await buildFastGlue(bytes);
    assert.not.ok('unsupported' in fast);
    const viaJco = await jcoInstantiator(bytes, 'classifier');
    const a = fast.instantiate(nn.imports);
    const b = viaJco(nn.imports);
    const { images } = loadDigitsTest();
    const onnx = readFileSync(join(root, 'models/digits.onnx'));
    const calls = [
      ...images.slice(0, 40).map((img) => ['classify', img]),
      ['classifyWith', 'digits', images[1]],
      ['classifyWith', 'missing-model', images[1]],
      ['classify', images[0].subarray(3)],
      ['loadBytes', onnx],
      ['loadBytes', Uint8Array.of(1, 2, 3, 4, 5)],
      ['runRaw', 'digits', Uint32Array.of(1, 3), 1, new Uint8Array(12)],
      ['runRaw', 'digits', Uint32Array.of(1, 1, 28, 28), 1, new Uint8Array(784 * 4)],
      ['classify', images[2]],
    ];
    let ok = 0;
    for (const [fn, ...args] of calls) {
      const ra = outcome(() => a[fn](...args));
      const rb = outcome(() => b[fn](...args));
      assert.ok(isDeepStrictEqual(ra, rb), `${fn}: fast ${inspect(ra)} vs jco ${inspect(rb)}`);
      if (ra.ok !== undefined) ok++;
    }
    // Real inference happened (labels and probabilities), and real failures came back as payloads.
    assert.ok(ok >= 40, `only ${ok} successful calls`);
    assert.is(outcome(() => a.classifyWith('missing-model', images[1])).payload.code, 'not-found');
  } finally {
    nn.dispose();
  }
});

test('the runtime runs the classifier guest on the fast glue', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'sfirt-fast-res-cache-'));
  const rt = createRuntime({ cacheDir, nn: { models: { digits: join(root, 'models/digits.onnx') } } });
  try {
    const fn = await rt.load('classify', guestBytes('classifier'), { nnBackend: 'native' });
    assert.is(fn.glue.kind, 'fast', `glue: ${inspect(fn.glue)}`);
    const { images } = loadDigitsTest();
    const r = await fn.call('classify', images[0]);
    assert.is(r.tag, 'ok');
    assert.is(r.val.probabilities.length, 10);
    assert.is(typeof r.val.label, 'number');
  } finally {
    rt.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test.run();
