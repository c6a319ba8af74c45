#!/usr/bin/env node
// The benchmarked function under our runtime, in a fresh Node process ("cold from nothing": no
// compiled engine, no loaded model, no guest instance). Same protocol as classify.mjs:
//   node classify-wasm.mjs <wasm|native>   request `<id> <base64 784 bytes>` → `<id> <label> <p>`
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../../../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const rt = createRuntime({ nn: { models: { digits: join(root, 'models', 'digits.onnx') }, backend: process.argv[2] ?? 'wasm' } });
const classifier = await rt.load('classifier', join(root, 'guests', 'dist', 'classifier.wasm'), {
  limits: { memoryBytes: 16 << 20 },
});

let chain = Promise.resolve();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  chain = chain.then(async () => {
    const text = line.trim();
    if (text === '') return;
    const space = text.indexOf(' ');
    const id = space < 0 ? text : text.slice(0, space);
    const pixels = new Uint8Array(Buffer.from(space < 0 ? '' : text.slice(space + 1), 'base64'));
    const r = await classifier.call('classify', pixels).catch((err) => ({ tag: 'err', val: { code: err.code, message: err.message } }));
    process.stdout.write(r.tag === 'ok'
      ? `${id} ${r.val.label} ${Math.max(...r.val.probabilities).toFixed(4)}\n`
      : `${id} error ${r.val.code}: ${r.val.message}\n`);
  });
});
lines.on('close', () => chain.then(() => { rt.close(); process.exit(0); }));
process.stdout.write('ready\n');
