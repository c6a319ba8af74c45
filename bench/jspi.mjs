// JSPI: what async host imports cost. One guest (guests/async-host) loaded twice, side by side in
// alternating rounds: with a synchronous `fetch` import (every export on the plain path) and with
// an async one (exports that may reach it are entered through `WebAssembly.promising`).
//   jspi_scalar_call_ratio   = µs per `fetch-sum(0)` call (u32 → u32; it may call the async
//                              import, so it is promising, but with n = 0 it never does)
//                              / the same export with a synchronous import (plain)
//   jspi_plain_export_ratio  = µs per `add(2, 3)` (cannot reach the import: it stays plain) on the
//                              function with the async import / on the one without (≈ 1)
//   jspi_suspend_call_ratio  = µs per `fetch-plus-one` whose host import is async (one suspension,
//                              the host's promise already settled) / the same with a sync import
// Medians of per-round ratios. Needs JSPI (Node 24+); elsewhere the suite reports why it cannot run.
import { createRuntime } from '../dist/index.js';
import { median } from './lib/stats.mjs';

const guest = new URL('../guests/dist/async-host.wasm', import.meta.url);
const HOST = 'sfirt:async-host/host';

export async function run({ quick, log }) {
  if (typeof WebAssembly.Suspending !== 'function') {
    return { metrics: {}, notes: [`no JSPI on Node ${process.versions.node}: async host imports need Node 24+ (nothing to measure)`] };
  }
  const rt = createRuntime({ cacheDir: false });
  const plain = await rt.load('plain', guest, { imports: { [HOST]: { fetch: (x) => x } } });
  const suspending = await rt.load('suspending', guest, { imports: { [HOST]: { fetch: async (x) => x } } });
  const rounds = quick ? 7 : 21;
  const calls = quick ? 5_000 : 20_000;
  const time = async (fn, name, args) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn.call(name, ...args);
    return ((performance.now() - t0) * 1000) / calls;
  };
  const cases = { scalar: ['fetch-sum', [0]], plain_export: ['add', [2, 3]], suspend: ['fetch-plus-one', [7]] };
  const details = {};
  const metrics = {};
  for (const [label, [name, args]] of Object.entries(cases)) {
    for (let i = 0; i < 2; i++) { await time(plain, name, args); await time(suspending, name, args); } // warm both
    const ratios = [];
    const us = { plain: [], suspending: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so drift in machine load hits both alike.
      const [a, b] = r % 2 === 0 ? [plain, suspending] : [suspending, plain];
      const ta = await time(a, name, args);
      const tb = await time(b, name, args);
      const [tp, ts] = a === plain ? [ta, tb] : [tb, ta];
      us.plain.push(tp);
      us.suspending.push(ts);
      ratios.push(ts / tp);
    }
    metrics[`jspi_${label}_call_ratio`] = median(ratios);
    metrics[`jspi_${label}_plain_us`] = median(us.plain);
    metrics[`jspi_${label}_suspending_us`] = median(us.suspending);
    details[label] = { ratios, ...us };
    log(`${label}: plain ${median(us.plain).toFixed(2)} µs, may-suspend ${median(us.suspending).toFixed(2)} µs, ratio ${median(ratios).toFixed(2)}`);
  }
  rt.close();
  return {
    metrics, details,
    notes: [
      'jspi_scalar_call_ratio = fetch-sum(0) through SfiFunction.call, export entered through WebAssembly.promising (it may reach the async import; with 0 it does not) / the same export plain (sync import); median of per-round ratios, rounds alternate',
      'jspi_plain_export_ratio = add(2, 3), which cannot reach the import and stays plain, on the function with an async import / without',
      'jspi_suspend_call_ratio = fetch-plus-one with an async host import that settles at once (one suspension and resume) / with a synchronous one',
    ],
  };
}
