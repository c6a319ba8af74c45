// Pool-level metrics of the `instantiate` suite, all on the same component (the `compute` guest),
// measured side by side in one process: the bare core instantiation (the floor), our pool miss
// (cold start, call() → result of a trivial export), our pool hit in each pool mode (the default
// `reset`, `reuse`, `fresh` with a spare ready), and RSS of 10,000 live instances.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../../dist/index.js';
import { exportState } from '../../dist/instrument/export-state.js';
import { collectState, InstanceSnapshot } from '../../dist/pool/snapshot.js';
import { trackDirtyPages } from '../../dist/instrument/dirty-pages.js';
import { DIRTY_PAGES } from '../../dist/invoke/limits.js';
import { median, quantile, sampleAsync, timeSync } from './stats.mjs';

const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));

/** The component's main core module (the one exporting `noop`), compiled, as the floor's subject. */
async function mainCoreModule(fn) {
  const { transpile } = await import('@bytecodealliance/jco');
  const out = await transpile(readFileSync(guest('compute')), { name: 'c', instantiation: { tag: 'sync' }, noTypescript: true });
  for (const [name, bytes] of Object.entries(out.files)) {
    if (!name.endsWith('.wasm')) continue;
    const module = new WebAssembly.Module(bytes);
    if (WebAssembly.Module.exports(module).some((e) => e.name === 'noop')) return module;
  }
  throw new Error('no core module exports noop');
}

/**
 * A minimal core module with a memory of `pages` pages, a mutable global, and `dirty(addr)` that
 * stores an i32 at `addr`; rewritten the way a `reset` pool rewrites it (state exports, and dirty-page
 * tracking where the engine has multi-memory, unless `track` is false).
 */
function dirtyModule(pages, track) {
  const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
  const section = (id, body) => [id, ...leb(body.length), ...body];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x01, 0x7f, 0x00]),
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, 0x00, ...leb(pages)]),
    ...section(6, [0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b]),
    ...section(7, [0x01, 0x05, ...Buffer.from('dirty'), 0x00, 0x00]),
    ...section(10, [0x01, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x36, 0x02, 0x00, 0x0b])];
  const state = exportState(new Uint8Array(bytes));
  return new WebAssembly.Module(track && DIRTY_PAGES ? trackDirtyPages(state).bytes : state);
}

/**
 * µs to restore a snapshot of a `pages`-page memory after a call wrote 4 bytes of its page `page`
 * (as the runtime restores it: only dirty pages where tracked; `track: false` = the full copy, what
 * Node 20 gets).
 */
export function resetUs(pages, n, { page = 0, track = true } = {}) {
  const instance = new WebAssembly.Instance(dirtyModule(pages, track), {});
  const state = { globals: [], tables: [], memories: [], ...(track && DIRTY_PAGES ? { dirty: [] } : {}) };
  collectState(instance.exports, state);
  const snapshot = new InstanceSnapshot(state);
  const addr = page * 65536 + 1000;
  const samples = [];
  for (let i = 0; i < n; i++) {
    instance.exports.dirty(addr);
    const t0 = performance.now();
    if (!snapshot.restore()) throw new Error('restore failed');
    samples.push((performance.now() - t0) * 1000);
  }
  if (new Uint8Array(state.memories[0].buffer)[addr] !== 0) throw new Error('restore did not undo the write');
  return median(samples);
}

export async function poolMetrics({ quick, log }) {
  const n = quick ? 2000 : 10000;
  const rt = createRuntime();
  const cold = await rt.load('cold', guest('compute'), { pool: { mode: 'fresh', min: 0 } });
  // The default pool mode (reset: restored after every call), and the other two for comparison.
  const warm = await rt.load('warm', guest('compute'), { pool: { min: 1 } });
  const warmReuse = await rt.load('warm-reuse', guest('compute'), { pool: { mode: 'reuse', min: 1 } });
  const fresh = await rt.load('fresh', guest('compute'), { pool: { mode: 'fresh', min: 1 } });
  const module = await mainCoreModule();
  const bareInstance = new WebAssembly.Instance(module, {});
  const bareNoop = bareInstance.exports.noop;

  log(`instantiate: cold/warm/bare, ${n} samples each, interleaved`);
  // Warm-up, not counted: V8 compiles the pool-miss path (glue, meter, pool) to optimised code only
  // after a few hundred calls; without this, round 0's first calls set p99 instead of the runtime.
  timeSync(() => new WebAssembly.Instance(module, {}), 500, 20);
  await sampleAsync(() => cold.call('noop'), 1000);
  await sampleAsync(() => warm.call('noop'), 1000);
  await sampleAsync(() => warmReuse.call('noop'), 1000);
  await sampleAsync(() => fresh.call('noop'), 1000);
  // The floor's tail, sampled exactly as the cold starts are: one bare instantiation and `noop` call
  // per event-loop turn. Its p99 is V8's, not ours (see the bare_cold note in instantiate.mjs).
  const bareCold = async () => new WebAssembly.Instance(module, {}).exports.noop();
  await sampleAsync(bareCold, 1000);
  const samples = { bare: [], bareCold: [], cold: [], warm: [], warmReuse: [], fresh: [] };
  const rounds = 10;
  for (let r = 0; r < rounds; r++) {
    samples.bare.push(timeSync(() => new WebAssembly.Instance(module, {}), n / rounds, 20));
    samples.bareCold.push(...(await sampleAsync(bareCold, n / rounds)));
    samples.cold.push(...(await sampleAsync(() => cold.call('noop'), n / rounds)));
    samples.warm.push(...(await sampleAsync(() => warm.call('noop'), n / rounds)));
    samples.warmReuse.push(...(await sampleAsync(() => warmReuse.call('noop'), n / rounds)));
    // A spare is made in the turn between samples (off the call path): the call pays the pool hit
    // and the discard of the used instance.
    samples.fresh.push(...(await sampleAsync(() => fresh.call('noop'), n / rounds)));
  }
  const bareCall = timeSync(() => bareNoop(), 200_000, 1000);
  const metrics = {
    pool_bare_instance_us: median(samples.bare),
    cold_start_p50_us: median(samples.cold),
    cold_start_p99_us: quantile(samples.cold, 0.99),
    bare_cold_p50_us: median(samples.bareCold),
    bare_cold_p99_us: quantile(samples.bareCold, 0.99),
    warm_call_p50_us: median(samples.warm),
    warm_call_reuse_p50_us: median(samples.warmReuse),
    fresh_call_p50_us: median(samples.fresh),
    bare_call_us: bareCall,
  };
  metrics.cold_start_ratio_vs_bare = metrics.cold_start_p50_us / metrics.pool_bare_instance_us;
  metrics.warm_call_overhead_us = metrics.warm_call_p50_us - bareCall;
  metrics.warm_call_reuse_overhead_us = metrics.warm_call_reuse_p50_us - bareCall;
  rt.close();
  // Reset cost: a 64 KiB memory and a 16 MiB one, one page dirtied (page 100 of 256), interleaved
  // rounds; the full copy of 16 MiB beside them is what a reset costs without tracking (Node 20).
  const resets = { r64k: [], r16m: [], full: [] };
  for (let r = 0; r < 5; r++) {
    resets.r64k.push(resetUs(1, quick ? 400 : 2000));
    resets.r16m.push(resetUs(256, quick ? 400 : 2000, { page: 100 }));
    resets.full.push(resetUs(256, quick ? 20 : 100, { page: 100, track: false }));
  }
  metrics.reset_us_64k = median(resets.r64k);
  metrics.reset_us_16m_1page = median(resets.r16m);
  metrics.reset_us_16m_full_copy = median(resets.full);
  metrics.reset_ratio_16m_1page_vs_64k = metrics.reset_us_16m_1page / metrics.reset_us_64k;
  metrics.dirty_page_tracking = DIRTY_PAGES ? 1 : 0;

  log('instantiate: RSS with 10,000 live pooled hello instances (child process)');
  const script = `
    import { createRuntime } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
    const rt = createRuntime();
    const before = process.memoryUsage().rss;
    const fn = await rt.load('hello', ${JSON.stringify(guest('hello'))}, { pool: { mode: 'reuse', min: 10000, max: 10000 } });
    if (fn.pool.idleCount !== 10000) throw new Error('pool holds ' + fn.pool.idleCount);
    if ((await fn.call('greet', 'x')) !== 'Hello, x!') throw new Error('bad result');
    globalThis.gc?.();
    console.log(JSON.stringify({ before, after: process.memoryUsage().rss }));`;
  const { after } = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 }));
  metrics.live_instances_10k_rss_mib = after / 2 ** 20;
  return metrics;
}
