// Load-time metrics of the `instantiate` suite: `runtime.load()` in a new Node process (the case the
// precompile cache is for), with a cold cache (a fresh directory: jco import + transpile + store)
// and a warm one (read + verify the entry, rewrite + compile the core modules, evaluate the glue).
// Two guests: compute (our fast glue; jco's glue stays unevaluated) and http-hello (jco's glue,
// ~490 KB, evaluated on every load). Medians of samples taken in rotation. `*_lookup_*`: the part
// of a warm load the precompile cache is responsible for, `loadTimings.totalMs - compileMs`
// (identity, cache check, read and verify, glue planning or evaluation; not the limits rewrite
// and compile of the core modules, nor the runtime's work around the component).
// With SFIRT_BASELINE_DIST=<another build's dist/>, or SFIRT_BASELINE_REF=<git commit> (its lib is
// built into a temporary directory, bench/lib/baseline-dist.mjs), the same loads run with that
// build too, alternating with ours in the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './stats.mjs';
import { buildBaselineDist } from './baseline-dist.mjs';

const ours = fileURLToPath(new URL('../../dist/', import.meta.url));
const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));

/** ms of one `runtime.load()` in a new process using `dist` and `cacheDir`. */
function loadMs(dist, cacheDir, guestPath) {
  const script = `
    const { createRuntime } = await import(${JSON.stringify(pathToFileURL(join(dist, 'index.js')).href)});
    const rt = createRuntime({ cacheDir: ${JSON.stringify(cacheDir)} });
    const t0 = performance.now();
    const fn = await rt.load('f', ${JSON.stringify(guestPath)});
    const ms = performance.now() - t0;
    rt.close();
    const t = fn.loadTimings;
    console.log(JSON.stringify({ ms, hit: t.cacheHit, lookup: t.totalMs - t.compileMs }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim().split('\n').at(-1));
  return out;
}

export async function loadMetrics({ quick, log }) {
  // Warm loads are cheap and what the bar is about: more samples for them than for cold ones.
  const warmSamples = quick ? 11 : 31;
  const coldSamples = quick ? 3 : 7;
  const builds = { ours };
  const ref = process.env.SFIRT_BASELINE_DIST ? undefined : process.env.SFIRT_BASELINE_REF;
  const built = ref ? buildBaselineDist(ref, log) : undefined;
  if (process.env.SFIRT_BASELINE_DIST) builds.baseline = process.env.SFIRT_BASELINE_DIST;
  if (built) builds.baseline = built.dist;
  const guests = { compute: guest('compute'), jco_glue: guest('http-hello') };
  const cases = Object.keys(builds).flatMap((b) => Object.keys(guests).map((g) => [b, g]));
  const scratch = mkdtempSync(join(tmpdir(), 'sfirt-bench-load-'));
  const times = {};
  try {
    log(`load times (${warmSamples} warm / ${coldSamples} cold new processes per case${builds.baseline ? ', ours and baseline alternating' : ''})…`);
    const warm = {};
    for (const [b, g] of cases) {
      warm[`${b}/${g}`] = mkdtempSync(join(scratch, 'warm-'));
      loadMs(builds[b], warm[`${b}/${g}`], guests[g]);
    }
    for (let i = 0; i < warmSamples; i++) {
      // Rotate which case goes first, so drift in machine load hits every case alike.
      for (let j = 0; j < cases.length; j++) {
        const [b, g] = cases[(i + j) % cases.length];
        const w = loadMs(builds[b], warm[`${b}/${g}`], guests[g]);
        if (!w.hit) throw new Error(`${b}/${g}: expected a warm hit`);
        (times[`${b}/${g}/cached`] ??= []).push(w.ms);
        (times[`${b}/${g}/lookup`] ??= []).push(w.lookup);
        if (i >= coldSamples) continue;
        const cold = mkdtempSync(join(scratch, 'cold-'));
        const c = loadMs(builds[b], cold, guests[g]);
        if (c.hit) throw new Error(`${b}/${g}: expected a cold miss`);
        (times[`${b}/${g}/cold`] ??= []).push(c.ms);
        rmSync(cold, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    built?.cleanup();
  }
  const m = (k) => median(times[k]);
  // Ours over the baseline, round by round (a round's samples ran next to each other, so a load
  // spike on the shared machine hits both), then the median of those ratios.
  const paired = (k) => median(times[`ours/${k}`].map((v, i) => v / times[`baseline/${k}`][i]));
  const metrics = {
    load_cold_ms: m('ours/compute/cold'),
    load_cached_ms: m('ours/compute/cached'),
    load_cold_jco_glue_ms: m('ours/jco_glue/cold'),
    load_cached_jco_glue_ms: m('ours/jco_glue/cached'),
    load_cached_lookup_ms: m('ours/compute/lookup'),
    load_cached_lookup_jco_glue_ms: m('ours/jco_glue/lookup'),
  };
  if (builds.baseline) {
    Object.assign(metrics, {
      baseline_load_cold_ms: m('baseline/compute/cold'),
      baseline_load_cached_ms: m('baseline/compute/cached'),
      baseline_load_cached_jco_glue_ms: m('baseline/jco_glue/cached'),
      load_cached_vs_baseline_ratio: paired('compute/cached'),
      load_cached_jco_glue_vs_baseline_ratio: paired('jco_glue/cached'),
      baseline_load_cached_lookup_ms: m('baseline/compute/lookup'),
      baseline_load_cached_lookup_jco_glue_ms: m('baseline/jco_glue/lookup'),
      load_cached_lookup_vs_baseline_ratio: paired('compute/lookup'),
      load_cached_lookup_jco_glue_vs_baseline_ratio: paired('jco_glue/lookup'),
    });
  }
  return metrics;
}
