#!/usr/bin/env node
// The isolation comparison: the same MNIST classifier (fn/classify.mjs) under native, process,
// bubblewrap, crun, runc, gVisor and a QEMU VM (plus any extra backend, e.g. the Wasm runtime),
// measured by cold start, warm latency, memory, throughput and agreement with the native floor.
//
// Standalone: node bench/isolation/run.mjs [--quick] [--json] [--backends=a,b,...]
// Run `node bench/isolation/setup.mjs` first (builds the sandboxes' filesystem, bundle and guest).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ALL_BACKENDS } from './backends/index.mjs';
import { FIRECRACKER_PUBLISHED_BOOT_MS } from './backends/vm.mjs';
import { loadInputs, parseResponse } from './inputs.mjs';
import { REPO_ROOT } from './paths.mjs';
import { treeMemory } from './process-tree.mjs';
import { summarize } from './stats.mjs';
import { barChartSvg } from './svg-chart.mjs';
import { renderTable } from './table.mjs';

/** Repetitions per mode; `slow` backends (the TCG VM) use the second set. */
export const PLAN = {
  full: { cold: 10, warm: 1000, warmup: 50, throughputMs: 3000, slow: { cold: 3, warm: 30, warmup: 5, throughputMs: 6000 } },
  quick: { cold: 5, warm: 200, warmup: 20, throughputMs: 1000, slow: { cold: 1, warm: 10, warmup: 2, throughputMs: 3000 } },
};

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** Sends sequential requests over `payloads` for `count` requests; returns latencies (µs) and labels. */
async function sequential(handle, payloads, count, tag) {
  const latencies = [];
  const labels = [];
  for (let i = 0; i < count; i++) {
    const index = i % payloads.length;
    const t0 = performance.now();
    const response = parseResponse(await handle.request(`${tag}${i} ${payloads[index]}`));
    latencies.push((performance.now() - t0) * 1000);
    labels[index] = response.label;
  }
  return { latencies, labels };
}

/** Requests completed per second by one sequential client on each handle, for `durationMs`. */
async function throughput(handles, payloads, durationMs) {
  const end = performance.now() + durationMs;
  const t0 = performance.now();
  const counts = await Promise.all(handles.map(async (handle, h) => {
    let n = 0;
    while (performance.now() < end) {
      parseResponse(await handle.request(`t${h}-${n} ${payloads[n % payloads.length]}`));
      n++;
    }
    return n;
  }));
  const seconds = (performance.now() - t0) / 1000;
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

/**
 * Starts `discard + count` instances one after another, timing spawn → first correct response.
 * The first `discard` starts are not counted (the first warms the page cache; in-process backends
 * discard more, see `Backend.warmStarts`); the very first one is returned as `first`.
 */
async function coldStarts(backend, count, payload, expectedLabel, progress) {
  const samples = [];
  const discard = backend.warmStarts ?? 1;
  let first;
  for (let i = 0; i < count + discard; i++) {
    const t0 = performance.now();
    const handle = await backend.start();
    try {
      const { label } = parseResponse(await handle.request(`c${i} ${payload}`));
      const ms = performance.now() - t0;
      if (label !== expectedLabel) throw new Error(`cold start answered ${label}, expected ${expectedLabel}`);
      first ??= ms;
      if (i >= discard) samples.push(ms);
      // Each start is its own event-loop turn, as a request arriving from a socket is: a loop that
      // only awaits promises never lets V8's queued tasks (GC finalisation, FinalizationRegistry
      // cleanup) run, and they then land in later starts in a lump.
      if (backend.inProcess) await new Promise((r) => setImmediate(r));
      if (i === 0 || i >= discard) progress(`  ${backend.name} cold ${i}/${count + discard - 1}: ${ms.toFixed(i >= discard ? 3 : 1)} ms${i < discard ? ` (discarded warm-up${discard > 1 ? `, first of ${discard}` : ''})` : ''}`);
    } finally {
      await handle.stop();
    }
  }
  return { samples, first };
}

/** Measures one backend; returns its results record. */
async function measureBackend(backend, plan, inputs, referenceLabels, progress) {
  const reps = backend.slow ? plan.slow : plan;
  const expectedCold = referenceLabels?.[0] ?? inputs.labels[0];
  // In-process starts cost well under a millisecond: take more of them for a stable median.
  const coldCount = backend.inProcess ? Math.max(reps.cold, 100) : reps.cold;
  const starts = await coldStarts(backend, coldCount, inputs.payloads[0], expectedCold, progress);
  const cold = { ...summarize(starts.samples), first: starts.first };
  progress(`  ${backend.name} cold median ${cold.median.toFixed(3)} ms (first start ${cold.first.toFixed(1)} ms)`);

  const handle = await backend.start();
  let warm;
  let labels;
  let memory;
  let rpsC1;
  try {
    await sequential(handle, inputs.payloads, reps.warmup, 'u');
    const run = await sequential(handle, inputs.payloads, reps.warm, 'w');
    warm = summarize(run.latencies);
    labels = run.labels;
    memory = handle.memory ? handle.memory() : treeMemory(handle.pids());
    progress(`  ${backend.name} warm p50 ${warm.median.toFixed(0)} µs, memory ${memory ? `${(memory.rssBytes / 2 ** 20).toFixed(1)} MiB RSS` : 'not separable'}`);
    rpsC1 = await throughput([handle], inputs.payloads, reps.throughputMs);
  } finally {
    await handle.stop();
  }
  // Concurrency 2 = two instances, one sequential client each (what a FaaS platform does to use
  // two cores), measured side by side for the same wall time.
  const pair = [await backend.start(), await backend.start()];
  let rpsC2;
  try {
    await Promise.all(pair.map((h) => sequential(h, inputs.payloads, Math.max(1, reps.warmup), 'v')));
    rpsC2 = await throughput(pair, inputs.payloads, reps.throughputMs);
  } finally {
    await Promise.all(pair.map((h) => h.stop()));
  }
  progress(`  ${backend.name} throughput c1 ${rpsC1.toFixed(0)}/s, c2 ${rpsC2.toFixed(0)}/s`);

  const compared = labels.map((label, i) => [label, referenceLabels?.[i] ?? null]).filter(([l, r]) => l !== undefined && r !== null);
  const agreeing = compared.filter(([l, r]) => l === r).length;
  const correct = labels.filter((label, i) => label === inputs.labels[i]).length;
  return {
    name: backend.name, describe: backend.describe, note: backend.note, warmStarts: backend.warmStarts,
    cold, warm, memory, rpsC1, rpsC2, labels,
    agreement: compared.length ? { agreeing, compared: compared.length } : null,
    accuracy: { correct, total: labels.filter((l) => l !== undefined).length },
  };
}

/**
 * Runs the isolation comparison.
 * @param {{ quick?: boolean, backends?: string[], extraBackends?: import('./backend.mjs').Backend[],
 *   onProgress?: (message: string) => void, write?: boolean }} [options]
 *   `backends` selects by name (default: all; the VM is left out of quick runs unless named);
 *   `write` (default true) saves JSON, Markdown and SVG under bench/results/.
 * @returns {Promise<{ metrics: Record<string, number>, table: string, results: object }>}
 */
export async function runIsolationBench({ quick = false, backends, extraBackends = [], onProgress, write = true, outDir = RESULTS_DIR } = {}) {
  const progress = onProgress ?? ((message) => process.stderr.write(`${message}\n`));
  const plan = quick ? PLAN.quick : PLAN.full;
  const every = [...ALL_BACKENDS, ...extraBackends];
  const selected = backends
    ? backends.map((name) => every.find((b) => b.name === name) ?? (() => { throw new Error(`unknown backend ${name}`); })())
    : every.filter((b) => !b.optIn && !(quick && b.slow));
  const skipped = backends || !quick ? [] : every.filter((b) => b.slow && !b.optIn)
    .map((b) => ({ name: b.name, reason: 'left out of --quick runs (software-emulated boot takes 10–30 s here); name it with --backends=' + b.name }));

  const inputs = await loadInputs(Math.max(plan.warm, plan.slow.warm));
  const measured = [];
  let referenceLabels = null;
  // native runs first: it is the reference every other backend's labels are compared with.
  const ordered = [...selected].sort((a, b) => (b.name === 'native') - (a.name === 'native'));
  for (const backend of ordered) {
    const reason = await backend.available();
    if (reason) {
      progress(`${backend.name}: skipped — ${reason}`);
      skipped.push({ name: backend.name, reason });
      continue;
    }
    progress(`${backend.name}: measuring`);
    // One retry: a backend that fails once (the emulated VM has lost a request mid-run) is measured
    // again, and the table says it failed once and why.
    let firstFailure;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const result = await measureBackend(backend, plan, inputs, referenceLabels, progress);
        if (backend.name === 'native') referenceLabels = result.labels;
        if (firstFailure) result.note = `${result.note ? `${result.note}; ` : ''}failed once (${firstFailure}) and was measured again`;
        measured.push(result);
        break;
      } catch (error) {
        progress(`${backend.name}: failed — ${error.message}${attempt === 0 ? ' (retrying once)' : ''}`);
        if (attempt === 0) { firstFailure = error.message; continue; }
        skipped.push({ name: backend.name, reason: `failed twice; last: ${error.message}` });
      }
    }
  }

  const metrics = {};
  for (const r of measured) {
    metrics[`cold_ms_${r.name}`] = r.cold.median;
    metrics[`cold_p95_ms_${r.name}`] = r.cold.p95;
    if (r.cold.first !== undefined) metrics[`cold_first_ms_${r.name}`] = r.cold.first;
    metrics[`warm_us_${r.name}`] = r.warm.median;
    metrics[`warm_p99_us_${r.name}`] = r.warm.p99;
    if (r.memory) {
      metrics[`rss_mib_${r.name}`] = r.memory.rssBytes / 2 ** 20;
      metrics[`pss_mib_${r.name}`] = r.memory.pssBytes / 2 ** 20;
    }
    metrics[`rps_c1_${r.name}`] = r.rpsC1;
    metrics[`rps_c2_${r.name}`] = r.rpsC2;
    if (r.agreement) metrics[`agree_${r.name}`] = r.agreement.agreeing / r.agreement.compared;
  }
  if (metrics.cold_ms_bubblewrap && metrics.cold_ms_wasm) metrics.cold_ratio_bwrap_vs_wasm = metrics.cold_ms_bubblewrap / metrics.cold_ms_wasm;
  if (metrics.cold_ms_wasm_from_nothing) metrics.cold_ms_wasm_from_nothing_vs_bwrap = metrics.cold_ms_wasm_from_nothing / (metrics.cold_ms_bubblewrap ?? NaN);
  const env = {
    node: process.version, platform: `${process.platform} ${release()}`, cpus: cpus().length,
    cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), quick, date: new Date().toISOString(),
  };
  const notes = [
    'cold start = spawn → first correct response to a request written immediately (page cache warm; first start discarded).',
    'warm = sequential round trips on one live instance, 28×28 image sent base64 over stdin/stdout.',
    'memory = RSS and PSS summed over every process the backend started (/proc/<pid>/smaps_rollup), after the warm run.',
    'throughput c1 = one instance, one sequential client; c2 = two instances, one sequential client each, same wall time.',
    'agreement = share of inputs where the backend returns the same label as native.',
    ...measured.filter((r) => r.note).map((r) => `${r.name}: ${r.note}.`),
    ...measured.filter((r) => (r.warmStarts ?? 1) > 1).map((r) =>
      `${r.name}: cold median over ${r.cold.n} pool misses after ${r.warmStarts} discarded ones (the runtime's JS and the guest's code JIT-compiled, as in a host that has served before); the process's very first pool miss took ${r.cold.first.toFixed(2)} ms.`),
  ];
  if (selected.some((b) => b.name.startsWith('vm')) || skipped.some((s) => s.name.startsWith('vm'))) {
    notes.push(`Reference, not measured here: Firecracker reports ~${FIRECRACKER_PUBLISHED_BOOT_MS} ms boot on hardware virtualisation.`);
  }
  const table = renderTable({ measured, skipped, notes, env });
  const results = { suite: 'isolation', env, plan, measured: measured.map(({ labels, ...rest }) => rest), skipped, notes };
  if (write) {
    mkdirSync(outDir, { recursive: true });
    const base = join(outDir, `isolation${quick ? '-quick' : ''}`);
    writeFileSync(`${base}.json`, `${JSON.stringify({ suite: 'isolation', metrics, ...results }, null, 2)}\n`);
    writeFileSync(`${base}.md`, table);
    writeFileSync(`${base}-cold.svg`, barChartSvg({
      title: 'Cold start: spawn → first correct classification', unit: 'ms, median (p95)', log: true,
      note: 'vm is software-emulated (TCG)',
      rows: measured.map((r) => ({ label: r.name, value: r.cold.median, whisker: r.cold.p95 })),
    }));
    writeFileSync(`${base}-warm.svg`, barChartSvg({
      title: 'Warm request latency (MNIST classify round trip)', unit: 'µs, p50 (p99)', log: true,
      rows: measured.map((r) => ({ label: r.name, value: r.warm.median, whisker: r.warm.p99 })),
    }));
    progress(`results: ${base}.{json,md} and ${base}-{cold,warm}.svg`);
  }
  return { metrics, table, results };
}

/**
 * Adapter for the suite runner (`bench/run.mjs` expects `run({ quick, log })` →
 * `{ metrics, table, notes, details }`).
 */
export async function run({ quick = false, log, outDir } = {}) {
  const out = await runIsolationBench({ quick, onProgress: log, outDir });
  return { metrics: out.metrics, table: out.table, notes: out.results.notes, details: out.results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const names = args.find((a) => a.startsWith('--backends='))?.slice('--backends='.length).split(',').filter(Boolean);
  const out = await runIsolationBench({ quick: args.includes('--quick'), backends: names });
  console.log(out.table);
  if (args.includes('--json')) console.log(JSON.stringify({ suite: 'isolation', metrics: out.metrics, env: out.results.env }));
}
