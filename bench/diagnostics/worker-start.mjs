// A two-worker runtime from start: load time, then classifier calls/s in each of the first seconds,
// the process's CPU and its peak RSS; optionally the same for another build of the library.
//   node bench/diagnostics/worker-start.mjs [seconds] [/path/to/other/dist]
// Run each build in its own process (this script once per build): what V8 compiles at start is
// per process. Linux only: CPU comes from /proc/self/stat.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 12);
const dist = process.argv[3] ?? fileURLToPath(new URL('../../dist', import.meta.url));
const cpuSeconds = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

const { createWorkerRuntime } = await import(`${dist}/index.js`);
const t0 = performance.now();
const wr = createWorkerRuntime({ workers: 2, runtime: { nn: { models: { digits: fileURLToPath(new URL('../../models/digits.onnx', import.meta.url)) } } } });
const fn = await wr.load('classifier', fileURLToPath(new URL('../../guests/dist/classifier.wasm', import.meta.url)));
const loadMs = performance.now() - t0;
const image = Buffer.alloc(784);
let peak = process.memoryUsage.rss();
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
const rates = [];
for (let s = 0; s < seconds; s++) {
  const end = performance.now() + 1000;
  let n = 0;
  await Promise.all(Array.from({ length: 64 }, async () => { while (performance.now() < end) { await fn.call('classify', image); n++; } }));
  rates.push(n);
}
clearInterval(sampler);
console.log(`${dist}: load ${loadMs.toFixed(0)} ms; process CPU ${cpuSeconds().toFixed(1)} s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
console.log(`calls/s in seconds 1..${seconds}: ${rates.map((r) => `${(r / 1000).toFixed(1)}k`).join(' ')}`);
await wr.close();
