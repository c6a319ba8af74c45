// Heap bytes each instantiation leaves behind, per V8 space: the compute guest's main core module
// instantiated bare, and our pool miss (`fresh` pool, min 0) and pool hit through createRuntime().
// V8 puts wasm instances in the old generation, which is why pool misses pay incremental-marking
// steps (see the bare_cold note of the instantiate suite).
//   node --expose-gc bench/diagnostics/instance-heap.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { createRuntime } from '../../dist/index.js';

if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const guest = fileURLToPath(new URL('../../guests/dist/compute.wasm', import.meta.url));
const N = 1000;

const { transpile } = await import('@bytecodealliance/jco');
const out = await transpile(readFileSync(guest), { name: 'c', instantiation: { tag: 'sync' }, noTypescript: true });
const module = Object.entries(out.files).filter(([n]) => n.endsWith('.wasm')).map(([, b]) => new WebAssembly.Module(b))
  .find((m) => WebAssembly.Module.exports(m).some((e) => e.name === 'noop'));

const used = () => Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
/** Bytes per run of `step` in each space that grew by more than 10 bytes a run (approximate: a scavenge during the runs frees or promotes young bytes). */
async function perRun(step) {
  for (let i = 0; i < 100; i++) await step();
  global.gc();
  const before = used();
  for (let i = 0; i < N; i++) await step();
  const after = used();
  return Object.keys(after).filter((k) => (after[k] - before[k]) / N > 10).map((k) => `${k} ${((after[k] - before[k]) / N).toFixed(0)} B`).join(', ');
}

const rt = createRuntime();
const cold = await rt.load('cold', guest, { pool: { mode: 'fresh', min: 0 } });
const warm = await rt.load('warm', guest, { pool: { mode: 'reuse', min: 1 } });
const keep = [];
console.log('bare instance (kept alive):', await perRun(() => { keep.push(new WebAssembly.Instance(module, {})); }));
keep.length = 0;
console.log('pool miss, call → result:  ', await perRun(() => cold.call('noop')));
console.log('pool hit, call → result:   ', await perRun(() => warm.call('noop')));
rt.close();
