// What one request of the componentize-js (StarlingMonkey) wasi:http guest costs in-thread (no
// sockets), per pool mode: main-thread CPU per request (process.threadCpuUsage, Node >= 23.9;
// the process's CPU, V8's helper threads included, beside it) and the part spent restoring the
// instance after the call (`reset`). Needs guests/http-hello/js/http-hello-js.wasm.
//   node bench/diagnostics/js-guest-cost.mjs [reset|fresh] [requests] [--dist <dir>]
import { fileURLToPath } from 'node:url';

const mode = process.argv.find((a) => a === 'reset' || a === 'fresh') ?? 'reset';
const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 500);
const distAt = process.argv.indexOf('--dist');
const dist = distAt > 0 ? new URL(`file://${process.argv[distAt + 1].replace(/\/?$/, '/')}`) : new URL('../../dist/', import.meta.url);
const { createRuntime } = await import(new URL('index.js', dist).href);
const { wasiHttpImports } = await import(new URL('http/imports.js', dist).href);
const { runIncomingHandler } = await import(new URL('http/incoming.js', dist).href);
const snapshot = await import(new URL('pool/snapshot.js', dist).href);
const usage = process.threadCpuUsage ? () => process.threadCpuUsage() : () => process.cpuUsage();
const cpu = () => { const u = usage(); return u.user + u.system; };
let restoreUs = 0;
let restores = 0;
const restore = snapshot.InstanceSnapshot.prototype.restore;
snapshot.InstanceSnapshot.prototype.restore = function () {
  const t0 = cpu();
  try { return restore.call(this); } finally { restoreUs += cpu() - t0; restores++; }
};
const body = new TextEncoder().encode('benchmark');
const request = () => ({ method: 'POST', pathWithQuery: '/x', scheme: 'http', authority: 'localhost', rawHeaders: ['Host', 'localhost', 'Content-Length', '9', 'X-Name', 'Ada'], body });
const rt = createRuntime();
const fn = await rt.load('js', fileURLToPath(new URL('../../guests/http-hello/js/http-hello-js.wasm', import.meta.url)), { imports: wasiHttpImports(), pool: { mode } });
for (let i = 0; i < Math.min(N, 300); i++) await runIncomingHandler(fn, request());
restoreUs = 0; restores = 0;
const c0 = cpu();
const p0 = process.cpuUsage();
let fuel = 0;
for (let i = 0; i < N; i++) fuel = (await runIncomingHandler(fn, request())).invocation.stats.fuelUsed;
const perRequest = (cpu() - c0) / N;
const p = process.cpuUsage(p0);
console.log(`${mode}: ${process.threadCpuUsage ? 'main-thread' : 'process'} CPU ${perRequest.toFixed(0)} µs/request (process ${((p.user + p.system) / N).toFixed(0)}), restore ${(restoreUs / Math.max(1, restores)).toFixed(0)} µs × ${restores}, guest fuel ${fuel}; one thread: ≤ ${(1e6 / perRequest).toFixed(0)} req/s`);
rt.close();
