// The digits classifier guest of several builds (or pool modes, or guest files) side by side in one
// process, with onnxruntime-web's public API as the yardstick: after a warm-up of 1,500 calls each,
// ROUNDS (30) interleaved rounds of PER (100) calls; per contender its best round's median, first
// quartile and median of the rounds' medians (µs), and best / onnxruntime-web (the nn suite's
// `nn_overhead_ratio` is guest_wasm_us / direct_ortweb_us). Each build brings its own dist/ (its own
// runtime and engine); a contender is `name=<repo dir>[:<pool mode>[:<guest .wasm>]]`, loaded with
// `init: 'init'` and nnBackend `wasm` like the bench's guest_wasm. Each build has its own copy of
// the 14 MB engine, and copies differ by up to ±0.5 µs per call from run to run: repeat, and prefer
// contenders of one build (pool modes, guest files) when the difference sought is that small.
//   node bench/diagnostics/nn-guest-ab.mjs old=/tmp/old-checkout new=. [reuse=.:reuse]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MiB = 1024 * 1024;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const specs = process.argv.slice(2).map((a) => {
  const [name, spec = ''] = a.split('=');
  const [dir, mode = 'reset', guest] = spec.split(':');
  return { name, dir: resolve(dir), mode, guest };
});
if (specs.length === 0) throw new Error('usage: nn-guest-ab.mjs name=<repo dir>[:<pool mode>[:<guest .wasm>]] ...');

const ortWeb = await import('onnxruntime-web');
ortWeb.env.wasm.numThreads = 1;
let seed = 12345;
const data = Float32Array.from({ length: 784 }, () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32));
const pixels = Uint8Array.from(data, (x) => Math.floor(x * 256)); // as bench/nn.mjs feeds the guest
const model = new Uint8Array(readFileSync(`${specs[0].dir}/models/digits.onnx`));
const web = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const webFeeds = { input: new ortWeb.Tensor('float32', data, [1, 1, 28, 28]) };
const fns = { ortweb: () => web.run(webFeeds) };
const runtimes = [];
for (const { name, dir, mode, guest } of specs) {
  const { createRuntime } = await import(pathToFileURL(`${dir}/dist/index.js`).href);
  const rt = createRuntime({ nn: { models: { digits: `${dir}/models/digits.onnx` }, engineMemoryMaxBytes: 512 * MiB } });
  runtimes.push(rt);
  const fn = await rt.load(name, guest ?? `${dir}/guests/dist/classifier.wasm`, { nnBackend: 'wasm', init: 'init', pool: { mode } });
  fns[name] = async () => {
    const r = await fn.call('classify', pixels);
    if (r.tag !== 'ok') throw new Error(`${name}: ${JSON.stringify(r.val)}`);
  };
}
const rounds = Number(process.env.ROUNDS ?? 30);
const per = Number(process.env.PER ?? 100);
for (const fn of Object.values(fns)) for (let i = 0; i < 1500; i++) await fn();
const all = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
const order = Object.entries(fns);
for (let r = 0; r < rounds; r++) {
  // Every other round in reverse order: a contender's place in the round moves its figure too.
  for (const [k, fn] of r % 2 === 0 ? order : [...order].reverse()) {
    const xs = [];
    for (let i = 0; i < per; i++) { const t = performance.now(); await fn(); xs.push((performance.now() - t) * 1000); }
    all[k].push(median(xs));
  }
}
const best = (k) => Math.min(...all[k]);
console.log(`Node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
for (const k of Object.keys(fns)) {
  const q1 = [...all[k]].sort((a, b) => a - b)[Math.floor(all[k].length / 4)];
  console.log(`${k.padEnd(14)} best ${best(k).toFixed(2)}  q1 ${q1.toFixed(2)}  median ${median(all[k]).toFixed(2)}  best/ortweb ${(best(k) / best('ortweb')).toFixed(3)}`);
}
for (const rt of runtimes) rt.close();
