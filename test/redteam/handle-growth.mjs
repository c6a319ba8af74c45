// Red team probe (glue/pool areas, issues 16/19): handles a guest never drops. Each `get-stdout`
// (or clock subscription) returns a new own handle; a guest that never drops them grows the
// glue's handle table and capture map on the host, with no cap, across calls on a kept instance.
// Usage: node --expose-gc test/redteam/handle-growth.mjs [calls] [handlesPerCall]
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { Program, run } from '../wasi/io-ops.mjs';

const calls = Number(process.argv[2] ?? 10);
const per = Number(process.argv[3] ?? 200_000);
const MiB = 1024 * 1024;
const rt = createRuntime({ cacheDir: tempCache() });
for (const glue of ['jco', 'fast']) {
  const fn = await rt.load(`grow-${glue}`, guest('io-ops'), { glue, limits: { memoryBytes: 16 * MiB, timeoutMs: 10_000 }, pool: { mode: 'reuse', max: 1 } });
  const p = new Program();
  for (let i = 0; i < per; i++) p.subscribeDuration(0);
  const heap = () => { globalThis.gc?.(); return process.memoryUsage().heapUsed; };
  const before = heap();
  const t0 = performance.now();
  for (let c = 0; c < calls; c++) await run(fn, p);
  console.log(JSON.stringify({ glue, handlesKept: calls * per, hostHeapGrowthMiB: Math.round((heap() - before) / MiB), bytesPerHandle: Math.round((heap() - before) / (calls * per)), ms: Math.round(performance.now() - t0) }));
}
rt.close();
