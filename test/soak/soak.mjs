#!/usr/bin/env node
// Soak (issue 16): many calls in the default pool mode, about one in ten failing on purpose, and
// nothing of one call may reach the next. `npm run soak` runs the full size (1,000,000 calls
// in-thread, then 200,000 on two worker threads with one worker killed mid-run); the test file
// beside this one runs a quick size inside `npm test`.
//
// In-thread, calls rotate over seven good kinds, each checked against a reference computed here
// (arithmetic, strings, a u64 loop, a host-backed counter, a secret a previous call stored that
// must read back empty, files a previous call left open whose handle numbers must restart), and
// four fault kinds that must fail with exactly their typed code: TRAP, FUEL_EXHAUSTED,
// DEADLINE_EXCEEDED, HOST_FUNCTION_ERROR. RSS and /proc/self/fd are sampled after warm-up and at
// the end. On workers, batches of concurrent calls (good and faulty) run while worker 0 is killed
// once mid-run: only calls in flight on it may fail, with WORKER_CRASHED.
//
// Usage: node test/soak/soak.mjs [calls] [workerCalls]    (exit 1 when a bar is not met)
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, createWorkerRuntime, SfiError } from '../../dist/index.js';
import { spinFor } from '../guests/reference.mjs';

const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));
const fds = () => readdirSync('/proc/self/fd').length;
const rss = () => process.memoryUsage().rss;
const MiB = 2 ** 20;

/** Bars of the issue: RSS growth after warm-up, and how far the fd count may move. */
export const BARS = { rssGrowth: 0.10, fdGrowth: 8 };

/** What one run observed; `ok` when every bar is met. */
function verdict(r) {
  const problems = [];
  if (r.wrong) problems.push(`${r.wrong} wrong results`);
  if (r.untyped) problems.push(`${r.untyped} faults not typed as expected`);
  if (r.rssGrowth > BARS.rssGrowth) problems.push(`RSS grew ${(r.rssGrowth * 100).toFixed(1)}% after warm-up`);
  if (r.fdGrowth > BARS.fdGrowth) problems.push(`fd count grew by ${r.fdGrowth}`);
  return problems;
}

/**
 * The in-thread part: `calls` calls on one runtime in the default pool mode. RSS and fds are
 * compared between the end and the point `warmup` (a fraction of the calls) in: V8 keeps tiering
 * the call path up during the first ~10,000 calls, so a short run needs a later warm-up point.
 */
export async function soakInThread({ calls, cacheDir, warmup = 0.1, log = () => {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-soak-'));
  writeFileSync(join(dir, 'secret.txt'), 'left open by every caller');
  const rt = createRuntime(cacheDir === undefined ? {} : { cacheDir });
  const store = new Map();
  const kvImports = (failing) => ({
    'sfirt:kv/store': {
      get: (k) => { if (failing) throw new Error('host store is down'); return store.get(k); },
      set: (k, v) => { store.set(k, v); },
    },
    'sfirt:kv/log': { log() {} },
  });
  const fn = {
    compute: await rt.load('compute', guest('compute')),
    hello: await rt.load('hello', guest('hello')),
    trap: await rt.load('trap', guest('trap')),
    state: await rt.load('state', guest('state')),
    kv: await rt.load('kv', guest('kv'), { imports: kvImports(false) }),
    kvDown: await rt.load('kv-down', guest('kv'), { imports: kvImports(true) }),
    spin: await rt.load('spin', guest('spin'), { limits: { fuel: 200_000 } }),
    slow: await rt.load('slow', guest('spin'), { limits: { timeoutMs: 1 } }),
    probe: await rt.load('probe', guest('handle-probe'), { wasi: { preopens: { '/d': dir } } }),
  };
  const modes = new Set(Object.values(fn).map((f) => f.pool.options.mode));
  if (modes.size !== 1 || !modes.has('reset')) throw new Error(`soak expects the default mode reset, got ${[...modes]}`);
  let firstHandles;
  let counter = 0;
  const good = [
    async (i) => [await fn.compute.call('add', i, 0xfffffff0), (i + 0xfffffff0) >>> 0],
    async (i) => [await fn.hello.call('greet', `c${i}`), `Hello, c${i}!`],
    async (i) => [await fn.spin.call('spin-for', i % 50), spinFor(i % 50)],
    async () => [await fn.kv.call('incr', 'n'), ++counter],
    async (i) => { await fn.state.call('put', `secret-${i}`); return [await fn.state.call('get'), '']; },
    async () => {
      const h = [...await fn.probe.call('leave-open', 'secret.txt')].join(',');
      firstHandles ??= h;
      return [h, firstHandles];
    },
    async (i) => [await fn.trap.call('divide', i, 7), Math.trunc(i / 7)],
  ];
  const faults = [
    ['TRAP', () => fn.trap.call('unreachable')],
    ['FUEL_EXHAUSTED', () => fn.spin.call('spin-for', 10_000_000n)],
    ['DEADLINE_EXCEEDED', () => fn.slow.call('spin')],
    ['HOST_FUNCTION_ERROR', () => fn.kvDown.call('incr', 'n')],
  ];
  const r = { calls, wrong: 0, untyped: 0, faults: {}, examples: [] };
  const warmupAt = Math.floor(calls * warmup);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    if (i === warmupAt) { r.warmRssMiB = rss() / MiB; r.warmFds = fds(); }
    if (i % 10 === 9) {
      const [code, call] = faults[Math.floor(i / 10) % faults.length];
      try {
        await call();
        r.wrong++;
        if (r.examples.length < 5) r.examples.push(`call ${i}: ${code} expected, got a result`);
      } catch (err) {
        if (err instanceof SfiError && err.code === code) r.faults[code] = (r.faults[code] ?? 0) + 1;
        else {
          r.untyped++;
          if (r.examples.length < 5) r.examples.push(`call ${i}: ${code} expected, got ${err?.code ?? err}`);
        }
      }
    } else {
      try {
        const [got, want] = await good[i % good.length](i);
        if (got !== want) {
          r.wrong++;
          if (r.examples.length < 5) r.examples.push(`call ${i}: expected ${String(want)}, got ${String(got)}`);
        }
      } catch (err) {
        r.wrong++;
        if (r.examples.length < 5) r.examples.push(`call ${i}: failed with ${err?.code ?? err}`);
      }
    }
    if (i > 0 && i % Math.max(1, Math.floor(calls / 10)) === 0) log(`in-thread: ${i} calls, ${(performance.now() - t0) / 1000 | 0} s, RSS ${(rss() / MiB).toFixed(0)} MiB, ${fds()} fds`);
  }
  r.seconds = (performance.now() - t0) / 1000;
  r.endRssMiB = rss() / MiB;
  r.endFds = fds();
  r.rssGrowth = r.endRssMiB / r.warmRssMiB - 1;
  r.fdGrowth = r.endFds - r.warmFds;
  rt.close();
  rmSync(dir, { recursive: true, force: true });
  r.problems = verdict(r);
  return r;
}

/** The worker part: `calls` calls on two workers, worker 0 killed once mid-run. */
export async function soakWorkers({ calls, cacheDir, batch = 200, warmup = 0.1, log = () => {} }) {
  const wr = createWorkerRuntime({ workers: 2, ...(cacheDir === undefined ? {} : { runtime: { cacheDir } }) });
  const compute = await wr.load('compute', guest('compute'));
  const trap = await wr.load('trap', guest('trap'));
  const spin = await wr.load('spin', guest('spin'), { limits: { fuel: 200_000 } });
  const r = { calls, wrong: 0, untyped: 0, crashed: 0, faults: {}, examples: [] };
  const one = (i) => {
    if (i % 10 === 9) {
      const [code, call] = i % 20 === 9 ? ['TRAP', () => trap.call('unreachable')] : ['FUEL_EXHAUSTED', () => spin.call('spin-for', 10_000_000n)];
      return call().then(() => { r.wrong++; }, (err) => {
        if (err?.code === code) r.faults[code] = (r.faults[code] ?? 0) + 1;
        else if (err?.code === 'WORKER_CRASHED') r.crashed++;
        else { r.untyped++; if (r.examples.length < 5) r.examples.push(`call ${i}: ${code} expected, got ${err?.code ?? err}`); }
      });
    }
    const want = (i * 3 + 1) >>> 0;
    return compute.call('add', i, 2 * i + 1).then((got) => {
      if (got !== want) { r.wrong++; if (r.examples.length < 5) r.examples.push(`call ${i}: expected ${want}, got ${got}`); }
    }, (err) => {
      if (err?.code === 'WORKER_CRASHED') r.crashed++;
      else { r.wrong++; if (r.examples.length < 5) r.examples.push(`call ${i}: failed with ${err?.code ?? err}`); }
    });
  };
  const killAt = Math.floor(calls / 2 / batch) * batch;
  const warmupAt = Math.floor(calls * warmup / batch) * batch;
  const t0 = performance.now();
  for (let i = 0; i < calls; i += batch) {
    if (i === warmupAt) { r.warmRssMiB = rss() / MiB; r.warmFds = fds(); }
    const inflight = Array.from({ length: Math.min(batch, calls - i) }, (_, j) => one(i + j));
    if (i === killAt) { await wr.killWorker(0); r.killedAt = i; }
    await Promise.all(inflight);
    if (i > 0 && i % 50_000 === 0) log(`workers: ${i} calls, ${(performance.now() - t0) / 1000 | 0} s, RSS ${(rss() / MiB).toFixed(0)} MiB`);
  }
  r.seconds = (performance.now() - t0) / 1000;
  r.workerCrashes = wr.crashes;
  r.endRssMiB = rss() / MiB;
  r.endFds = fds();
  r.rssGrowth = r.endRssMiB / r.warmRssMiB - 1;
  r.fdGrowth = r.endFds - r.warmFds;
  await wr.close();
  r.problems = verdict(r);
  if (r.workerCrashes !== 1) r.problems.push(`expected 1 worker crash, saw ${r.workerCrashes}`);
  if (r.crashed > batch) r.problems.push(`${r.crashed} calls failed with WORKER_CRASHED, more than one batch in flight`);
  return r;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const calls = Number(process.argv[2] ?? 1_000_000);
  const workerCalls = Number(process.argv[3] ?? 200_000);
  const log = (m) => console.error(m);
  const inThread = await soakInThread({ calls, log });
  console.log(JSON.stringify({ inThread }, null, 2));
  const workers = workerCalls > 0 ? await soakWorkers({ calls: workerCalls, log }) : { problems: [] };
  console.log(JSON.stringify({ workers }, null, 2));
  const problems = [...inThread.problems.map((p) => `in-thread: ${p}`), ...workers.problems.map((p) => `workers: ${p}`)];
  console.log(problems.length ? `SOAK FAILED\n${problems.join('\n')}` : 'soak: every bar met');
  process.exit(problems.length ? 1 : 0);
}
