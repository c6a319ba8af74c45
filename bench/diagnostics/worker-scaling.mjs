// Direct-call throughput with 1 and 2 workers, side by side in alternating rounds (median per side),
// and the CPU per call of the main thread, the workers and the process's other threads (V8's helpers);
// optionally against another build of the library, for an A/B.
//   node bench/diagnostics/worker-scaling.mjs [--subject classifier|matmul:N] [--callers 32,64,128]
//                                             [--rounds 6] [--against /path/to/other/dist]
// (A/B: `git worktree add /tmp/wt <commit> && cd /tmp/wt && npm install && node build.mjs --lib-only`,
// then `--against /tmp/wt/dist`.) Linux only: CPU comes from /proc/self/stat.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settle } from '../lib/settle.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const subject = arg('subject', 'classifier');
const callers = arg('callers', '32,64,128').split(',').map(Number);
const rounds = Number(arg('rounds', '6'));
const builds = [['this', fileURLToPath(new URL('../../dist', import.meta.url))]];
if (arg('against')) builds.unshift(['other', arg('against')]);

const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));
const image = Buffer.alloc(784);
for (let i = 0; i < 784; i++) image[i] = (i * 37) % 255;
const matmulN = subject.startsWith('matmul:') ? Number(subject.slice(7)) : 0;
const runtime = matmulN ? {} : { nn: { models: { digits: fileURLToPath(new URL('../../models/digits.onnx', import.meta.url)) } } };
const load = (wr) => (matmulN ? wr.load('compute', guest('compute')) : wr.load('classifier', guest('classifier')));
const call = (fn) => (matmulN ? fn.call('matmul', matmulN, 1) : fn.call('classify', image));

/** CPU ms (utime + stime, clock ticks of 10 ms) of one /proc stat file. */
function cpuMs(statPath) {
  const stat = readFileSync(statPath, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const threadIds = () => new Set(readdirSync('/proc/self/task'));
/** CPU ms of the main thread, of `workerTids`, and of every other thread of the process. */
function cpuSplit(workerTids) {
  const out = { main: 0, workers: 0, other: 0 };
  for (const tid of threadIds()) {
    let ms;
    try { ms = cpuMs(`/proc/self/task/${tid}/stat`); } catch { continue; } // thread gone meanwhile
    if (tid === String(process.pid)) out.main += ms;
    else if (workerTids.has(tid)) out.workers += ms;
    else out.other += ms;
  }
  return out;
}

const sides = [];
for (const [build, dist] of builds) {
  const { createWorkerRuntime } = await import(`${dist}/index.js`);
  for (const workers of [1, 2]) {
    const before = threadIds();
    const wr = createWorkerRuntime({ workers, runtime });
    const fn = await load(wr);
    // The threads that appeared are this runtime's workers (V8's helper threads exist from the start).
    const workerTids = new Set([...threadIds()].filter((t) => !before.has(t)));
    sides.push({ label: `${build} ${workers}w`, build, workers, wr, fn, workerTids, rate: {}, cpu: {} });
  }
}
/** Calls per second with `n` concurrent callers for `ms`, and CPU µs per call (all, and split by thread). */
async function drive(side, n, ms) {
  const end = performance.now() + ms;
  let calls = 0;
  const cpu0 = cpuSplit(side.workerTids);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, async () => { while (performance.now() < end) { await call(side.fn); calls++; } }));
  const cpu1 = cpuSplit(side.workerTids);
  const perCall = (k) => ((cpu1[k] - cpu0[k]) * 1000) / calls;
  return { rate: calls / ((performance.now() - t0) / 1000), cpuUs: perCall('main') + perCall('workers') + perCall('other'), split: ['main', 'workers', 'other'].map(perCall) };
}
for (const s of sides) await drive(s, 32, 2500); // warm-up: engine, pools, tier-up
await settle();
for (let r = 0; r < rounds; r++) {
  for (const c of callers) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const { rate, cpuUs, split } = await drive(s, c, 500);
      (s.rate[c] ??= []).push(rate);
      (s.cpu[c] ??= []).push(cpuUs);
      (s.split ??= {})[c] ??= [];
      s.split[c].push(split);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`subject ${subject}, median of ${rounds} alternating rounds of 500 ms`);
for (const c of callers) {
  const row = sides.map((s) => {
    const [m, w, o] = [0, 1, 2].map((i) => median(s.split[c].map((x) => x[i])).toFixed(1));
    return `${s.label} ${median(s.rate[c]).toFixed(0)}/s (${median(s.cpu[c]).toFixed(1)} µs CPU/call: main ${m}, workers ${w}, other ${o})`;
  });
  const scaling = builds.map(([b]) => {
    const [one, two] = [1, 2].map((w) => median(sides.find((s) => s.build === b && s.workers === w).rate[c]));
    return `${b} ${(two / one).toFixed(2)}×`;
  });
  console.log(`c=${c}: ${row.join(' | ')} | scaling ${scaling.join(', ')}`);
}
for (const s of sides) await s.wr.close();
