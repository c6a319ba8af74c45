#!/usr/bin/env node
// wasi:nn engines side by side, in one process, on the same models and inputs: onnxruntime-web's
// public async API vs our synchronous private wasm instance (lib/nn/ort-wasm-engine), and
// onnxruntime-node's public async API vs our synchronous engine over its native binding. Also the
// cost of starting an engine, loading a session, the first inference, and RSS per extra engine.
// Models: models/digits.onnx (and models/image224.onnx when present, metrics suffixed _224).
// Then the hostile phase: a guest (guests/nn-hostile) runs a 30,000-trip Loop model
// (models/hostile-models.ts) under timeoutMs 100 on each backend while a victim classifier call
// waits behind it; how long until the attack is stopped and until the victim has its answer.
// Run: `npm run bench -- nn [--quick]` or `node bench/nn.mjs [--quick]` (needs a built dist/).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createOrtNativeEngine } from '../dist/nn/ort-native-engine.js';
import { createOrtWasmEngine } from '../dist/nn/ort-wasm-engine.js';
import { createRuntime } from '../dist/index.js';
import { loadTypeScript } from '../models/build.mjs';

const modelPath = (name) => fileURLToPath(new URL(`../models/${name}`, import.meta.url));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const MiB = 1024 * 1024;

/** Deterministic input in [0, 1) for every model input (symbolic dimensions set to 1). */
function feedsFor(inputs) {
  const feeds = {};
  let s = 12345;
  for (const info of inputs) {
    const dims = info.dims.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
    const data = Float32Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32));
    feeds[info.name] = { type: info.type, dims, data };
  }
  return feeds;
}

/**
 * µs per call of each (possibly async) function in `fns`, measured side by side: after `warmup`
 * calls each, `rounds` alternating rounds of `iterations / rounds` calls each, so drift (V8 tiering
 * up the 14 MB modules, other load on the machine) hits every contender alike. Each contender's
 * figure is its best round's median: this shared VM has phases of ~10 ms in which everything runs
 * 2–3× slower, and a plain median over all samples then says more about when a phase struck than
 * about the code (see the per-round log with SFIRT_BENCH_ROUNDS=1).
 */
async function timeSideBySide(fns, warmup, iterations, rounds = 5) {
  for (const fn of Object.values(fns)) for (let i = 0; i < warmup; i++) await fn();
  const best = Object.fromEntries(Object.keys(fns).map((k) => [k, Infinity]));
  const per = Math.max(1, Math.floor(iterations / rounds));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      const xs = [];
      for (let i = 0; i < per; i++) { const t = performance.now(); await fn(); xs.push((performance.now() - t) * 1000); }
      const m = median(xs);
      if (process.env.SFIRT_BENCH_ROUNDS) console.error(`round ${r} ${name} ${m.toFixed(1)} µs`);
      best[name] = Math.min(best[name], m);
    }
  }
  return best;
}

/**
 * Runs the suite. Returns metrics (µs per inference unless the name says otherwise):
 * direct_ortweb_us, engine_wasm_us, direct_native_us, engine_native_us, engine_create_wasm_ms,
 * session_create_wasm_ms, session_create_native_ms, first_inference_wasm_us,
 * first_inference_native_us, rss_per_wasm_engine_mib, and the same inference metrics with `_224`.
 */
export async function runNnBench({ quick = false, log = () => {} } = {}) {
  const metrics = {};
  const notes = [];
  const [ortWeb, ortNode] = await Promise.all([import('onnxruntime-web'), import('onnxruntime-node').catch(() => undefined)]);
  ortWeb.env.wasm.numThreads = 1;
  if (!ortNode) notes.push('onnxruntime-node not available: native metrics skipped');

  // Engine start: the first one pays for loading and compiling the 14 MB module (once per thread).
  let t = performance.now();
  const wasm = await createOrtWasmEngine({ memoryMaxBytes: 512 * MiB });
  metrics.engine_first_create_wasm_ms = performance.now() - t;
  t = performance.now();
  const second = await createOrtWasmEngine({ memoryMaxBytes: 512 * MiB });
  metrics.engine_create_wasm_ms = performance.now() - t;
  second.dispose();
  const native = ortNode ? await createOrtNativeEngine() : undefined;

  // The full path: the classifier guests (AssemblyScript) → wasi:nn → each backend, warm pool hits.
  const rt = createRuntime({ nn: { models: { digits: modelPath('digits.onnx'), image224: modelPath('image224.onnx') }, engineMemoryMaxBytes: 512 * MiB } });
  const guestPath = (name) => fileURLToPath(new URL(`../guests/dist/${name}.wasm`, import.meta.url));
  const guests = {};
  // Pool mode `reset` (the default). With `init`, each instance opens its graph and execution
  // context once, before its initial state is recorded, and every reset keeps them (as the direct
  // contenders keep their session); `lazy` is the same guest without it, opening both in each call.
  for (const [name, suffix] of [['classifier', ''], ['classifier224', '_224']]) {
    guests[suffix] = { wasm: await rt.load(`${name}-wasm`, guestPath(name), { nnBackend: 'wasm', init: 'init' }) };
    if (ortNode) guests[suffix].native = await rt.load(`${name}-native`, guestPath(name), { nnBackend: 'native', init: 'init' });
  }
  guests[''].lazy = await rt.load('classifier-wasm-lazy', guestPath('classifier'), { nnBackend: 'wasm' });

  const models = [['digits.onnx', ''], ['image224.onnx', '_224']].filter(([file]) => existsSync(modelPath(file)));
  if (models.length === 0) throw new Error('models/digits.onnx is missing: build the models first');
  for (const [file, suffix] of models) {
    const bytes = new Uint8Array(readFileSync(modelPath(file)));
    const big = suffix === '_224';
    // Warm-up long enough for V8 to tier the guest, the glue and the engine's hot functions up to
    // optimised code (a few hundred calls is not: --quick then measured baseline code).
    const iterations = quick ? (big ? 10 : 1000) : (big ? 40 : 2000);
    const warmup = quick ? (big ? 2 : 1000) : (big ? 5 : 1000);
    log(`nn: ${file} (${iterations} iterations)`);

    t = performance.now();
    const ws = wasm.createSession(bytes);
    metrics[`session_create_wasm_ms${suffix}`] = performance.now() - t;
    const feeds = feedsFor(ws.inputs);
    t = performance.now();
    ws.run(feeds);
    metrics[`first_inference_wasm_us${suffix}`] = (performance.now() - t) * 1000;
    const contenders = { engine_wasm_us: () => ws.run(feeds) };

    const webSession = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const webFeeds = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ortWeb.Tensor(f.type, f.data, f.dims)]));
    contenders.direct_ortweb_us = () => webSession.run(webFeeds);

    let ns;
    let nodeSession;
    if (native) {
      t = performance.now();
      ns = native.createSession(bytes);
      metrics[`session_create_native_ms${suffix}`] = performance.now() - t;
      t = performance.now();
      ns.run(feeds);
      metrics[`first_inference_native_us${suffix}`] = (performance.now() - t) * 1000;
      contenders.engine_native_us = () => ns.run(feeds);
      nodeSession = await ortNode.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
      const nodeFeeds = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ortNode.Tensor(f.type, f.data, f.dims)]));
      contenders.direct_native_us = () => nodeSession.run(nodeFeeds);
    }
    // The guest takes raw pixels (u8) and normalises them itself.
    const pixels = Uint8Array.from(feeds.input.data, (x) => Math.floor(x * 256));
    const expectOk = async (fn) => { const r = await fn.call('classify', pixels); if (r.tag !== 'ok') throw new Error(`guest failed: ${JSON.stringify(r.val)}`); };
    contenders.guest_wasm_us = () => expectOk(guests[suffix].wasm);
    if (guests[suffix].native) contenders.guest_native_us = () => expectOk(guests[suffix].native);
    if (guests[suffix].lazy) contenders.guest_wasm_lazy_us = () => expectOk(guests[suffix].lazy);
    for (const [name, us] of Object.entries(await timeSideBySide(contenders, warmup, iterations, big ? 5 : 20))) metrics[`${name}${suffix}`] = us;
    await webSession.release();
    await nodeSession?.release();
    ns?.release();
    ws.release();
  }

  // RSS per extra engine, each holding the digits session and having run it once.
  const extra = quick ? 2 : 4;
  const digits = new Uint8Array(readFileSync(modelPath('digits.onnx')));
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const engines = [];
  for (let i = 0; i < extra; i++) {
    const e = await createOrtWasmEngine({ memoryMaxBytes: 64 * MiB });
    const s = e.createSession(digits);
    s.run(feedsFor(s.inputs));
    engines.push(e);
  }
  metrics.rss_per_wasm_engine_mib = (process.memoryUsage().rss - before) / MiB / extra;
  Object.assign(metrics, await hostilePhase({ quick, native: Boolean(ortNode), log }));
  metrics.nn_overhead_ratio = metrics.guest_wasm_us / metrics.direct_ortweb_us;
  if (metrics.guest_wasm_us_224) metrics.nn_overhead_ratio_224 = metrics.guest_wasm_us_224 / metrics.direct_ortweb_us_224;
  rt.close();
  for (const e of engines) e.dispose();
  wasm.dispose();
  native?.dispose();
  notes.push('guest_* = classifier guest call through createRuntime() (pool mode reset, pool hit, fuel metering on, option init: graph and context opened once per instance) → wasi:nn → engine; guest_wasm_lazy_us = the same without init (both opened in every call); nn_overhead_ratio = guest_wasm_us / direct_ortweb_us.');
  notes.push('direct_* use the packages\' public async InferenceSession.run (awaited per call, in this process); engine_* are the synchronous engines wasi:nn uses (the native one runs onnxruntime-node in a child process, through a bridge thread).');
  notes.push('loop_stop_ms_* = a 30,000-trip Loop model under timeoutMs 100 until DEADLINE_EXCEEDED (bar: 101 + 1 ms on wasm, 200 on native); victim_ms_* = a classifier call issued right behind it until its answer (bar: 200).');
  return { metrics, notes };
}

/**
 * The Loop attack on each backend, side by side: `loop_stop_ms_<backend>` is the median time from
 * issuing the hostile call (timeoutMs 100) to its DEADLINE_EXCEEDED, `victim_ms_<backend>` from
 * issuing a victim classifier call right behind it to its (checked) answer.
 */
async function hostilePhase({ quick, native, log }) {
  const TIMEOUT_MS = 100;
  const hostile = await loadTypeScript(fileURLToPath(new URL('../models/hostile-models.ts', import.meta.url)));
  const rt = createRuntime({ nn: { models: { digits: modelPath('digits.onnx'), loop: hostile.longLoopModel() } } });
  const guestPath = (name) => fileURLToPath(new URL(`../guests/dist/${name}.wasm`, import.meta.url));
  const out = {};
  const utf8 = (s) => new TextEncoder().encode(s);
  const trips = new Uint8Array(BigInt64Array.of(30_000n).buffer);
  const image = new Uint8Array(784).fill(40);
  try {
    for (const backend of native ? ['wasm', 'native'] : ['wasm']) {
      log(`nn: hostile loop on ${backend}`);
      // `reuse`: the attacker loads its graph in one call and runs it in the next (a reset would release it).
      const attacker = await rt.load(`attacker-${backend}`, guestPath('nn-hostile'), { limits: { memoryBytes: 16 * MiB, timeoutMs: TIMEOUT_MS }, nnBackend: backend, pool: { mode: 'reuse' } });
      const victim = await rt.load(`victim-${backend}`, guestPath('classifier'), { nnBackend: backend });
      const expected = JSON.stringify(await victim.call('classify', image));
      const stops = [];
      const victims = [];
      // The median of 5 rounds (7 in a full run): on a 2-vCPU machine a scheduler slice can delay the
      // watchdog ~3 ms in a round, and the first round runs the error path cold (~+1 ms).
      for (let round = 0; round < (quick ? 5 : 7); round++) {
        const ctx = (await attacker.call('init-context', (await attacker.call('load-named', utf8('loop'))).val)).val;
        const t0 = performance.now();
        // The attack runs synchronously inside call() (a pool hit): when call() returns, it was stopped.
        const attack = attacker.call('compute', ctx, utf8('trips'), new Uint32Array(0), 6, trips).then(
          () => { throw new Error('the loop was not stopped'); },
          (err) => { if (err.code !== 'DEADLINE_EXCEEDED') throw err; },
        );
        stops.push(performance.now() - t0);
        // Issued in the same turn as the attack: it waits behind it on this thread.
        const answered = victim.call('classify', image).then((r) => {
          if (JSON.stringify(r) !== expected) throw new Error('the victim got a different answer');
          return performance.now() - t0;
        });
        await attack;
        victims.push(await answered);
      }
      out[`loop_stop_ms_${backend}`] = median(stops);
      out[`victim_ms_${backend}`] = median(victims);
    }
  } finally {
    rt.close();
  }
  return out;
}

/** bench/run.mjs entry point. */
export async function run(options) {
  return runNnBench(options);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { metrics, notes } = await runNnBench({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) });
  for (const [k, v] of Object.entries(metrics)) console.log(`${k.padEnd(34)} ${+v.toPrecision(4)}`);
  for (const n of notes) console.log(`note: ${n}`);
}
