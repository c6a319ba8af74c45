// Red team probe: host memory a 16 MiB guest can make the wasi:nn host hold, outside the tensor
// byte budget. (1) tensors whose `dimensions` list is huge (the host keeps the dimensions; only the
// data counts against `quota.tensorBytes`); (2) errors whose message embeds what the guest sent
// (an unknown input name, or a rank mismatch listing every dimension), kept by the guest.
// Usage: node --expose-gc test/redteam/nn-host-memory.mjs [dims|names] [calls]
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache, root } from '../helpers.mjs';
import { join } from 'node:path';

const mode = process.argv[2] ?? 'dims';
const calls = Number(process.argv[3] ?? 20);
const MiB = 1024 * 1024;
const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { digits: join(root, 'models/digits.onnx') } } });
const fn = await rt.load('hostile', guest('nn-hostile'), { limits: { memoryBytes: 16 * MiB }, pool: { mode: 'reuse', max: 1 } });
const heap = () => { globalThis.gc?.(); const m = process.memoryUsage(); return Math.round((m.heapUsed + m.external + m.arrayBuffers) / MiB); };
const before = heap();
const rank = 1_500_000; // 6 MB of u32 in a 16 MiB guest
const dims = new Uint32Array(rank).fill(1);
let last;
const t0 = performance.now();
if (mode === 'dims') {
  for (let i = 0; i < calls; i++) last = await fn.call('new-tensor', dims, 4 /* U8 */, new Uint8Array(1));
} else {
  const graph = (await fn.call('load-named', new TextEncoder().encode('digits'))).val;
  const ctx = (await fn.call('init-context', graph)).val;
  const name = new Uint8Array(6 * MiB).fill(0x61);
  // compute with an unknown input name: the error resource the guest keeps holds the message.
  for (let i = 0; i < calls; i++) last = await fn.call('compute', ctx, name, Uint32Array.of(1, 1, 28, 28), 1 /* FP32 */, new Uint8Array(784 * 4));
}
const after = heap();
console.log(JSON.stringify({ mode, calls, guestMemoryMiB: 16, hostHeapGrowthMiB: after - before, perCallMiB: +((after - before) / calls).toFixed(1), ms: Math.round(performance.now() - t0), last: typeof last === 'object' ? JSON.stringify(last).slice(0, 120) : last }));
rt.close();
