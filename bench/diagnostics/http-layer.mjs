// What serve() itself costs a wasi:http route: this thread's CPU per request (pipelined client in a
// child process, 5 alternating rounds, median) for a bare node:http handler, the simple route, a
// wasi:http route whose function answers a fixed response without any guest (`fake wasi`: routing,
// admission, body reading, response checks and writing), and the real http-hello component. The
// difference between the last two is the guest path (glue, host resources, guest, reset).
//   node bench/diagnostics/http-layer.mjs
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
const dist = (p) => new URL(`../../dist/${p}`, import.meta.url).href;
const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));
const httpBench = fileURLToPath(new URL('../http.mjs', import.meta.url));
const { createRuntime } = await import(dist('index.js'));
const { serve } = await import(dist('http/serve.js'));
const { wasiHttpImports } = await import(dist('http/imports.js'));
const { startBareServer } = await import('../lib/bare-server.mjs');
const rt = createRuntime();
const hello = await rt.load('hello', guest('hello'));
const wasi = await rt.load('http-hello', guest('http-hello'), { imports: wasiHttpImports() });
const fixed = { status: 200, headers: [['content-type', 'text/plain; charset=utf-8'], ['x-guest', 'http-hello']], body: new TextEncoder().encode('Hello, Ada! POST /wasi/x body=9 bytes\nbenchmark') };
const fake = { wit: wasi.wit, invoke: (...a) => wasi.invoke(...a), exportNames: () => wasi.exportNames(), handleHttp: async () => ({ response: fixed, coldStart: false }) };
const source = { get: (n) => (n === 'fake' ? fake : rt.get(n)) };
const srv = await serve(source, { maxInflight: 1024, maxQueueDelayMs: 2000, routes: [
  { path: '/greet', function: 'hello' },
  { method: '*', path: '/wasi/*', function: 'http-hello', kind: 'wasi-http' },
  { method: '*', path: '/fake/*', function: 'fake', kind: 'wasi-http' },
] });
const bare = await startBareServer();
const body = Buffer.from('benchmark').toString('base64');
const load = { connections: 16, depth: 32, body, pollMs: 2 };
const client = (spec) => new Promise((res, rej) => { const c = spawn(process.execPath, [httpBench, '--pipelined-client', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] }); let o = ''; c.stdout.on('data', (d) => (o += d)); c.on('close', (k) => (k === 0 ? res(JSON.parse(o)) : rej(new Error('client ' + k)))); });
const usage = process.threadCpuUsage ? () => process.threadCpuUsage() : () => process.cpuUsage();
const targets = [['bare', `http://127.0.0.1:${bare.address().port}/greet`], ['simple', `${srv.url}/greet`], ['fake wasi', `${srv.url}/fake/x`], ['wasi', `${srv.url}/wasi/x`]];
for (const [, url] of targets) await client({ ...load, url, durationMs: 20000, warmMs: 0, answers: 20000 });
const res = {};
for (let r = 0; r < 5; r++) for (const [label, url] of r % 2 ? [...targets].reverse() : targets) {
  const c0 = usage(); const x = await client({ ...load, url, durationMs: 1000, warmMs: 200 }); const c1 = usage();
  (res[label] ??= []).push((c1.user - c0.user + c1.system - c0.system) / ((x.ok + x.other) * (1 + 200 / x.elapsedMs)));
}
for (const [label] of targets) { const v = res[label].sort((a, b) => a - b); console.log(label.padEnd(10), v[2].toFixed(1), 'µs CPU/req', v.map((z) => z.toFixed(1)).join(' ')); }
bare.close(); await srv.close(); rt.close();
