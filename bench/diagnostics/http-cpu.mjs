// Server CPU per request of serve() in this thread, through sockets, for a bare node:http handler,
// the simple route (hello.greet) and the wasi:http hello component (and the same wasi:http route of
// another build with `--against <dist>`), measured side by side in interleaved rounds. The load is
// bench/lib/pipelined-client.mjs in a child process (lean: ~2.5 µs of its CPU per answer), so the
// server thread, not the client, is what runs out of CPU. Reports this thread's CPU µs/request
// (process.threadCpuUsage where Node has it, else the process's) and req/s, median of rounds.
// `--prof <label>[,<label>]` adds a CPU profile of those targets' rounds: self time per function, µs/request.
// `--fixed` adds a wasi:http route of this build whose function answers a fixed response without any
// guest (routing, admission, body reading, response checks and writing: serve()'s own share); the
// difference from `wasi` is the guest path (glue, host resources, the component, the reset).
//   node bench/diagnostics/http-cpu.mjs [--rounds 5] [--ms 1000] [--against /path/to/dist [--against-guest old.wasm]] [--prof wasi] [--top 40] [--group file] [--callers nextTick] [--fixed]
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { startBareServer } from '../lib/bare-server.mjs';

const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const against = arg('--against');
const rounds = Number(arg('--rounds', 5));
const ms = Number(arg('--ms', 1000));
const prof = arg('--prof')?.split(',');
const top = Number(arg('--top', 40));
// `--group file` sums self time per source file instead of per function; `--callers <fn>` keys a
// function's samples by its caller (who pays for a native like writeLatin1String or nextTick).
const group = arg('--group', 'function');
const callersOf = arg('--callers');
const fixed = process.argv.includes('--fixed');
const httpBench = fileURLToPath(new URL('../http.mjs', import.meta.url));
const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));
// `--against-guest <file>`: the other build serves this http-hello.wasm (e.g. the guest as it was).
const againstGuest = arg('--against-guest');
const body = Buffer.from('benchmark').toString('base64');
const load = { connections: 16, depth: 32, body, pollMs: 2 };

function client(spec) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [httpBench, '--pipelined-client', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`))));
  });
}

/** The response the `--fixed` route answers: what the http-hello component answers here. */
const FIXED = { status: 200, headers: [['content-type', 'text/plain; charset=utf-8'], ['x-guest', 'http-hello']], body: new TextEncoder().encode('Hello, Ada! POST /wasi/x body=9 bytes\nbenchmark') };

async function build(distUrl, httpHello = guest('http-hello'), withFixed = false) {
  const { createRuntime } = await import(new URL('index.js', distUrl).href);
  const { serve } = await import(new URL('http/serve.js', distUrl).href);
  const { wasiHttpImports } = await import(new URL('http/imports.js', distUrl).href);
  const rt = createRuntime();
  await rt.load('hello', guest('hello'));
  const wasi = await rt.load('http-hello', httpHello, { imports: wasiHttpImports() });
  const routes = [{ path: '/greet', function: 'hello' }, { method: '*', path: '/wasi/*', function: 'http-hello', kind: 'wasi-http' }];
  // The fixed route's function: the component's export names (serve() checks them), no guest call.
  const fixedFn = { wit: wasi.wit, invoke: (...a) => wasi.invoke(...a), exportNames: () => wasi.exportNames(), handleHttp: async () => ({ response: FIXED, coldStart: false }) };
  if (withFixed) routes.push({ method: '*', path: '/fixed/*', function: 'fixed', kind: 'wasi-http' });
  const source = { get: (name) => (name === 'fixed' ? fixedFn : rt.get(name)) };
  const srv = await serve(source, { maxInflight: 1024, maxQueueDelayMs: 2000, routes });
  return { rt, srv };
}

const bare = await startBareServer();
const self = await build(new URL('../../dist/', import.meta.url), undefined, fixed);
const other = against ? await build(new URL(`file://${against.replace(/\/?$/, '/')}`), againstGuest) : undefined;
const targets = [
  ['bare', `http://127.0.0.1:${bare.address().port}/greet`],
  ['simple', `${self.srv.url}/greet`],
  ...(fixed ? [['fixed', `${self.srv.url}/fixed/x`]] : []),
  ['wasi', `${self.srv.url}/wasi/x`],
  ...(other ? [['wasi (against)', `${other.srv.url}/wasi/x`], ['simple (against)', `${other.srv.url}/greet`]] : []),
];
// Warm-up by count: V8 tiers code up after so many calls.
for (const [, url] of targets) await client({ ...load, url, durationMs: 20_000, warmMs: 0, answers: 20_000 });
const usage = process.threadCpuUsage ? () => process.threadCpuUsage() : () => process.cpuUsage();
const session = prof ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
}
const selfTime = {};
const profiled = {};
const results = {};
for (let round = 0; round < rounds; round++) {
  for (const [label, url] of round % 2 ? [...targets].reverse() : targets) {
    const profiling = session && prof.includes(label);
    if (profiling) await session.post('Profiler.start');
    const cpu0 = usage();
    const r = await client({ ...load, url, durationMs: ms, warmMs: 200 });
    const cpu1 = usage();
    if (profiling) {
      const { profile } = await session.post('Profiler.stop');
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const parentOf = new Map();
      for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
      const name = ({ functionName, url: u, lineNumber }) => `${functionName || '(anon)'} ${u.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
      profile.samples.forEach((id, i) => {
        const node = byId.get(id);
        const { functionName, url: u } = node.callFrame;
        let key = group === 'file' ? (u.split('/').slice(-2).join('/') || `(native) ${functionName}`) : name(node.callFrame);
        if (callersOf && functionName === callersOf) key = `${key} ← ${parentOf.has(id) ? name(parentOf.get(id).callFrame) : '?'}`;
        const m = (selfTime[label] ??= new Map());
        m.set(key, (m.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
      });
      // The profile covers the client's warm-up too: count its answers at the round's rate.
      profiled[label] = (profiled[label] ?? 0) + (r.ok + r.other) * (1 + 200 / r.elapsedMs);
    }
    const cpuUs = cpu1.user - cpu0.user + cpu1.system - cpu0.system;
    const answers = r.ok + r.other;
    (results[label] ??= []).push({ rps: r.rps, cpu: cpuUs / (answers * (1 + 200 / r.elapsedMs)), bad: r.other + r.errors });
  }
}
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const bareRps = med(results.bare.map((x) => x.rps));
for (const [label] of targets) {
  const v = results[label];
  const rps = med(v.map((x) => x.rps));
  const bad = v.reduce((n, x) => n + x.bad, 0);
  console.log(`${label.padEnd(17)} ${rps.toFixed(0).padStart(7)} req/s  ${med(v.map((x) => x.cpu)).toFixed(1).padStart(6)} µs CPU/req  vs bare ${(rps / bareRps).toFixed(2)}  (cpu rounds: ${v.map((x) => x.cpu.toFixed(1)).join(' ')}${bad ? `; ${bad} non-200/errors` : ''})`);
}
if (session) {
  // Self time per function, µs per answer, one column per profiled target.
  const keys = new Map();
  for (const label of prof) for (const [k, t] of selfTime[label] ?? []) keys.set(k, Math.max(keys.get(k) ?? 0, t / profiled[label]));
  const totals = prof.map((label) => [...(selfTime[label] ?? new Map()).values()].reduce((a, b) => a + b, 0) / profiled[label]);
  console.log(`\nself time, µs per answer (columns: ${prof.join(' | ')}; totals ${totals.map((t) => t.toFixed(1)).join(' | ')}):`);
  for (const [k] of [...keys].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${prof.map((label) => ((selfTime[label]?.get(k) ?? 0) / profiled[label]).toFixed(2).padStart(6)).join(' ')}  ${k}`);
  }
}
bare.close();
for (const s of [self, other]) if (s) { await s.srv.close(); s.rt.close(); }
