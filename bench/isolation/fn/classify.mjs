#!/usr/bin/env node
// The benchmarked function: an MNIST digits classifier served over stdin/stdout, identical under
// every isolation backend. Usage: node classify.mjs <model.onnx>
//
// Protocol (one request per line, answered in order):
//   request  `<id> <base64 of 784 grayscale bytes, 28×28 row-major, 0–255>`
//   response `<id> <label 0–9> <top softmax probability>`
//   bad input `<id> error <message>`
// After the model is loaded it prints `ready`. Requests written before that are buffered by the
// pipe and answered once loading finishes, so "cold start" = spawn → first correct response.
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';

const PIXELS = 28 * 28;
const modelPath = process.argv[2];
if (!modelPath) {
  process.stderr.write('usage: classify.mjs <model.onnx>\n');
  process.exit(2);
}

// One thread each: every backend runs one instance per request stream, and the machine has 2
// cores shared with the benchmark driver.
const session = await ort.InferenceSession.create(modelPath, {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});
const inputName = session.inputNames[0];
const outputName = session.outputNames[0];
const input = new Float32Array(PIXELS);

/** Classifies one image; returns the argmax label and its softmax probability. */
async function classify(pixels) {
  for (let i = 0; i < PIXELS; i++) input[i] = pixels[i] / 255; // models/README.md: pixel/255, no shift
  const out = await session.run({ [inputName]: new ort.Tensor('float32', input, [1, 1, 28, 28]) });
  const logits = out[outputName].data;
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - logits[best]);
  return { label: best, probability: 1 / sum };
}

// Answers strictly in arrival order: readline events are handled one at a time through a chain.
let chain = Promise.resolve();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  chain = chain.then(async () => {
    const text = line.trim();
    if (text === '') return;
    const space = text.indexOf(' ');
    const id = space < 0 ? text : text.slice(0, space);
    const pixels = Buffer.from(space < 0 ? '' : text.slice(space + 1), 'base64');
    if (pixels.length !== PIXELS) {
      process.stdout.write(`${id} error expected ${PIXELS} bytes, got ${pixels.length}\n`);
      return;
    }
    const { label, probability } = await classify(pixels);
    process.stdout.write(`${id} ${label} ${probability.toFixed(4)}\n`);
  });
});
lines.on('close', () => {
  chain.then(() => process.exit(0));
});
process.stdout.write('ready\n');
