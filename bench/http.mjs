#!/usr/bin/env node
// HTTP trigger benchmark: undici (keep-alive pool, concurrency sweep) against
//   bare      a node:http handler doing the greet in JS (the floor),
//   simple    our server → hello.greet (in-thread),
//   wasi_http our server → http-hello (wasi:http/incoming-handler, in-thread),
//   classifier our server → classifier.classify (wasi:nn), in-thread and on 1 / 2 workers,
// plus an overload run (10× the sustainable rate offered, open loop) and the cost of a guest's
// blocking outgoing request. The load generator runs in a child process (its own core share);
// the servers run here. Loopback only. Usage: node bench/http.mjs [--quick]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median } from './lib/stats.mjs';
import { settle } from './lib/settle.mjs';
import { startBareServer } from './lib/bare-server.mjs';

const self = fileURLToPath(import.meta.url);
const guest = (name) => fileURLToPath(new URL(`../guests/dist/${name}.wasm`, import.meta.url));
const modelPath = (name) => fileURLToPath(new URL(`../models/${name}`, import.meta.url));

// ---------------------------------------------------------------- load generator (child process)
async function loadgen({ url, method, body, concurrency, durationMs, rate }) {
  const { Pool } = await import('undici');
  const origin = new URL(url).origin;
  const path = new URL(url).pathname;
  const pool = new Pool(origin, { connections: rate ? 256 : concurrency, pipelining: 1, keepAliveTimeout: 10_000 });
  const payload = body === undefined ? undefined : Buffer.from(body, 'base64');
  const lat = [];
  const statuses = {};
  let errors = 0;
  const one = async () => {
    const t0 = performance.now();
    try {
      const r = await pool.request({ path, method, body: payload });
      await r.body.dump();
      statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
      lat.push(performance.now() - t0);
    } catch { errors++; }
  };
  // Warm-up: a few requests per connection.
  const warm = Math.min(concurrency, 64) * 3;
  await Promise.all(Array.from({ length: warm }, one));
  lat.length = 0; for (const k in statuses) delete statuses[k]; errors = 0;
  const start = performance.now();
  const end = start + durationMs;
  let sent = 0;
  if (rate) {
    // Open loop: offer `rate` requests/s regardless of answers (capped by what this process can send).
    const inflight = new Set();
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate) - sent;
      for (let i = 0; i < due; i++) { const p = one().finally(() => inflight.delete(p)); inflight.add(p); sent++; }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(inflight);
  } else {
    await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < end) { await one(); sent++; } }));
  }
  // Open loop: rates over the offering window (answers may trail it); closed loop: wall time.
  const elapsed = rate ? durationMs / 1000 : (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  await pool.close();
  // Throughput counts successful answers only; latency percentiles cover every answer.
  const ok = Object.entries(statuses).reduce((n, [s, k]) => n + (s >= 200 && s < 300 ? k : 0), 0);
  return { warm, rps: ok / elapsed, offered: sent / elapsed, p50: q(0.5), p99: q(0.99), statuses, errors, n: lat.length };
}

function runClient(spec, mode = '--client') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, mode, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
}

// ---------------------------------------------------------------- the benchmark
export async function run({ quick = false, log = () => {} } = {}) {
  const { createRuntime } = await import('../dist/index.js');
  const { serve } = await import('../dist/http/serve.js');
  const { wasiHttpImports } = await import('../dist/http/imports.js');
  const { createWorkerRuntime } = await import('../dist/workers/worker-runtime.js');
  if (!existsSync(guest('http-hello'))) await (await import('../guests/build.mjs')).buildGuests({ only: ['http-hello'] });

  const sweep = quick ? [1, 8, 64] : [1, 2, 4, 8, 16, 32, 64];
  const durationMs = quick ? 1000 : 3000;
  const metrics = {};
  const details = { sweeps: {}, notes: [] };
  const rows = [];
  const greetBody = Buffer.from('benchmark').toString('base64');

  async function sweepOf(label, url, body, points = sweep, dur = durationMs) {
    const results = [];
    for (const concurrency of points) {
      // Server CPU per request (this process, workers included): robust to a noisy client.
      const cpu0 = process.cpuUsage();
      const r = await runClient({ url, method: 'POST', body, concurrency, durationMs: dur });
      const cpu = process.cpuUsage(cpu0);
      r.cpuUsPerReq = (cpu.user + cpu.system) / (r.n + r.warm + r.errors);
      const bad = Object.entries(r.statuses).filter(([s]) => s !== '200');
      if (bad.length || r.errors) details.notes.push(`${label} c=${concurrency}: non-200 ${JSON.stringify(Object.fromEntries(bad))}, errors ${r.errors}`);
      results.push({ concurrency, ...r });
      rows.push(`${label.padEnd(22)} c=${String(concurrency).padStart(2)}  ${r.rps.toFixed(0).padStart(7)} rps  p50 ${r.p50.toFixed(3).padStart(7)} ms  p99 ${r.p99.toFixed(3).padStart(7)} ms  server CPU ${r.cpuUsPerReq.toFixed(0).padStart(5)} µs/req`);
      log(rows.at(-1));
    }
    (details.sweeps[label] ??= []).push(...results);
    return results.reduce((a, b) => (b.rps > a.rps ? b : a));
  }

  // 1–3. Bare node:http doing the greet in JS, and our server (in-thread) with a simple function and
  // a wasi:http component. The three are measured interleaved at each concurrency (the machine is
  // shared, so side by side is the only fair comparison), the median of `rounds`.
  const bare = await startBareServer();
  const rt = createRuntime();
  await rt.load('hello', guest('hello'));
  await rt.load('http-hello', guest('http-hello'), { imports: wasiHttpImports() });
  // The componentize-js (StarlingMonkey) build of the same service, when built (opt-in, ~14 MB).
  const jsGuest = fileURLToPath(new URL('../guests/http-hello/js/http-hello-js.wasm', import.meta.url));
  const hasJs = existsSync(jsGuest);
  // StarlingMonkey keeps one fetch event per instance, so it needs each request on a clean instance:
  // a warm `reset` pool (restored after every call) and a `fresh` pool (a new instance per request),
  // both measured explicitly whatever the default pool mode is.
  if (hasJs) {
    await rt.load('http-hello-js', jsGuest, { pool: { mode: 'reset', min: 2, max: 4, maxQueue: 64 }, imports: wasiHttpImports() });
    await rt.load('http-hello-js-fresh', jsGuest, { pool: { mode: 'fresh', min: 4, max: 16, maxQueue: 32 }, imports: wasiHttpImports() });
  } else details.notes.push('wasi:http JS guest skipped: guests/http-hello/js/http-hello-js.wasm not built (node guests/http-hello/js/build.mjs)');
  const srv = await serve(rt, {
    maxInflight: 64,
    routes: [
      { path: '/greet', function: 'hello' },
      { method: '*', path: '/wasi/*', function: 'http-hello', kind: 'wasi-http' },
      { method: '*', path: '/work/*', function: 'http-hello', kind: 'wasi-http' },
      ...(hasJs ? [{ method: '*', path: '/js/*', function: 'http-hello-js', kind: 'wasi-http' }] : []),
      ...(hasJs ? [{ method: '*', path: '/js-fresh/*', function: 'http-hello-js-fresh', kind: 'wasi-http' }] : []),
    ],
  });
  // V8 tiers the guests' code up after ~1 s of calls (first calls run ~40× slower): warm up first.
  await runClient({ url: `${srv.url}/greet`, method: 'POST', body: greetBody, concurrency: 8, durationMs: quick ? 1000 : 1500 });
  await runClient({ url: `${srv.url}/wasi/x`, method: 'POST', body: greetBody, concurrency: 8, durationMs: quick ? 1000 : 1500 });
  const targets = [
    ['bare node:http', `http://127.0.0.1:${bare.address().port}/greet`],
    ['simple (hello)', `${srv.url}/greet`],
    ['wasi:http (http-hello)', `${srv.url}/wasi/x`],
  ];
  if (hasJs && !quick) targets.push(['wasi:http JS (warm pool)', `${srv.url}/js/x`]);
  // Three rounds per side and concurrency, in alternating order, and the median round of each: one
  // noisy second (a neighbour's burst, a GC spell of the client) on either side moved the ratio by
  // ~0.1 when a quick run took a single round. Every side is treated alike.
  const rounds = 3;
  const runs = {};
  for (const concurrency of sweep) {
    for (let round = 0; round < rounds; round++) {
      for (const [label, url] of round % 2 ? [...targets].reverse() : targets) {
        const r = await sweepOf(label, url, greetBody, [concurrency]);
        (runs[`${label}@${concurrency}`] ??= []).push(r);
      }
    }
  }
  const best = Object.fromEntries(Object.entries(runs).map(([key, v]) => [key, [...v].sort((a, b) => a.rps - b.rps)[v.length >> 1]]));
  const bestOf = (label) => sweep.map((c) => best[`${label}@${c}`]).reduce((a, b) => (b.rps > a.rps ? b : a));
  const bareBest = bestOf('bare node:http');
  const simpleBest = bestOf('simple (hello)');
  const wasiBest = bestOf('wasi:http (http-hello)');
  // Ratio at the concurrency where the bare server peaks (and the best-vs-best ratio for reference).
  const simpleAtBare = best[`simple (hello)@${bareBest.concurrency}`];
  // Median server CPU per request over every point measured.
  const cpuOf = (label) => { const v = details.sweeps[label].map((r) => r.cpuUsPerReq).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  bare.close();
  Object.assign(metrics, {
    rps_bare: bareBest.rps, p50_bare_ms: bareBest.p50, p99_bare_ms: bareBest.p99,
    rps_simple: simpleBest.rps, p50_simple_ms: simpleBest.p50, p99_simple_ms: simpleBest.p99,
    rps_wasi_http: wasiBest.rps, p50_wasi_http_ms: wasiBest.p50, p99_wasi_http_ms: wasiBest.p99,
    http_ratio_vs_bare: simpleBest.rps / bareBest.rps,
    wasi_http_ratio_vs_bare: wasiBest.rps / bareBest.rps,
    http_ratio_vs_bare_same_concurrency: simpleAtBare.rps / bareBest.rps,
    cpu_us_per_req_bare: cpuOf('bare node:http'), cpu_us_per_req_simple: cpuOf('simple (hello)'), cpu_us_per_req_wasi_http: cpuOf('wasi:http (http-hello)'),
    http_cpu_ratio_vs_bare: cpuOf('bare node:http') / cpuOf('simple (hello)'),
  });
  // scaling_http: serve() on two workers that accept their own connections vs in-thread.
  Object.assign(metrics, await httpScaling({ rt, serve, createWorkerRuntime, quick, log, rows, details, body: greetBody }));

  if (hasJs) {
    // Both pool modes, each after its own warm-up (V8 tiers the 14 MB module up in the background).
    if (quick) {
      await runClient({ url: `${srv.url}/js/x`, method: 'POST', body: greetBody, concurrency: 4, durationMs: 1000 });
      await sweepOf('wasi:http JS (warm pool)', `${srv.url}/js/x`, greetBody, [4]);
    }
    await runClient({ url: `${srv.url}/js-fresh/x`, method: 'POST', body: greetBody, concurrency: 8, durationMs: quick ? 700 : 1000 });
    await sweepOf('wasi:http JS (fresh inst.)', `${srv.url}/js-fresh/x`, greetBody, [8]);
    const fresh = details.sweeps['wasi:http JS (fresh inst.)'][0];
    const jsBest = details.sweeps['wasi:http JS (warm pool)'].reduce((a, b) => (b.rps > a.rps ? b : a));
    Object.assign(metrics, {
      rps_wasi_http_js: jsBest.rps, p50_wasi_http_js_ms: jsBest.p50, p99_wasi_http_js_ms: jsBest.p99, cpu_us_per_req_wasi_http_js: cpuOf('wasi:http JS (warm pool)'),
      rps_wasi_http_js_fresh: fresh.rps, cpu_us_per_req_wasi_http_js_fresh: fresh.cpuUsPerReq,
    });
  }

  // Overload: offer 10× the sustainable rate, open loop; only 503s may exceed capacity.
  if (global.gc) global.gc();
  const rssBefore = process.memoryUsage().rss;
  // Overload: a CPU-bound wasi:http route (~3 ms of guest work per request here), whose capacity
  // one client process can exceed 10×. Capacity is measured right before, closed loop.
  const WORK = '/work/1000000';
  const capacity = (await sweepOf('wasi:http /work (3 ms)', `${srv.url}${WORK}`, greetBody, [16], quick ? 1500 : 3000)).rps;
  const overloadLabel = 'wasi:http /work';
  const overloadTarget = Math.round(capacity * 10);
  const overload = await runClient({ url: `${srv.url}${WORK}`, method: 'POST', body: greetBody, concurrency: 64, durationMs: quick ? 3000 : 10000, rate: overloadTarget });
  await new Promise((r) => setTimeout(r, 1000));
  if (global.gc) global.gc();
  const rssAfter = process.memoryUsage().rss;
  const other5xx = Object.entries(overload.statuses).filter(([s]) => s >= 500 && s !== '503' && s !== '504').reduce((n, [, k]) => n + k, 0);
  Object.assign(metrics, {
    overload_capacity_rps: capacity, overload_target_rps: overloadTarget, overload_offered_rps: overload.offered, overload_ok_rps: (overload.statuses[200] ?? 0) / (quick ? 3 : 10),
    overload_503: overload.statuses[503] ?? 0, overload_other_5xx: other5xx, overload_client_errors: overload.errors,
    overload_rss_change: rssAfter / rssBefore - 1,
  });
  rows.push(`overload (${overloadLabel} route, maxInflight 64): offered ${overload.offered.toFixed(0)} rps (target ${overloadTarget}), statuses ${JSON.stringify(overload.statuses)}, client errors ${overload.errors}, RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB`);
  log(rows.at(-1));
  await srv.close();

  // Outgoing HTTP from a guest blocks its thread: the cost of that hop vs a plain async request.
  Object.assign(metrics, await outgoingCost(quick));
  rows.push(`outgoing request: sync (worker + Atomics.wait) ${metrics.outgoing_sync_us.toFixed(0)} µs vs async undici ${metrics.outgoing_async_us.toFixed(0)} µs per request`);
  log(rows.at(-1));
  rt.close();

  // 4. The classifier (wasi:nn) in-thread and on 1 vs 2 workers.
  const nnReady = existsSync(guest('classifier')) && existsSync(modelPath('digits.onnx'));
  if (!nnReady) {
    details.notes.push('classifier skipped: guests/dist/classifier.wasm or models/digits.onnx missing; worker_scaling measured on compute.matmul');
  }
  const image = Buffer.alloc(784);
  for (let i = 0; i < 784; i++) image[i] = ((i * 37) % 255) * (((i % 28) > 8 && (i % 28) < 20) ? 1 : 0);
  const nnOptions = { nn: { models: { digits: modelPath('digits.onnx') } } };
  const scaling = {};
  for (const workers of [0, 1, 2]) {
    const wr = createWorkerRuntime({ workers, runtime: nnReady ? nnOptions : {} });
    if (nnReady) await wr.load('classifier', guest('classifier'));
    await wr.load('hello', guest('hello'));
    await wr.load('http-hello', guest('http-hello'), { http: {} });
    const s = await serve(wr, {
      maxInflight: 256,
      routes: [
        ...(nnReady ? [{ path: '/classify', function: 'classifier', export: 'classify' }] : []),
        { path: '/greet', function: 'hello' },
        { method: '*', path: '/work/*', function: 'http-hello', kind: 'wasi-http' },
      ],
    });
    const label = workers === 0 ? 'in-thread' : `${workers} worker${workers > 1 ? 's' : ''}`;
    await settledAfter(`classifier ${label} loaded`, log, rows);
    // Warm every worker's engine, session and tiered-up code before timing.
    if (nnReady) {
      await runClient({ url: `${s.url}/classify`, method: 'POST', body: image.toString('base64'), concurrency: 16, durationMs: quick ? 700 : 2000 });
      const best = await sweepOf(`classifier ${label}`, `${s.url}/classify`, image.toString('base64'), quick ? [16] : [8, 16, 32], quick ? 1500 : durationMs);
      scaling[workers] = best;
    }
    if (workers > 0 && !quick) { // (a diagnostic: the classifier and direct calls carry the metric)
      await runClient({ url: `${s.url}/work/1000000`, method: 'POST', body: greetBody, concurrency: 16, durationMs: 1000 });
      scaling[`work${workers}`] = await sweepOf(`wasi:http /work ${label}`, `${s.url}/work/1000000`, greetBody, [16], 3000);
    }
    if (workers === 2) {
      await runClient({ url: `${s.url}/greet`, method: 'POST', body: greetBody, concurrency: 16, durationMs: quick ? 700 : 1500 });
      const best = await sweepOf(`simple (hello) ${label}`, `${s.url}/greet`, greetBody, quick ? [16] : [16, 64]);
      metrics.rps_simple_workers2 = best.rps;
    }
    await s.close();
    await wr.close();
  }
  if (nnReady) {
    Object.assign(metrics, {
      rps_classifier: scaling[0].rps, p50_classifier_ms: scaling[0].p50, p99_classifier_ms: scaling[0].p99,
      rps_classifier_workers1: scaling[1].rps, rps_classifier_workers2: scaling[2].rps,
      worker_scaling_http: scaling[2].rps / scaling[1].rps,
    });
  }
  if (scaling.work1 && scaling.work2) {
    Object.assign(metrics, { rps_work_workers1: scaling.work1.rps, rps_work_workers2: scaling.work2.rps, worker_scaling_http_work: scaling.work2.rps / scaling.work1.rps });
  }
  // worker_scaling on the classifier; on compute.matmul (CPU-bound, no wasi:nn) when the model is absent.
  const subject = nnReady
    ? { label: 'classifier direct calls', key: 'calls_per_s_classifier', runtime: nnOptions, load: (wr) => wr.load('classifier', guest('classifier')), call: (fn) => fn.call('classify', image) }
    : { label: 'compute.matmul(48) direct calls', key: 'rps_compute', runtime: {}, load: (wr) => wr.load('compute', guest('compute')), call: (fn) => fn.call('matmul', 48, 1) };
  Object.assign(metrics, await workerScaling(createRuntime, createWorkerRuntime, subject, quick, log, rows));
  return { metrics, table: rows.join('\n'), details, notes: details.notes };
}

/**
 * scaling_http: req/s of `serve()` on a 2-worker runtime (each worker accepting its own connections
 * on the shared port) over req/s of `serve()` in this thread, for the simple and the wasi:http
 * route. Both servers are up and warm and are measured in alternating rounds (a slow spell of this
 * shared VM lands on both sides); a side's rate is its median round. The load comes from a lean
 * pipelined client in its own process (bench/lib/pipelined-client.mjs: 16 connections × 32
 * requests pipelined, read in rounds: one poll of every socket, then 1 ms asleep, so one wake-up
 * per round: ~2–2.5 µs of its CPU per answer on /greet where waking on each socket's answers cost
 * 2.5–3.5 and reading every chunk as it came 7–9; deep enough that each worker, with its share of
 * the connections, has more than a round's worth of work outstanding): it still competes with the
 * two workers for this machine's two cores, so its CPU share is reported, along with the server's
 * CPU per request on each side and the ratio those imply when the client's share is given back
 * (`scaling_http_cpu_bound` = 2 × in-thread CPU/req ÷ workers' CPU/req).
 */
export async function httpScaling({ rt, serve, createWorkerRuntime, quick, log, rows, details, body, connections = 16, depth = 32, pollMs = 1 }) {
  const routes = [
    { path: '/greet', function: 'hello' },
    { method: '*', path: '/wasi/*', function: 'http-hello', kind: 'wasi-http' },
  ];
  // Shedding on a stalled event loop (maxQueueDelayMs) is not under test here: on a shared VM it
  // would turn a slow spell into 503s on either side; nor is admission (every request the client
  // has outstanding, connections × depth, may be in flight on one side).
  const inThread = await serve(rt, { maxInflight: 1024, maxQueueDelayMs: 2000, routes });
  const wr = createWorkerRuntime({ workers: 2 });
  await wr.load('hello', guest('hello'));
  await wr.load('http-hello', guest('http-hello'), { http: {} });
  const onWorkers = await serve(wr, { maxInflight: 2048, maxQueueDelayMs: 2000, routes });
  if (onWorkers.workers !== 2) details.notes.push(`scaling_http: Node ${process.version} has no reusePort; the 2-worker server accepts in the main thread`);
  await settledAfter('scaling_http servers started', log, rows);
  const load = { connections, depth, body, pollMs };
  const sides = [['in-thread', inThread], ['2 workers', onWorkers]];
  const targets = [['simple', '/greet'], ['wasi_http', '/wasi/x']];
  // Warm-up by count, per serving thread: V8 tiers code up after so many calls (each worker its own
  // copy of the JS), and on a loaded machine a fixed time may hold too few of them. Two passes,
  // alternating sides: after one, the workers' first measured round still spent 3–14 µs/req on
  // V8's helper threads (later rounds < 1; bench/diagnostics/http-workers.mjs --warm-passes 1|2).
  for (const [, path] of targets) {
    for (let pass = 0; pass < 2; pass++) {
      for (const [, srv] of sides) await runClient({ ...load, url: srv.url + path, durationMs: 20_000, warmMs: 0, answers: (quick ? 15_000 : 20_000) * Math.max(1, srv.workers) }, '--pipelined-client');
    }
  }
  await settledAfter('scaling_http warm-up', log, rows);
  const rounds = quick ? 3 : 5;
  const out = {};
  for (const [name, path] of targets) {
    const runs = { 'in-thread': [], '2 workers': [] };
    for (let r = 0; r < rounds; r++) {
      for (const [label, srv] of r % 2 ? [...sides].reverse() : sides) {
        const cpu0 = process.cpuUsage();
        const x = await runClient({ ...load, url: srv.url + path, durationMs: quick ? 1000 : 2000, warmMs: 200 }, '--pipelined-client');
        const cpu = process.cpuUsage(cpu0);
        // Server CPU (this process: main thread and workers) over the whole run, warm-up included.
        x.serverCpuShare = (cpu.user + cpu.system) / 1000 / (x.elapsedMs + 200);
        runs[label].push(x);
        if (x.other || x.errors) details.notes.push(`scaling_http ${name} ${label}: statuses ${JSON.stringify(x.statuses)}, socket errors ${x.errors}`);
      }
    }
    const med = (xs, f) => median(xs.map(f));
    const side = (label) => ({
      rps: med(runs[label], (x) => x.rps),
      serverCpuUsPerReq: med(runs[label], (x) => (x.serverCpuShare * 1e6) / x.rps),
      clientShare: med(runs[label], (x) => x.clientCpuUs / 1000 / x.elapsedMs),
      clientCpuUsPerReq: med(runs[label], (x) => x.clientCpuUsPerReq),
    });
    const a = side('in-thread');
    const b = side('2 workers');
    (details.scaling_http ??= {})[name] = { rounds: runs, inThread: a, workers2: b };
    Object.assign(out, {
      [`rps_${name}_inthread_pipelined`]: a.rps, [`rps_${name}_workers2_pipelined`]: b.rps,
      [`scaling_http_${name}`]: b.rps / a.rps,
      [`scaling_http_${name}_cpu_bound`]: (2 * a.serverCpuUsPerReq) / b.serverCpuUsPerReq,
      [`client_cpu_share_${name}_workers2`]: b.clientShare,
      [`cpu_us_per_req_${name}_inthread_pipelined`]: a.serverCpuUsPerReq, [`cpu_us_per_req_${name}_workers2_pipelined`]: b.serverCpuUsPerReq,
      [`client_cpu_us_per_req_${name}`]: b.clientCpuUsPerReq,
    });
    rows.push(`scaling_http ${name.padEnd(9)}: in-thread ${a.rps.toFixed(0)} rps (server ${a.serverCpuUsPerReq.toFixed(1)} µs/req), 2 workers ${b.rps.toFixed(0)} rps (server ${b.serverCpuUsPerReq.toFixed(1)} µs/req) → ×${(b.rps / a.rps).toFixed(2)}; client ${b.clientCpuUsPerReq.toFixed(1)} µs/req = ${(100 * b.clientShare).toFixed(0)}% of a core (median of ${rounds}; rounds ${runs['in-thread'].map((x) => x.rps.toFixed(0)).join(' ')} | ${runs['2 workers'].map((x) => x.rps.toFixed(0)).join(' ')})`);
    log(rows.at(-1));
  }
  out.scaling_http = Math.min(out.scaling_http_simple, out.scaling_http_wasi_http);
  await onWorkers.close();
  await inThread.close();
  await wr.close();
  return out;
}

/**
 * scaling_calls and worker_scaling: calls dispatched straight from this thread (over HTTP on a
 * 2-core machine the load generator and the server's own thread take CPU the workers need).
 * `scaling_calls` is what a user gains: calls/s on a 2-worker runtime over calls/s of one
 * in-thread runtime (`createRuntime()`); `scaling_calls_run_here` the same with this thread also
 * running calls while both workers are busy (`runHereWhenBusy`); `worker_scaling` is 2 workers
 * over 1. The three sides are
 * all up and warm, then measured in alternating rounds at each concurrency; a side's rate at a
 * concurrency is its median round (a slow spell of this shared VM lands on every side, not on
 * one), and each side is taken at its best concurrency, as for the HTTP rates.
 */
export async function workerScaling(createRuntime, createWorkerRuntime, { label, key, runtime, load, call }, quick, log, rows) {
  const sides = [];
  const rt = createRuntime(runtime);
  sides.push({ name: 'in-thread', key: `${key}_inthread`, fn: await load(rt), rates: {}, close: () => rt.close() });
  for (const [workers, runHereWhenBusy] of [[1, false], [2, false], [2, true]]) {
    const wr = createWorkerRuntime({ workers, runtime, runHereWhenBusy });
    sides.push({
      name: `${workers} worker(s)${runHereWhenBusy ? ' + runHereWhenBusy' : ''}`, key: `${key}_workers${workers}${runHereWhenBusy ? '_here' : ''}`,
      fn: await load(wr), rates: {}, close: () => wr.close(),
    });
  }
  // Concurrent callers keep every worker's queue full; each call is awaited separately, as an app would.
  const drive = async (fn, callers, ms, maxCalls = Infinity) => {
    const end = performance.now() + ms;
    let n = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: callers }, async () => { while (performance.now() < end && n < maxCalls) { await call(fn); n++; } }));
    return n / ((performance.now() - t0) / 1000);
  };
  await settledAfter('worker_scaling runtimes loaded', log, rows);
  // Warm-up by count (V8 tiers code up after so many calls, in each thread; on a loaded machine a
  // fixed time may hold too few), at the highest concurrency: with runHereWhenBusy this thread's
  // own copy only runs calls while both workers are busy.
  for (const s of sides) await drive(s.fn, 128, 10_000, quick ? 30_000 : 60_000);
  await settledAfter('worker_scaling warm-up', log, rows);
  // Up to 128 callers: with two workers a worker's calls only split into two pipelined groups of at
  // least 16 (see WorkerRuntime#flush) from 64 callers on, and larger groups share the main thread's
  // wake-ups among more calls.
  const concurrencies = [32, 64, 128];
  const rounds = quick ? 3 : 6;
  for (let r = 0; r < rounds; r++) {
    for (const c of concurrencies) {
      for (const s of r % 2 ? [...sides].reverse() : sides) (s.rates[c] ??= []).push(await drive(s.fn, c, quick ? 400 : 1000));
    }
  }
  const out = {};
  for (const s of sides) {
    const best = concurrencies.map((c) => ({ c, rate: median(s.rates[c]) })).reduce((a, b) => (b.rate > a.rate ? b : a));
    out[s.key] = best.rate;
    const perConcurrency = concurrencies.map((c) => `c=${c}: ${s.rates[c].map((x) => x.toFixed(0)).join(' ')}`).join('; ');
    rows.push(`${label}, ${s.name}: ${best.rate.toFixed(0)} calls/s at c=${best.c} (median of ${rounds} rounds; ${perConcurrency})`);
    log(rows.at(-1));
    await s.close();
  }
  out.worker_scaling = out[`${key}_workers2`] / out[`${key}_workers1`];
  // What a user gains by default (2 workers), and with this thread also running calls when both are busy.
  out.scaling_calls = out[`${key}_workers2`] / out[`${key}_inthread`];
  out.scaling_calls_run_here = out[`${key}_workers2_here`] / out[`${key}_inthread`];
  return out;
}

/** Waits for background compilation to finish before measuring; a wait longer than a glance is reported. */
async function settledAfter(what, log, rows) {
  const ms = await settle();
  if (ms > 600) { rows.push(`(${what}: waited ${(ms / 1000).toFixed(1)} s for background compilation to finish)`); log(rows.at(-1)); }
}

/** µs per outgoing request: blocking (syncFetch via the fetch worker) vs awaiting undici directly. */
async function outgoingCost(quick) {
  const { syncFetch } = await import('../dist/http/sync-fetch.js');
  const { request } = await import('undici');
  // The upstream runs in its own thread: this one blocks during a sync request.
  const upstream = new Worker(`
    const { createServer } = require('node:http');
    const s = createServer((req, res) => res.end('ok'));
    s.listen(0, '127.0.0.1', () => require('node:worker_threads').parentPort.postMessage(s.address().port));`, { eval: true });
  const port = await new Promise((r) => upstream.once('message', r));
  const url = `http://127.0.0.1:${port}/`;
  const n = quick ? 300 : 2000;
  const req = { method: 'GET', url, headers: [], body: new Uint8Array(), timeoutMs: 5000, maxResponseBytes: 1024 };
  for (let i = 0; i < 50; i++) syncFetch(req);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) syncFetch(req);
  const syncUs = ((performance.now() - t0) * 1000) / n;
  for (let i = 0; i < 50; i++) await (await request(url)).body.text();
  t0 = performance.now();
  for (let i = 0; i < n; i++) await (await request(url)).body.text();
  const asyncUs = ((performance.now() - t0) * 1000) / n;
  await upstream.terminate();
  return { outgoing_sync_us: syncUs, outgoing_async_us: asyncUs };
}

if (process.argv[2] === '--client') {
  process.stdout.write(JSON.stringify(await loadgen(JSON.parse(process.argv[3]))));
} else if (process.argv[2] === '--pipelined-client') {
  const { pipelinedLoad } = await import('./lib/pipelined-client.mjs');
  process.stdout.write(JSON.stringify(await pipelinedLoad(JSON.parse(process.argv[3]))));
} else if (process.argv[1] === self) {
  const { metrics, table, notes } = await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) });
  console.log(table);
  for (const [k, v] of Object.entries(metrics)) console.log(`${k.padEnd(30)} ${typeof v === 'number' ? +v.toPrecision(4) : v}`);
  for (const n of notes) console.log(`note: ${n}`);
}
