// The nn suite's Loop attack alone, with more rounds than its 5 (--quick) or 7: a 30,000-trip ONNX
// Loop model (models/hostile-models.ts) run by the nn-hostile guest under timeoutMs 100 on the
// wasm engine until DEADLINE_EXCEEDED; prints each round's time from issuing the call to its
// return (the bench's loop_stop_ms_wasm is the median of its rounds) and the call's own elapsedMs.
// The first round runs the error path cold (~0.7–2 ms more); stops later than ~1 ms past the
// deadline come from the watchdog thread or the guest's thread waiting for a CPU (see bench/README).
//   node bench/diagnostics/nn-loop-stop.mjs [rounds] [repo dir]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const rounds = Number(process.argv[2] ?? 9);
const dir = resolve(process.argv[3] ?? new URL('../..', import.meta.url).pathname);
const { createRuntime } = await import(pathToFileURL(`${dir}/dist/index.js`).href);
const { loadTypeScript } = await import(pathToFileURL(`${dir}/models/build.mjs`).href);
const hostile = await loadTypeScript(`${dir}/models/hostile-models.ts`);
const rt = createRuntime({ nn: { models: { digits: `${dir}/models/digits.onnx`, loop: hostile.longLoopModel() } } });
const utf8 = (s) => new TextEncoder().encode(s);
const trips = new Uint8Array(BigInt64Array.of(30_000n).buffer);
const attacker = await rt.load('attacker', `${dir}/guests/dist/nn-hostile.wasm`, { limits: { memoryBytes: 16 * 1024 * 1024, timeoutMs: 100 }, nnBackend: 'wasm', pool: { mode: 'reuse' } });
const stops = [];
const elapsed = [];
for (let r = 0; r < rounds; r++) {
  const ctx = (await attacker.call('init-context', (await attacker.call('load-named', utf8('loop'))).val)).val;
  const t0 = performance.now();
  const call = attacker.call('compute', ctx, utf8('trips'), new Uint32Array(0), 6, trips);
  stops.push(performance.now() - t0); // the attack runs synchronously inside call()
  const err = await call.then(() => undefined, (e) => e);
  if (err?.code !== 'DEADLINE_EXCEEDED') throw err ?? new Error('the loop was not stopped');
  elapsed.push(err.elapsedMs);
}
const sorted = [...stops].sort((a, b) => a - b);
console.log(`Node ${process.version}: median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} ms`);
console.log(`per round (call → return): ${stops.map((x) => x.toFixed(2)).join(' ')}`);
console.log(`elapsedMs (call start → error):  ${elapsed.map((x) => x.toFixed(2)).join(' ')}`);
rt.close();
