// Per-instance and per-call cost of the three ways to run a component's glue, side by side in one
// process: a bare `new WebAssembly.Instance` of the main core module (the floor), jco's glue as
// emitted, jco's glue with our patches (lib/component/transpile.ts), and our fast glue
// (lib/component/fast). Medians of batches; ratios are what matter, not absolute numbers.
//   node bench/instantiate.mjs [--quick]
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildFastGlue } from '../dist/component/fast/index.js';
import { patchGlue } from '../dist/component/transpile.js';
import { poolMetrics } from './lib/pool-metrics.mjs';
import { loadMetrics } from './lib/load-metrics.mjs';
import { barChartSvg } from './isolation/svg-chart.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const guestBytes = (name) => readFileSync(join(root, 'guests', 'dist', `${name}.wasm`));

// A full GC before each timed batch, so one contender's garbage (dead wasm memories are costly to
// collect) is not charged to the next one.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Per-iteration time of each function in µs: median over `rounds` rounds, each round timing one
 * batch of every contender in turn, so load from other processes hits all of them alike.
 */
function compareUs(fns, { batch, rounds }) {
  const entries = Object.entries(fns).map(([k, v]) => [k, typeof v === 'function' ? { fn: v, batch } : { fn: v.fn, batch: v.batch }]);
  for (const [, { fn, batch: b }] of entries) for (let i = 0; i < b; i++) fn(i); // warm-up (JIT, inline caches)
  const samples = Object.fromEntries(entries.map(([k]) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order every round: whoever runs right after another contender inherits its
    // allocator state (memory reservations, GC debt); rotating spreads that evenly.
    for (let j = 0; j < entries.length; j++) {
      const [k, { fn, batch: b }] = entries[(j + r) % entries.length];
      collectGarbage();
      const t = performance.now();
      for (let i = 0; i < b; i++) fn(i);
      samples[k].push(((performance.now() - t) * 1000) / b);
    }
  }
  return Object.fromEntries(entries.map(([k]) => [k, median(samples[k])]));
}

async function jcoGlue(bytes, dir, name, patch) {
  const jco = await import('@bytecodealliance/jco');
  const out = await jco.transpile(bytes, { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true });
  let glue = new TextDecoder().decode(out.files['component.js']);
  if (patch) glue = patchGlue(glue);
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, glue);
  const modules = new Map();
  for (const [f, c] of Object.entries(out.files)) if (f.endsWith('.wasm')) modules.set(f, new WebAssembly.Module(c));
  const { instantiate } = await import(pathToFileURL(file).href);
  return (imports) => instantiate((n) => modules.get(n), imports);
}

/**
 * A minimal in-process wasi:nn host (resources as classes, as jco expects) whose `compute`
 * returns fixed logits at once: the classifier guest's calls then cost glue + guest only.
 */
function instantNn() {
  const dispose = Symbol.dispose ?? Symbol.for('dispose');
  const logits = new Uint8Array(Float32Array.from([0.5, -1, 2, 7.25, 0, 3, -4, 1, 6.5, 2.5]).buffer);
  class NnError { code() { return 'runtime-error'; } data() { return 'fake'; } }
  class Tensor {
    constructor(dims, ty, data) { this.dims = dims; this.type = ty; this.bytes = data; }
    dimensions() { return this.dims; }
    ty() { return this.type; }
    data() { return this.bytes; }
    [dispose]() {}
  }
  class GraphExecutionContext { compute() { return [['logits', new Tensor(Uint32Array.of(1, 10), 'FP32', logits)]]; } }
  class Graph { initExecutionContext() { return new GraphExecutionContext(); } }
  return {
    'wasi:nn/errors': { Error: NnError },
    'wasi:nn/tensor': { Tensor },
    'wasi:nn/inference': { GraphExecutionContext },
    'wasi:nn/graph': { Graph, loadByName: () => new Graph(), load: () => new Graph() },
  };
}

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

export async function run({ quick = false, log = () => {}, outDir = resultsDir } = {}) {
  const inst = quick ? { batch: 200, rounds: 9 } : { batch: 1000, rounds: 21 };
  const calls = quick ? { batch: 20000, rounds: 9 } : { batch: 200000, rounds: 21 };
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-bench-inst-'));
  try {
    const hello = guestBytes('hello');
    const compute = guestBytes('compute');
    const fastHello = await buildFastGlue(hello);
    const fastCompute = await buildFastGlue(compute);
    if ('unsupported' in fastHello || 'unsupported' in fastCompute) throw new Error('hello/compute must take the fast path');
    const mainModule = fastHello.modules[0];
    // wat-add has no memory: isolates the glue's own per-instance work from memory allocation.
    const fastAdd = await buildFastGlue(guestBytes('wat-add'));
    if ('unsupported' in fastAdd) throw new Error('wat-add must take the fast path');
    const addModule = fastAdd.modules[0];
    const jcoEmitted = await jcoGlue(hello, dir, 'hello-emitted', false);
    const jcoPatched = await jcoGlue(hello, dir, 'hello-patched', true);
    const jcoCompute = await jcoGlue(compute, dir, 'compute-patched', true);

    log('instantiation…');
    const metrics = compareUs({
      bare_instance_us: () => new WebAssembly.Instance(mainModule, {}),
      jco_emitted_instance_us: { fn: () => jcoEmitted({}), batch: Math.max(20, inst.batch / 10) },
      jco_patched_instance_us: () => jcoPatched({}),
      fast_instance_us: () => fastHello.instantiate({}),
      bare_instance_nomem_us: () => new WebAssembly.Instance(addModule, {}),
      fast_instance_nomem_us: () => fastAdd.instantiate({}),
    }, inst);
    metrics.fast_glue_overhead_us = metrics.fast_instance_nomem_us - metrics.bare_instance_nomem_us;

    log('calls…');
    let core;
    const fast = fastCompute.instantiate({}, (m, imports) => {
      const i = new WebAssembly.Instance(m, imports);
      core ??= i.exports;
      return i;
    });
    const jcoInst = jcoCompute({});
    let sink = 0;
    const kib = new Uint8Array(1024).map((_, i) => i * 31);
    Object.assign(metrics, compareUs({
      bare_call_us: (i) => { sink += core.add(i, 7); },
      scalar_call_us: (i) => { sink += fast.add(i, 7); },
      jco_scalar_call_us: { fn: (i) => { sink += jcoInst.add(i, 7); }, batch: calls.batch / 10 },
      list1k_call_us: { fn: () => { sink += fast.echo(kib).length; }, batch: calls.batch / 20 },
      jco_list1k_call_us: { fn: () => { sink += jcoInst.echo(kib).length; }, batch: calls.batch / 20 },
    }, calls));
    metrics.fast_vs_bare_instance_ratio = metrics.fast_instance_us / metrics.bare_instance_us;

    // Imported resources: the wasi:nn classifier guest (four host resource types, handle tables,
    // own/borrow, resource.drop) with an instant in-process wasi:nn host.
    log('classifier (imported resources)…');
    const classifier = guestBytes('classifier');
    const fastClassifier = await buildFastGlue(classifier);
    if ('unsupported' in fastClassifier) throw new Error(`classifier must take the fast path: ${fastClassifier.unsupported}`);
    const jcoClassifier = await jcoGlue(classifier, dir, 'classifier-patched', true);
    const nn = instantNn();
    const recorded = [];
    fastClassifier.instantiate(nn, (m, imports) => { recorded.push([m, imports]); return new WebAssembly.Instance(m, imports); });
    Object.assign(metrics, compareUs({
      classifier_bare_instances_us: () => { for (const [m, imports] of recorded) new WebAssembly.Instance(m, imports); },
      classifier_fast_instance_us: () => fastClassifier.instantiate(nn),
      classifier_jco_instance_us: () => jcoClassifier(nn),
    }, { batch: Math.max(20, inst.batch / 4), rounds: inst.rounds }));
    const image = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    const fastGuest = fastClassifier.instantiate(nn);
    const jcoGuest = jcoClassifier(nn);
    Object.assign(metrics, compareUs({
      classifier_fast_call_us: () => { sink += fastGuest.classify(image).label; },
      classifier_jco_call_us: () => { sink += jcoGuest.classify(image).label; },
    }, { batch: calls.batch / 20, rounds: calls.rounds }));
    metrics.classifier_jco_vs_fast_call_ratio = metrics.classifier_jco_call_us / metrics.classifier_fast_call_us;

    // Exported resources: a method call on a handle of the counter guest (a resource the component
    // defines: the handle's rep is lowered as a borrow), our glue vs jco's (patched), side by side.
    log('counter (exported resource)…');
    const counter = guestBytes('counter');
    const fastCounter = await buildFastGlue(counter);
    if ('unsupported' in fastCounter) throw new Error(`counter must take the fast path: ${fastCounter.unsupported}`);
    const jcoCounter = await jcoGlue(counter, dir, 'counter-patched', true);
    const counters = (exports) => exports['sfirt:counter/counters'];
    const fastCounterObj = new (counters(fastCounter.instantiate({})).Counter)(1);
    const jcoCounterObj = new (counters(jcoCounter({})).Counter)(1);
    Object.assign(metrics, compareUs({
      resource_method_call_us: (i) => { sink += fastCounterObj.add(i & 1); },
      jco_resource_method_call_us: { fn: (i) => { sink += jcoCounterObj.add(i & 1); }, batch: calls.batch / 10 },
    }, calls));
    metrics.resource_method_jco_vs_fast_ratio = metrics.jco_resource_method_call_us / metrics.resource_method_call_us;
    if (sink === 42) log('');

    const rows = [
      ['per instance (hello guest)', 'µs', '× bare'],
      ...['bare_instance_us', 'jco_emitted_instance_us', 'jco_patched_instance_us', 'fast_instance_us']
        .map((k) => [k, metrics[k], metrics[k] / metrics.bare_instance_us]),
      ['per call (compute guest)', 'µs', '× bare'],
      ...['bare_call_us', 'scalar_call_us', 'jco_scalar_call_us', 'list1k_call_us', 'jco_list1k_call_us']
        .map((k) => [k, metrics[k], metrics[k] / metrics.bare_call_us]),
      ['classifier guest (instant wasi:nn host)', 'µs', '× fast'],
      ...['classifier_bare_instances_us', 'classifier_fast_instance_us', 'classifier_jco_instance_us']
        .map((k) => [k, metrics[k], metrics[k] / metrics.classifier_fast_instance_us]),
      ...['classifier_fast_call_us', 'classifier_jco_call_us']
        .map((k) => [k, metrics[k], metrics[k] / metrics.classifier_fast_call_us]),
      ['counter guest: method call on a handle', 'µs', '× fast'],
      ...['resource_method_call_us', 'jco_resource_method_call_us']
        .map((k) => [k, metrics[k], metrics[k] / metrics.resource_method_call_us]),
    ];
    const table = rows.map(([k, v, r]) => `${String(k).padEnd(30)} ${typeof v === 'number' ? (+v.toPrecision(3)).toString().padStart(9) : v.padStart(9)} ${typeof r === 'number' ? r.toFixed(2).padStart(8) : r.padStart(8)}`).join('\n');
    const notes = [
      'contenders are timed in alternating batches (median of rounds): ratios stay comparable on a loaded machine, absolute µs do not',
      'fast_glue_overhead_us = fast − bare for wat-add (no memory): the fast glue\'s own per-instance work',
      'classifier_*: the wasi:nn classifier guest (imported resources) with an in-process wasi:nn host that answers compute() at once, so glue + guest only; bare = its three core modules instantiated with the same imports; jco = jco\'s glue with our patches',
      'resource_method_call_us / jco_resource_method_call_us: `counter.add(n)` on a handle of the counter guest\'s exported resource (self lowered as a borrow: the rep), our glue / jco\'s glue with our patches',
    ];
    // Pool level, through createRuntime(): cold start (pool miss), warm call, RSS of 10k instances.
    Object.assign(metrics, await poolMetrics({ quick, log }));
    // Load times in new processes, cold vs warm precompile cache (optionally vs a baseline build).
    Object.assign(metrics, await loadMetrics({ quick, log }));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `instantiate${quick ? '-quick' : ''}-cold-start.svg`), barChartSvg({
      title: 'Per-instance cost: bare core instance vs our pool miss vs jco glue', unit: 'µs, median', log: true,
      rows: [
        { label: 'bare instance', value: metrics.bare_instance_us },
        { label: 'bare, one per turn', value: metrics.bare_cold_p50_us, whisker: metrics.bare_cold_p99_us },
        { label: 'ours: fast glue', value: metrics.fast_instance_us },
        { label: 'ours: pool miss call', value: metrics.cold_start_p50_us, whisker: metrics.cold_start_p99_us },
        { label: 'jco as emitted', value: metrics.jco_emitted_instance_us },
      ],
    }));
    const poolRows = ['pool_bare_instance_us', 'bare_cold_p50_us', 'bare_cold_p99_us', 'cold_start_p50_us', 'cold_start_p99_us', 'cold_start_ratio_vs_bare', 'warm_call_p50_us', 'warm_call_overhead_us', 'warm_call_reuse_p50_us', 'warm_call_reuse_overhead_us', 'fresh_call_p50_us', 'reset_us_64k', 'reset_us_16m_1page', 'reset_ratio_16m_1page_vs_64k', 'reset_us_16m_full_copy', 'dirty_page_tracking', 'live_instances_10k_rss_mib']
      .filter((k) => k in metrics).map((k) => `${k.padEnd(30)} ${(+metrics[k].toPrecision(3)).toString().padStart(9)}`);
    notes.push('bare_cold_p50/p99_us: the bare core module instantiated and its noop called, one per event-loop turn, sampled exactly like cold_start (interleaved rounds): the floor\'s own tail. V8 allocates every wasm instance (~3.4 KB here) in the old generation, so instantiations pay its incremental-marking steps (extra JS garbage per sample does not move it); cold_start_p99_us lands next to this floor\'s p99, above or below it from run to run');
    const loadRows = Object.keys(metrics).filter((k) => k.includes('load_'))
      .map((k) => `${k.padEnd(40)} ${(+metrics[k].toPrecision(3)).toString().padStart(9)}`);
    notes.push('load_*_ms: runtime.load() in a new Node process; cold = fresh cache directory (jco import + transpile + durable store), cached = a verified cache entry; compute runs on our fast glue, *_jco_glue on http-hello whose ~490 KB jco glue is evaluated each load; *_lookup_ms = loadTimings.totalMs - compileMs of a warm load, the part the cache is responsible for (no limits rewrite, core compile, or runtime work around the component). Set SFIRT_BASELINE_REF=<git commit> (its lib is built into a temp dir) or SFIRT_BASELINE_DIST=<another build\'s dist/> to measure that build alternately in the same run (baseline_* and *_vs_baseline_ratio, the median of per-round ratios; e.g. SFIRT_BASELINE_REF=f2c7407^, the build before the cache was hardened, for issue 18\'s bar load_cached_vs_baseline_ratio <= 1.2)');
    notes.push('reset_us_64k / reset_us_16m_1page: restoring a reset snapshot after a call stored 4 bytes into one page of a 64 KiB / 16 MiB memory, as the runtime restores it (only dirty pages when dirty_page_tracking = 1: multi-memory, Node >= 22; else the whole memory); reset_us_16m_full_copy = the whole-memory copy (Node 20, untracked memories)');
    notes.push('pool metrics use the compute guest (trivial export `noop`) through createRuntime() with fuel metering and the default limits on; cold_start_ratio_vs_bare divides by pool_bare_instance_us, the same guest\'s core module instantiated bare in the same run');
    notes.push('warm_call_*: a pool hit in the default mode (reset: memories, globals, tables, glue handle tables and host state restored after the call, included in the time); warm_call_reuse_*: mode reuse (nothing restored); fresh_call_p50_us: mode fresh with a spare made between calls off the call path (the call pays the hit and the discard; the spare costs about fast_instance_us off-path); cold_start_*: a pool miss');
    return { metrics, table: `${table}\n\npool (createRuntime, compute guest)\n${poolRows.join('\n')}\n\nload in a new process (ms)\n${loadRows.join('\n')}`, notes, details: { guests: 'hello + wat-add (instances), compute (calls, pool)', batches: { inst, calls }, node: process.version } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { table, notes } = await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) });
  console.log(table);
  for (const n of notes) console.log(`note: ${n}`);
}
