// TEMP (helper h11): AS compute guest, plain vs imported-global vs own-global, interleaved.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { buildFastGlue } from '../dist/component/fast/index.js';
import { instrumentModule } from '../dist/instrument/index.js';
import { Meter } from '../dist/limits/index.js';
import { median } from './lib/stats.mjs';
const computeBytes = readFileSync(fileURLToPath(new URL('../guests/dist/compute.wasm', import.meta.url)));
const CALLS = { fib: (g) => g.fibRec(27), sort: (g) => g.sort(100_000, 1), matmul: (g) => g.matmul(120, 1), hash: (g, d) => g.hash(d, 8) };
setFlagsFromString('--no-liftoff');
const plainGlue = await buildFastGlue(computeBytes);
const impGlue = await buildFastGlue(computeBytes, { transform: (b) => instrumentModule(b, { meter: true }).bytes });
const ownGlue = await buildFastGlue(computeBytes, { transform: (b) => instrumentModule(b, { meter: true, fuelGlobal: 'own' }).bytes });
setFlagsFromString('--liftoff');
const plain = plainGlue.instantiate({});
const m1 = new Meter(), m2 = new Meter();
const imp = impGlue.instantiate({}, (m, i) => new WebAssembly.Instance(m, { ...i, ...m1.imports }));
const own = ownGlue.instantiate({}, (m, i) => { const inst = new WebAssembly.Instance(m, { ...i, ...m2.imports }); m2.attach(inst.exports); return inst; });
const data = new Uint8Array(256 * 1024).map((_, i) => (i * 2654435761) >>> 24);
const rounds = Number(process.argv[2] ?? 7), warmup = 3;
for (const [name, call] of Object.entries(CALLS)) {
  const r1 = [], r2 = [];
  for (let i = 0; i < rounds + warmup; i++) {
    let t = performance.now(); const a = call(plain, data); const dp = performance.now() - t;
    m1.start({ deadline: performance.now() + 60_000 }); t = performance.now(); const b = call(imp, data); const d1 = performance.now() - t;
    m2.start({ deadline: performance.now() + 60_000 }); t = performance.now(); const c = call(own, data); const d2 = performance.now() - t;
    if (!Object.is(a, b) || !Object.is(a, c)) throw new Error(`${name}: results differ`);
    if (m1.fuelUsed !== m2.fuelUsed) throw new Error(`${name}: fuel ${m1.fuelUsed} vs ${m2.fuelUsed}`);
    if (i >= warmup) { r1.push(d1 / dp); r2.push(d2 / dp); }
  }
  console.log(`guest ${name}: imported ${median(r1).toFixed(3)}×  own ${median(r2).toFixed(3)}×  (fuel ${m1.fuelUsed} both; refills ${m1.refills}/${m2.refills})`);
}
