// CPU per in-thread wasi:http request of http-hello in each pool mode (`reuse` vs `reset`, the same
// guest loaded twice, alternating rounds): what acquiring and giving back an instance costs per
// request in each mode. Main-thread CPU where Node has process.threadCpuUsage (>= 23.9).
//   node bench/diagnostics/http-pool-modes.mjs [requests]
import { fileURLToPath } from 'node:url';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20000);
const dist = (p) => new URL(`../../dist/${p}`, import.meta.url).href;
const { createRuntime } = await import(dist('index.js'));
const { wasiHttpImports } = await import(dist('http/imports.js'));
const { runIncomingHandler } = await import(dist('http/incoming.js'));
const body = new TextEncoder().encode('benchmark');
const plain = () => ({ method: 'POST', pathWithQuery: '/wasi/x', scheme: 'http', authority: 'localhost', rawHeaders: ['Host', 'localhost', 'Content-Length', '9', 'X-Name', 'Ada'], body });
const usage = process.threadCpuUsage ? () => process.threadCpuUsage() : () => process.cpuUsage();
const cpu = () => { const u = usage(); return u.user + u.system; };
const rt = createRuntime();
const fns = {};
for (const mode of ['reuse', 'reset']) fns[mode] = await rt.load('h-' + mode, fileURLToPath(new URL('../../guests/dist/http-hello.wasm', import.meta.url)), { imports: wasiHttpImports(), pool: { mode } });
const res = {};
for (let round = 0; round < 6; round++) for (const mode of round % 2 ? ['reset', 'reuse'] : ['reuse', 'reset']) {
  const fn = fns[mode]; const n = round === 0 ? 2000 : N / 5;
  const c0 = cpu(); let r; for (let i = 0; i < n; i++) r = await runIncomingHandler(fn, plain());
  if (round) (res[mode] ??= []).push((cpu() - c0) / n); res.mem = r.invocation.stats.memoryBytes;
}
for (const m of ['reuse', 'reset']) { const v = res[m].sort((a, b) => a - b); console.log(m, 'CPU µs/req min', v[0].toFixed(1), 'median', v[2].toFixed(1)); }
console.log('memoryBytes', res.mem);
rt.close();
