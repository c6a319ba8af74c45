// HTTP served in this thread vs by 2 workers that accept their own connections (reusePort), side by
// side in alternating rounds, with the server's CPU per request split by thread (main, workers, V8's
// helpers) and the client's own CPU per request: where a scaling_http below 2 goes.
//   node bench/diagnostics/http-workers.mjs [--path /greet|/wasi/x] [--connections 16] [--depth 32]
//                                           [--poll 1] [--rounds 3] [--ms 1500] [--warm-passes 2] [--bare]
//                                           [--old-mb N] [--young-mb N] [--client-module path] [--workers 2]
// --bare adds a third side: bare node:http doing the greet in JS in this thread (the floor).
// The client is bench/lib/pipelined-client.mjs in a child process. Linux only (/proc/self/task).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settle } from '../lib/settle.mjs';
import { startBareServer } from '../lib/bare-server.mjs';

const self = fileURLToPath(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

if (process.argv[2] === '--client') {
  const { pipelinedLoad } = await import(process.argv[4] ?? '../lib/pipelined-client.mjs');
  process.stdout.write(JSON.stringify(await pipelinedLoad(JSON.parse(process.argv[3]))));
  process.exit(0);
}

// --client-module /path/to/other-client.mjs: every round runs twice, with this client and that one
// (an A/B of the load client; same servers, same rounds).
const otherClient = arg('client-module');
const client = (spec, module) => new Promise((resolve, reject) => {
  const c = spawn(process.execPath, [self, '--client', JSON.stringify(spec), ...(module ? [module] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  c.on('close', (code) => (code ? reject(new Error(`client exited with ${code}`)) : resolve(JSON.parse(out))));
});

/** CPU ticks (1/100 s) and voluntary context switches (sleeps) of every thread of this process, by thread id. */
function threads() {
  const out = {};
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const sleeps = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${t}/status`, 'utf8'))?.[1] ?? 0);
      out[t] = { name: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ticks: Number(f[11]) + Number(f[12]), sleeps };
    } catch { /* the thread ended */ }
  }
  return out;
}

const { createRuntime, createWorkerRuntime, wasiHttpImports } = await import('../../dist/index.js');
const { serve } = await import('../../dist/http/serve.js');
const guest = (n) => fileURLToPath(new URL(`../../guests/dist/${n}.wasm`, import.meta.url));
const routes = [{ path: '/greet', function: 'hello' }, { method: '*', path: '/wasi/*', function: 'http-hello', kind: 'wasi-http' }];
const rt = createRuntime();
await rt.load('hello', guest('hello'));
await rt.load('http-hello', guest('http-hello'), { imports: wasiHttpImports() });
const inThread = await serve(rt, { routes, maxInflight: 1024, maxQueueDelayMs: 2000 });
// --old-mb / --young-mb: the workers' V8 heap limits (resourceLimits; default the runtime's own).
const limits = { ...(arg('old-mb') ? { maxOldGenerationSizeMb: Number(arg('old-mb')) } : {}), ...(arg('young-mb') ? { maxYoungGenerationSizeMb: Number(arg('young-mb')) } : {}) };
// --workers 1: one worker serving alone (is a worker's extra CPU per request the worker's or two threads' sharing a machine?).
const nWorkers = Number(arg('workers', 2));
const wr = createWorkerRuntime({ workers: nWorkers, ...(Object.keys(limits).length ? { resourceLimits: limits } : {}) });
await wr.load('hello', guest('hello'));
await wr.load('http-hello', guest('http-hello'), { http: {} });
const onWorkers = await serve(wr, { routes, maxInflight: 2048, maxQueueDelayMs: 2000 });
if (onWorkers.workers !== nWorkers) console.log(`note: Node ${process.version} has no reusePort: the worker server accepts in the main thread`);

const path = arg('path', '/greet');
const load = { body: Buffer.from('benchmark').toString('base64'), connections: Number(arg('connections', 16)), depth: Number(arg('depth', 32)), pollMs: Number(arg('poll', 1)) };
const ms = Number(arg('ms', 1500));
// The floor: node:http doing the greet in JS, in this thread (any path; only beside /greet it compares).
const bareServer = await startBareServer();
const bare = { url: `http://127.0.0.1:${bareServer.address().port}`, workers: 0 };
const sides = [['in-thread', inThread], [`${nWorkers} worker${nWorkers > 1 ? 's' : ''}`, onWorkers], ...(process.argv.includes('--bare') ? [['bare', bare]] : [])];
// Warm-up by count, per thread that serves (each worker tiers its own copy of the JS up), in passes
// alternating the sides: after one pass the workers' first round still spends 3–14 µs/req on V8's
// helper threads (V8Worker), after two it does not (here, Node 24).
for (let pass = 0; pass < Number(arg('warm-passes', 2)); pass++) {
  for (const [, s] of sides) await client({ ...load, url: s.url + path, durationMs: 20_000, warmMs: 0, answers: 30_000 * Math.max(1, s.workers) });
}
await settle();
for (let r = 0; r < Number(arg('rounds', 3)); r++) {
  for (const [label0, s] of r % 2 ? [...sides].reverse() : sides) for (const module of otherClient ? (r % 2 ? [otherClient, undefined] : [undefined, otherClient]) : [undefined]) {
    const label = otherClient ? `${label0} ${module ? 'B' : 'A'}` : label0;
    const t0 = threads();
    const x = await client({ ...load, url: s.url + path, durationMs: ms, warmMs: 0 }, module);
    const t1 = threads();
    const n = x.ok + x.other;
    const by = {};
    const sleeps = {};
    let total = 0;
    for (const [id, v] of Object.entries(t1)) {
      const us = ((v.ticks - (t0[id]?.ticks ?? 0)) * 10_000) / n;
      if (us > 0) { by[v.name] = +((by[v.name] ?? 0) + us).toFixed(1); total += us; }
      const k = (1000 * (v.sleeps - (t0[id]?.sleeps ?? 0))) / n;
      if (k > 0 && v.name !== 'V8Worker') sleeps[v.name] = +((sleeps[v.name] ?? 0) + k).toFixed(1);
    }
    console.log(`${path} ${label.padEnd(otherClient ? 11 : 9)} ${x.rps.toFixed(0).padStart(6)} req/s  server ${total.toFixed(1)} µs/req ${JSON.stringify(by)} sleeps/1000 req ${JSON.stringify(sleeps)}  client ${x.clientCpuUsPerReq.toFixed(1)} µs/req (${x.answersPerRead?.toFixed(1)} answers/read)  statuses ${JSON.stringify(x.statuses)}`);
  }
}
await onWorkers.close();
await inThread.close();
bareServer.close();
await wr.close();
rt.close();
