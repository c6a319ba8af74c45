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

/** A value as a JS literal: BigInts as `123n` (u64 results are BigInts), bytes by length. */
const literal = (v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : JSON.stringify(v));

console.log('\ncalls (pool mode fresh: every call runs on a never-used instance, made ahead of the call)');
const show = async (fn, exp, args) => {
  const inv = await fns[fn].invoke(exp, args);
  const how = inv.stats.coldStart ? `instantiated on the call path in ${inv.stats.instantiateUs.toFixed(0)} µs` : 'instance made ahead';
  line(`${fn}.${exp}(${args.map(literal).join(', ')})`, `${literal(inv.value)}   [${how}, run ${inv.stats.runUs.toFixed(1)} µs]`);
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
line('alloc.grow(64 MiB), cap 4 MiB', `refused: memory.grow returned -1 in the guest, which got ${await alloc.call('grow', 64 << 20)} bytes and went on`);
try { await alloc.call('grow-and-use', 64 << 20); } catch (err) { line('alloc.grow-and-use(64 MiB), cap 4 MiB', `${err.code} (it used the memory it did not get, and trapped)`); }

console.log('\nONNX inference in the guest: classifier → wasi:nn → onnxruntime-web as a sandboxed wasm instance');
const nnRt = createRuntime({ nn: { models: { digits: join(root, 'models', 'digits.onnx') } } });
const tLoad = performance.now();
const classifier = await nnRt.load('classifier', guest('classifier'), { limits: { memoryBytes: 16 << 20, timeoutMs: 1000 } }).catch((err) => {
  if (err.code !== 'BACKEND_UNAVAILABLE') throw err;
  line('skipped', err.message); // onnxruntime-web is an optional dependency
  return undefined;
});
if (classifier) {
  line('load: engine start + model (once per runtime)', `${(performance.now() - tLoad).toFixed(0)} ms`);
  const { loadDigitsTest } = await import('../models/digits-test.mjs');
  const { images, labels } = loadDigitsTest();
  let correct = 0;
  const n = 500;
  const callUs = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await classifier.call('classify', images[i]);
    callUs.push((performance.now() - t) * 1000);
    if (r.tag === 'ok' && r.val.label === labels[i]) correct++;
  }
  const steady = callUs.slice(n / 2).sort((a, b) => a - b);
  line('first classification', `${(callUs[0] / 1000).toFixed(1)} ms (first run of the engine's code)`);
  line(`classified ${n} held-out digits`, `accuracy ${(correct / n).toFixed(3)}; ${steady[steady.length >> 1].toFixed(0)} µs per call (median of the last ${n / 2}, V8 still tiering up the 14 MB engine before that)`);
}
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
