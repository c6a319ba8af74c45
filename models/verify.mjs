#!/usr/bin/env node
// Cross-checks the committed models on onnxruntime-node and onnxruntime-web:
//   digits.onnx  on all held-out digits: same predictions, logits within 1e-5, accuracy as recorded;
//   image224.onnx on seeded random images: logits within 1e-4; median latency of each runtime.
// `node models/verify.mjs` prints a report and exits 1 if any check fails.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadDigitsTest } from './digits-test.mjs';
import { argmaxRow, backendOf, createSession, digitsInput, loadRuntimes, maxAbsDiff, runFloat } from './ort-runners.mjs';

const modelsDir = new URL('./', import.meta.url);
const read = (name) => readFileSync(new URL(name, modelsDir));
const readJson = (name) => JSON.parse(read(name).toString('utf8'));
let failures = 0;
function check(ok, message) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures++;
}

const { node, web, errors } = await loadRuntimes();
if (!node || !web) {
  console.log('cannot load both runtimes:', errors);
  process.exit(1);
}

async function sessions(name) {
  const bytes = read(name);
  const info = readJson(name.replace(/\.onnx$/, '.json'));
  check(createHash('sha256').update(bytes).digest('hex') === info.sha256, `${name} sha256 matches ${name.replace(/\.onnx$/, '.json')}`);
  const onNode = await createSession(node, 'cpu', bytes);
  const onWeb = await createSession(web, 'wasm', bytes);
  check(backendOf(onNode) === 'node' && backendOf(onWeb) === 'web', `${name}: sessions on distinct runtimes (${backendOf(onNode)}, ${backendOf(onWeb)})`);
  return { info, onNode, onWeb };
}

async function medianMs(ort, session, data, dims, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await runFloat(ort, session, data, dims);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

{
  const { info, onNode, onWeb } = await sessions('digits.onnx');
  const { images, labels } = loadDigitsTest();
  const input = digitsInput(images);
  const dims = [images.length, 1, 28, 28];
  const a = (await runFloat(node, onNode, input, dims)).data;
  const b = (await runFloat(web, onWeb, input, dims)).data;
  let correct = 0;
  let agree = 0;
  for (let i = 0; i < images.length; i++) {
    const p = argmaxRow(a, i, 10);
    if (p === labels[i]) correct++;
    if (p === argmaxRow(b, i, 10)) agree++;
  }
  check(agree === images.length, `digits: node and web agree on ${agree}/${images.length} predictions`);
  check(maxAbsDiff(a, b) <= 1e-5, `digits: max |logit difference| ${maxAbsDiff(a, b).toExponential(2)} <= 1e-5`);
  check(correct / images.length === info.heldOutAccuracy, `digits: node accuracy ${correct / images.length} = recorded ${info.heldOutAccuracy}`);
  const one = input.subarray(0, 784);
  console.log(`     digits batch 1 median: node ${(await medianMs(node, onNode, one, [1, 1, 28, 28], 200) * 1000).toFixed(0)} µs, web ${(await medianMs(web, onWeb, one, [1, 1, 28, 28], 200) * 1000).toFixed(0)} µs (async API)`);
}

{
  const { onNode, onWeb } = await sessions('image224.onnx');
  let worst = 0;
  for (let seed = 1; seed <= 3; seed++) {
    const data = randomImage(seed);
    const a = (await runFloat(node, onNode, data, [1, 3, 224, 224])).data;
    const b = (await runFloat(web, onWeb, data, [1, 3, 224, 224])).data;
    worst = Math.max(worst, maxAbsDiff(a, b));
  }
  check(worst <= 1e-4, `image224: max |logit difference| ${worst.toExponential(2)} <= 1e-4 over 3 images`);
  const data = randomImage(9);
  console.log(`     image224 batch 1 median: node ${(await medianMs(node, onNode, data, [1, 3, 224, 224], 30)).toFixed(2)} ms, web ${(await medianMs(web, onWeb, data, [1, 3, 224, 224], 15)).toFixed(2)} ms (1 wasm thread)`);
}

/** A normalised image of uniform random bytes (xorshift32 seeded by `seed`). */
function randomImage(seed) {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float32Array(3 * 224 * 224);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const c = Math.floor(i / (224 * 224));
    data[i] = ((state & 255) / 255 - mean[c]) / std[c];
  }
  return data;
}

if (failures > 0) process.exitCode = 1;
