// Side-by-side HTTP rates of two builds in one process: a bare node:http handler, this build's
// server (simple route, wasi:http hello, optionally the componentize-js guest) and another build's
// server (`--against <dist>`, e.g. a copy of main's dist with a node_modules link and package.json
// beside it), driven in interleaved rounds by bench/http.mjs's load generator (a child process).
// Prints req/s and server CPU µs/request per target (median of rounds) and the ratios to bare. The
// CPU is this thread's alone where Node has process.threadCpuUsage (>= 23.9; V8's helper threads,
// whose background compilation and GC are not per request, are left out), else the process's.
//   node bench/diagnostics/http-ab.mjs --against /tmp/before/dist [--rounds 3] [--c 8] [--ms 1000] [--js]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startBareServer } from '../lib/bare-server.mjs';

const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const against = arg('--against');
const rounds = Number(arg('--rounds', 3));
const concurrency = Number(arg('--c', 8));
const ms = Number(arg('--ms', 1000));
const js = process.argv.includes('--js');
const httpBench = fileURLToPath(new URL('../http.mjs', import.meta.url));
const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));
const jsGuest = fileURLToPath(new URL('../../guests/http-hello/js/http-hello-js.wasm', import.meta.url));
const body = Buffer.from('benchmark').toString('base64');

function client(url, c = concurrency, durationMs = ms) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [httpBench, '--client', JSON.stringify({ url, method: 'POST', body, concurrency: c, durationMs })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`))));
  });
}

async function build(distUrl, withJs) {
  const { createRuntime } = await import(new URL('index.js', distUrl).href);
  const { serve } = await import(new URL('http/serve.js', distUrl).href);
  const { wasiHttpImports } = await import(new URL('http/imports.js', distUrl).href);
  const rt = createRuntime();
  await rt.load('hello', guest('hello'));
  await rt.load('http-hello', guest('http-hello'), { imports: wasiHttpImports() });
  const routes = [{ path: '/greet', function: 'hello' }, { method: '*', path: '/wasi/*', function: 'http-hello', kind: 'wasi-http' }];
  if (withJs) {
    await rt.load('js-fresh', jsGuest, { pool: { mode: 'fresh', min: 2, max: 8, maxQueue: 64 }, imports: wasiHttpImports() });
    await rt.load('js-reset', jsGuest, { pool: { mode: 'reset', min: 2, max: 4, maxQueue: 64 }, imports: wasiHttpImports() });
    routes.push({ method: '*', path: '/js-fresh/*', function: 'js-fresh', kind: 'wasi-http' }, { method: '*', path: '/js-reset/*', function: 'js-reset', kind: 'wasi-http' });
  }
  const srv = await serve(rt, { maxInflight: 64, routes });
  return { rt, srv };
}

const bare = await startBareServer();
const self = await build(new URL('../../dist/', import.meta.url), js);
const other = against ? await build(new URL(`file://${against.replace(/\/?$/, '/')}`), js) : undefined;
const targets = [
  ['bare', `http://127.0.0.1:${bare.address().port}/greet`],
  ['simple', `${self.srv.url}/greet`],
  ['wasi', `${self.srv.url}/wasi/x`],
  ...(other ? [['wasi (against)', `${other.srv.url}/wasi/x`]] : []),
  ...(js ? [['js fresh', `${self.srv.url}/js-fresh/x`], ['js reset', `${self.srv.url}/js-reset/x`]] : []),
  ...(js && other ? [['js fresh (against)', `${other.srv.url}/js-fresh/x`], ['js reset (against)', `${other.srv.url}/js-reset/x`]] : []),
];
for (const [, url] of targets) await client(url, 8, 700); // warm-up: tier-up of guest code
const results = {};
for (let round = 0; round < rounds; round++) {
  for (const [label, url] of round % 2 ? [...targets].reverse() : targets) {
    const usage = process.threadCpuUsage ? () => process.threadCpuUsage() : () => process.cpuUsage();
    const cpu0 = usage();
    const r = await client(url);
    const cpu1 = usage();
    const cpu = { user: cpu1.user - cpu0.user, system: cpu1.system - cpu0.system };
    const ok = r.statuses[200] ?? 0;
    (results[label] ??= []).push({ rps: r.rps, cpu: (cpu.user + cpu.system) / (r.n + r.warm + r.errors), bad: r.n - ok + r.errors });
  }
}
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const bareRps = med(results.bare.map((x) => x.rps));
for (const [label] of targets) {
  const v = results[label];
  const rps = med(v.map((x) => x.rps));
  const bad = v.reduce((n, x) => n + x.bad, 0);
  console.log(`${label.padEnd(20)} ${rps.toFixed(0).padStart(7)} req/s  ${med(v.map((x) => x.cpu)).toFixed(0).padStart(6)} µs CPU/req  vs bare ${(rps / bareRps).toFixed(2)}  (rounds: ${v.map((x) => x.rps.toFixed(0)).join(' ')}${bad ? `; ${bad} non-200` : ''})`);
}
bare.close();
for (const s of [self, other]) if (s) { await s.srv.close(); s.rt.close(); }
