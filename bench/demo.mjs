#!/usr/bin/env node
// `npm start`: a short tour on embedded defaults. Loads the bundled guests under limits, calls
// them, and prints results and timings. Everything here is measured live on this machine.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { createRuntime } from '../dist/index.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const guest = (name) => join(root, 'guests', 'dist', `${name}.wasm`);
const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
const line = (label, value) => console.log(`  ${label.padEnd(44)} ${value}`);

const rt = createRuntime();
console.log('sfirt demo — WebAssembly components as isolated functions\n');

console.log('loading (precompile cache: second run skips jco transpile)');
const names = ['hello', 'bytes', 'compute', 'trap', 'wasi-probe'];
const fns = {};
for (const name of names) {
  fns[name] = await rt.load(name, guest(name), { pool: { mode: 'fresh', min: 2 } });
  const t = fns[name].loadTimings;
  line(name, `${t.totalMs.toFixed(1)} ms (${t.cacheHit ? 'cache hit' : `transpiled in ${t.transpileMs.toFixed(1)} ms`})`);
}

console.log('\ncalls');
const show = async (fn, exp, args, fmt = (v) => JSON.stringify(v, (k, v) => (typeof v === 'bigint' ? `${v}n` : v))) => {
  const inv = await fns[fn].invoke(exp, args);
  line(`${fn}.${exp}(${args.map((a) => (a instanceof Uint8Array ? `<${a.length} bytes>` : JSON.stringify(a, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)))).join(', ')})`,
    `${fmt(inv.value)}   [${inv.stats.coldStart ? 'cold' : 'warm'}, run ${inv.stats.runUs.toFixed(1)} µs]`);
  return inv;
};
await show('hello', 'greet', ['world']);
await show('bytes', 'checksum', [new TextEncoder().encode('Wikipedia')]);
await show('compute', 'fib', [90]);
await show('compute', 'sort', [100_000, 1]);

console.log('\nerrors are typed, and the function keeps serving');
for (const [exp, args] of [['unreachable', []], ['divide', [1, 0]], ['out-of-bounds', [0xfffffff0]]]) {
  try {
    await fns.trap.call(exp, ...args);
  } catch (err) {
    line(`trap.${exp}`, `${err.code} (${err.trapKind})`);
  }
}
await show('trap', 'divide', [84, 2]);

console.log('\nWASI is deny-by-default');
const env = await fns['wasi-probe'].call('env');
line('guest sees host env vars', `${env.length} (host has ${Object.keys(process.env).length})`);
const passwd = await fns['wasi-probe'].call('read-file', '/etc/passwd');
line('guest reads /etc/passwd', passwd.tag === 'err' ? `denied (${passwd.val})` : 'ALLOWED?!');
const printed = await fns['wasi-probe'].invoke('print', ['captured stdout', 'captured stderr']);
line('stdout captured per call', JSON.stringify(new TextDecoder().decode(printed.stdout)));

console.log('\nlimits are enforced by rewriting the core wasm (memory cap, fuel, deadline)');
const capped = await rt.load('compute-fuel', guest('compute'), { limits: { fuel: 1_000_000 } });
const fib = await capped.invoke('fib-rec', [20]);
line('compute.fib-rec(20), fuel 1M', `${fib.value} using ${fib.stats.fuelUsed} fuel`);
try { await capped.call('fib-rec', 35); } catch (err) { line('compute.fib-rec(35), fuel 1M', err.code); }
const spin = await rt.load('spin', guest('spin'), { limits: { timeoutMs: 50 } });
const t0 = performance.now();
try { await spin.call('spin'); } catch (err) { line('spin.spin(), deadline 50 ms', `${err.code} after ${(performance.now() - t0).toFixed(1)} ms`); }
const alloc = await rt.load('alloc', guest('alloc'), { limits: { memoryBytes: 4 << 20 } });
line('alloc.grow(64 MiB), cap 4 MiB', `got ${await alloc.call('grow', 64 << 20)} bytes`);
try { await alloc.call('grow-and-use', 64 << 20); } catch (err) { line('alloc.grow-and-use(64 MiB), cap 4 MiB', err.code); }

console.log('\nONNX inference in the guest: classifier → wasi:nn → onnxruntime-web as a sandboxed wasm instance');
const nnRt = createRuntime({ nn: { models: { digits: join(root, 'models', 'digits.onnx') } } });
const classifier = await nnRt.load('classifier', guest('classifier'), { limits: { memoryBytes: 16 << 20, timeoutMs: 1000 } });
const { loadDigitsTest } = await import('../models/digits-test.mjs');
const { images, labels } = loadDigitsTest();
let correct = 0;
const n = 500;
const tc = performance.now();
for (let i = 0; i < n; i++) {
  const r = await classifier.call('classify', images[i]);
  if (r.tag === 'ok' && r.val.label === labels[i]) correct++;
}
line(`classified ${n} held-out digits`, `accuracy ${(correct / n).toFixed(3)}, ${(((performance.now() - tc) / n) * 1000).toFixed(0)} µs per call (incl. warm-up)`);
nnRt.close();

console.log('\ncold start vs warm (hello.greet, 200 calls each)');
const time = async (fn, n) => {
  const samples = [];
  for (let i = 0; i < n; i++) { const inv = await fn.invoke('greet', ['x']); samples.push(inv.stats); }
  return samples;
};
const warm = await rt.load('hello-warm', guest('hello'), { pool: { mode: 'reuse' } });
const ws = await time(warm, 200);
const fresh = await rt.load('hello-fresh', guest('hello'), { pool: { mode: 'fresh', min: 0 } });
const cs = await time(fresh, 200);
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
line('warm call, run time (median)', `${med(ws.map((s) => s.runUs)).toFixed(2)} µs`);
line('cold call, instantiate (median)', `${med(cs.map((s) => s.instantiateUs)).toFixed(1)} µs`);
rt.close();
console.log('\nMore: npm test · npm run bench -- <suite> (see README.md)');
