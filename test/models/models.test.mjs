// The committed ONNX models: their recorded hashes, the held-out digits file, accuracy on
// onnxruntime-node, and agreement between onnxruntime-node and onnxruntime-web.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDigitsTest } from '../../models/digits-test.mjs';
import { argmaxRow, backendOf, createSession, digitsInput, loadRuntimes, maxAbsDiff, runFloat } from '../../models/ort-runners.mjs';
import { testUnless } from '../helpers.mjs';

const modelsDir = new URL('../../models/', import.meta.url);
const read = (name) => readFileSync(new URL(name, modelsDir));
const readJson = (name) => JSON.parse(read(name).toString('utf8'));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const digitsInfo = readJson('digits.json');
const image224Info = readJson('image224.json');
const { node, web, errors } = await loadRuntimes();
const nodeTest = testUnless(node ? undefined : `onnxruntime-node unavailable (${errors.node?.message})`);
const bothTest = testUnless(!node ? `onnxruntime-node unavailable (${errors.node?.message})` : !web ? `onnxruntime-web unavailable (${errors.web?.message})` : undefined);

test('digits.onnx and image224.onnx match the sha256 recorded beside them', () => {
  assert.is(sha256(read('digits.onnx')), digitsInfo.sha256);
  assert.is(sha256(read('image224.onnx')), image224Info.sha256);
  assert.is(sha256(read('digits-test.bin')), digitsInfo.split.heldOutSha256);
});

test('digits.json documents the model interface', () => {
  assert.equal(digitsInfo.input, { name: 'input', type: 'float32', shape: ['N', 1, 28, 28] });
  assert.equal(digitsInfo.output, { name: 'logits', type: 'float32', shape: ['N', 10] });
  assert.match(digitsInfo.normalisation, 'pixel / 255');
  assert.ok(digitsInfo.heldOutAccuracy >= 0.94, `recorded accuracy ${digitsInfo.heldOutAccuracy}`);
});

test('loadDigitsTest returns the 2,000 held-out digits with every class present', () => {
  const { images, labels } = loadDigitsTest();
  assert.is(images.length, 2000);
  assert.is(labels.length, 2000);
  assert.ok(images.every((image) => image.length === 784));
  const perClass = new Array(10).fill(0);
  for (const label of labels) perClass[label]++;
  assert.ok(perClass.every((n) => n > 100), `class counts ${perClass}`);
  // Real digits: mostly background, some full-intensity strokes.
  const ink = images[0].filter((p) => p > 0).length;
  assert.ok(ink > 50 && ink < 400, `${ink} inked pixels`);
});

test('loadDigitsTest rejects a file that is not a digits-test file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digits-test-'));
  try {
    const file = join(dir, 'bad.bin');
    const bytes = Buffer.from(read('digits-test.bin'));
    bytes.write('XXXX', 0, 'latin1');
    writeFileSync(file, bytes);
    assert.throws(() => loadDigitsTest(file), /not a version 1 digits-test file/);
    writeFileSync(file, read('digits-test.bin').subarray(0, 1000));
    assert.throws(() => loadDigitsTest(file), /truncated/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function runDigits(ort, provider) {
  const session = await createSession(ort, provider, read('digits.onnx'));
  const { images, labels } = loadDigitsTest();
  const output = await runFloat(ort, session, digitsInput(images), [images.length, 1, 28, 28]);
  return { session, output, labels };
}

nodeTest('onnxruntime-node reaches the recorded held-out accuracy', async () => {
  const { session, output, labels } = await runDigits(node, 'cpu');
  assert.is(backendOf(session), 'node');
  assert.equal(output.dims, [2000, 10]);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmaxRow(output.data, i, 10) === labels[i]) correct++;
  assert.ok(correct / labels.length >= 0.94, `accuracy ${correct / labels.length}`);
  assert.is(correct / labels.length, digitsInfo.heldOutAccuracy);
});

bothTest('onnxruntime-web and -node agree on every held-out digit (logits within 1e-5)', async () => {
  const a = await runDigits(node, 'cpu');
  const b = await runDigits(web, 'wasm');
  assert.is(backendOf(b.session), 'web');
  for (let i = 0; i < a.labels.length; i++) {
    assert.is(argmaxRow(b.output.data, i, 10), argmaxRow(a.output.data, i, 10), `digit ${i}`);
  }
  const diff = maxAbsDiff(a.output.data, b.output.data);
  assert.ok(diff <= 1e-5, `max logit difference ${diff}`);
});

bothTest('image224: both runtimes give logits [1,1000] within 1e-4 of each other', async () => {
  const bytes = read('image224.onnx');
  const data = new Float32Array(3 * 224 * 224);
  // A smooth synthetic image (normalised values roughly in [-2, 2]).
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i / 97) * 2;
  const outputs = [];
  for (const [ort, provider] of [[node, 'cpu'], [web, 'wasm']]) {
    const session = await createSession(ort, provider, bytes);
    outputs.push(await runFloat(ort, session, data, [1, 3, 224, 224]));
  }
  assert.equal(outputs[0].dims, [1, 1000]);
  const diff = maxAbsDiff(outputs[0].data, outputs[1].data);
  assert.ok(diff <= 1e-4, `max logit difference ${diff}`);
  // Untrained but not degenerate: the logits spread out.
  const values = Array.from(outputs[0].data);
  assert.ok(Math.max(...values) - Math.min(...values) > 0.1);
});

test.run();
