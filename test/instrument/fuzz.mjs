#!/usr/bin/env node
// Differential fuzzing of the instrumenter: random valid modules from binaryen's `wasm-opt -ttf`
// (Debian package binaryen), each run original vs instrumented with the same deterministic inputs.
//   node test/instrument/fuzz.mjs [N=1000] [--seed S] [--keep DIR]
// Checks per module: the output validates (metered, and self-contained with a tight memory cap);
// with ample fuel every export returns the same value / throws the same error, logs the same
// calls and leaves the same memory; with little fuel the stop is FUEL_EXHAUSTED and identical on
// two fresh instances (or the call completes with the original's result). The same module built
// with its own fuel global (`fuelGlobal: 'own'`, attached to a Meter) must give the original's
// results with ample fuel and exactly the shared-global build's little-fuel trace (stops and fuel).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { instrumentModule } from '../../dist/instrument/index.js';
import { MULTI_MEMORY, trackDirtyPages } from '../../dist/instrument/dirty-pages.js';
import { exportState } from '../../dist/instrument/export-state.js';
import { collectState, InstanceSnapshot } from '../../dist/pool/snapshot.js';
import { Meter, classifyTrap } from '../../dist/limits/index.js';
import { Reader } from '../../dist/instrument/bytes.js';

export const WASM_OPT = '/usr/bin/wasm-opt';
/** Features V8 in Node 20 accepts and binaryen 108 generates correctly (its reference-types output is not valid for V8). */
const FEATURES = ['--enable-bulk-memory', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-simd',
  '--enable-multivalue', '--enable-tail-call', '--enable-exception-handling'];

/** Small deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Param value types of every exported function (by export name). */
function exportSignatures(bytes) {
  const r = new Reader(bytes, 8);
  const types = [];
  const funcTypes = [];
  const sigs = {};
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const end = r.pos + size;
    const s = new Reader(bytes, r.pos, end);
    if (id === 1) {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        s.u8();
        const p = []; for (let k = s.u32(); k > 0; k--) p.push(s.u8());
        const q = []; for (let k = s.u32(); k > 0; k--) q.push(s.u8());
        types.push({ params: p, results: q });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        s.skip(s.u32()); s.skip(s.u32());
        const kind = s.u8();
        if (kind === 0) funcTypes.push(s.u32());
        else if (kind === 1) { s.u8(); const f = s.u8(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 2) { const f = s.u8(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 3) { s.u8(); s.u8(); }
        else { s.u8(); s.u32(); }
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name();
        const kind = s.u8();
        const idx = s.u32();
        if (kind === 0) sigs[name] = types[funcTypes[idx]];
      }
    }
    r.pos = end;
  }
  return sigs;
}

/** Fuel for the "little fuel" runs: enough to enter most functions, too little for the longer ones. */
const LITTLE_FUEL = 120;

const ARGS = { 0x7f: [0, 1, -1, 7, 0x7fffffff], 0x7e: [0n, 1n, -1n, 42n], 0x7d: [0, 1.5, -0, NaN], 0x7c: [0, -2.25, 1e300, Infinity] };

function argsFor(sig, round) {
  return sig.params.map((t, i) => {
    const pool = ARGS[t];
    return pool ? pool[(round + i) % pool.length] : undefined;
  });
}

/** What a call did, as a comparable string. */
function outcome(fn) {
  try {
    const v = fn();
    return { ok: true, text: `ok ${fmt(v)}` };
  } catch (e) {
    return { ok: false, error: e, text: `${e?.constructor?.name}: ${e?.message}` };
  }
}

function fmt(v) {
  if (Array.isArray(v)) return `[${v.map(fmt).join(',')}]`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  return typeof v === 'bigint' ? `${v}n` : String(v);
}

function instantiate(moduleOrBytes, log, extra = {}) {
  const imports = {
    'fuzzing-support': {
      'log-i32': (x) => log.push(`i32 ${x}`), 'log-i64': (x) => log.push(`i64 ${x}`),
      'log-f32': (x) => log.push(`f32 ${fmt(x)}`), 'log-f64': (x) => log.push(`f64 ${fmt(x)}`),
      'log-v128': () => log.push('v128'),
    },
    ...extra,
  };
  try {
    const module = moduleOrBytes instanceof WebAssembly.Module ? moduleOrBytes : new WebAssembly.Module(moduleOrBytes);
    return { exports: new WebAssembly.Instance(module, imports).exports };
  } catch (e) {
    return { error: `${e.constructor.name}: ${e.message}` };
  }
}

/** Calls every exported function (hang limit reset before each, as binaryen's own harness does). */
function runAll(exports, sigs, log, before = () => {}) {
  const trace = [];
  for (const round of [0, 1]) {
    for (const [name, sig] of Object.entries(sigs)) {
      if (name === 'hangLimitInitializer') continue;
      exports.hangLimitInitializer?.();
      before();
      const o = outcome(() => exports[name](...argsFor(sig, round)));
      trace.push(`${name}: ${o.text}`);
      trace.push(`  log ${log.splice(0).join(';')}`);
      if (exports.memory instanceof WebAssembly.Memory) trace.push(`  mem ${hashBytes(new Uint8Array(exports.memory.buffer))}`);
    }
  }
  return trace;
}

function hashBytes(b) {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0).toString(16) + ':' + b.length;
}

/** Checks one module; returns a list of divergences (empty = fine). */
export function checkModule(original, counters = { calls: 0, fuelStops: 0 }) {
  const problems = [];
  const sigs = exportSignatures(original);
  const metered = instrumentModule(original, { meter: true, memoryMaxPages: 65536, tableMaxElements: 10_000_000 }).bytes;
  if (!WebAssembly.validate(metered)) problems.push('metered output does not validate');
  const tight = instrumentModule(original, { meter: true, selfContained: true, memoryMaxPages: 1024 }).bytes;
  if (!WebAssembly.validate(tight)) problems.push('self-contained output does not validate');
  // Per-module fuel global (`fuelGlobal: 'own'`): must behave and count exactly like the shared one.
  const own = instrumentModule(original, { meter: true, fuelGlobal: 'own', memoryMaxPages: 65536, tableMaxElements: 10_000_000 }).bytes;
  if (!WebAssembly.validate(own)) problems.push('own-fuel output does not validate');
  // A `reset` pool's build (state exports + dirty-page tracking; maps of imported memories defined
  // in the module): same behaviour and fuel as `own`, and restoring only dirty pages undoes everything.
  const reset = MULTI_MEMORY ? trackDirtyPages(exportState(own), { ownMaps: true }).bytes : undefined;
  if (reset && !WebAssembly.validate(reset)) problems.push('dirty-tracked output does not validate');
  if (problems.length) return problems;

  const logA = [];
  const a = instantiate(original, logA);
  const meter = new Meter();
  const logB = [];
  const meteredModule = new WebAssembly.Module(metered);
  const b = instantiate(meteredModule, logB, meter.imports);
  if (a.error || b.error) {
    if (a.error !== b.error) problems.push(`instantiation differs: ${a.error} vs ${b.error}`);
    return problems;
  }
  const ta = runAll(a.exports, sigs, logA);
  const tb = runAll(b.exports, sigs, logB, () => meter.start({}));
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    if (ta[i] !== tb[i]) { problems.push(`ample fuel: "${ta[i]}" vs "${tb[i]}"`); break; }
  }
  const ownModule = new WebAssembly.Module(own);
  {
    const m = new Meter();
    const logC = [];
    const c = instantiate(ownModule, logC, m.imports);
    if (c.error) problems.push(`own-fuel instantiation failed: ${c.error}`);
    else {
      m.attach(c.exports);
      const tc = runAll(c.exports, sigs, logC, () => m.start({}));
      for (let i = 0; i < Math.max(ta.length, tc.length); i++) {
        if (ta[i] !== tc[i]) { problems.push(`ample fuel, own global: "${ta[i]}" vs "${tc[i]}"`); break; }
      }
    }
  }

  const resetModule = reset && new WebAssembly.Module(reset);
  if (resetModule) {
    const m = new Meter();
    const logD = [];
    const d = instantiate(resetModule, logD, m.imports);
    if (d.error) problems.push(`dirty-tracked instantiation failed: ${d.error}`);
    else {
      m.attach(d.exports);
      const state = { globals: [], tables: [], memories: [], dirty: [] };
      collectState(d.exports, state);
      // Memories only: a mutable v128 global cannot be read from JS (InstanceSnapshot throws on one;
      // reported separately), and memory is what dirty tracking is about.
      state.globals = [];
      const snapshot = new InstanceSnapshot(state);
      const saved = state.memories.map((mem) => new Uint8Array(mem.buffer).slice());
      const td = runAll(d.exports, sigs, logD, () => m.start({}));
      for (let i = 0; i < Math.max(ta.length, td.length); i++) {
        if (ta[i] !== td[i]) { problems.push(`ample fuel, dirty-tracked: "${ta[i]}" vs "${td[i]}"`); break; }
      }
      if (snapshot.restore()) {
        state.memories.forEach((mem, i) => {
          const now = new Uint8Array(mem.buffer);
          const at = now.findIndex((b, j) => b !== saved[i][j]);
          if (at >= 0) problems.push(`reset restored only dirty pages but byte ${at} of memory ${i} still differs`);
        });
      }
    }
  }

  // Little fuel: deterministic stops on two fresh instances, and the same on the own-global build
  // (and on the dirty-tracked one: tracking is not metered).
  const runs = [meteredModule, meteredModule, ownModule, ...(resetModule ? [resetModule] : [])].map((mod) => {
    const m = new Meter();
    const log = [];
    const inst = instantiate(mod, log, m.imports);
    if (inst.error) return [inst.error];
    m.attach(inst.exports);
    const trace = [];
    for (const [name, sig] of Object.entries(sigs)) {
      if (name === 'hangLimitInitializer') continue;
      m.start();
      inst.exports.hangLimitInitializer?.();
      m.start({ fuel: LITTLE_FUEL });
      const o = outcome(() => inst.exports[name](...argsFor(sig, 0)));
      const typed = o.ok ? undefined : classifyTrap(m, o.error, { fuel: LITTLE_FUEL });
      // Fuel used is exact when a call returns; after a trap the trapping function's cached counter
      // may not have been written back (Meter.fuelUsed), and where it lives (own or shared global)
      // changes that by a unit, so a stopped call is compared by where it stopped, not by `used`.
      const used = o.ok ? ` used=${m.fuelUsed}` : '';
      trace.push(`${name}: ${typed ? typed.code : o.text}${used} ${log.splice(0).join(';')}`);
      counters.calls++;
      if (typed?.code === 'FUEL_EXHAUSTED') counters.fuelStops++;
      if (m.stopReason === 'fuel' && typed?.code !== 'FUEL_EXHAUSTED') problems.push(`${name}: fuel stop surfaced as ${o.text}`);
      if (!o.ok && !typed && m.stopReason === undefined && m.fuelUsed > LITTLE_FUEL + 10_000) problems.push(`${name}: used ${m.fuelUsed} without a stop`);
    }
    return trace;
  });
  if (runs[0].join('\n') !== runs[1].join('\n')) problems.push('little fuel: two runs differ');
  if (runs[0].join('\n') !== runs[2].join('\n')) problems.push('little fuel: own fuel global differs from the shared one');
  if (runs[3] && runs[3].join('\n') !== runs[2].join('\n')) problems.push('little fuel: dirty-tracked build differs from the own-global one');
  return problems;
}

/** Generates and checks `count` modules from seeds [seed, seed+count). */
export function fuzz({ count, seed = 1, keep, budgetMs = Infinity, log = () => {} }) {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-fuzz-'));
  const stats = { generated: 0, invalidOriginals: 0, checked: 0, calls: 0, fuelStops: 0, divergences: [], msGenerate: 0, msCheck: 0 };
  try {
    for (let i = 0; i < count && performance.now() - started < budgetMs; i++) {
      const rand = prng(seed + i);
      const input = Uint8Array.from({ length: 2000 + Math.floor(rand() * 14000) }, () => Math.floor(rand() * 256));
      const inFile = join(dir, 'in.dat');
      const outFile = join(dir, 'out.wasm');
      writeFileSync(inFile, input);
      let t = performance.now();
      const r = spawnSync(WASM_OPT, ['-ttf', inFile, '-o', outFile, ...FEATURES], { encoding: 'utf8' });
      if (r.status !== 0) { stats.invalidOriginals++; continue; }
      stats.generated++;
      const original = new Uint8Array(readFileSync(outFile));
      if (!WebAssembly.validate(original)) { stats.invalidOriginals++; continue; }
      stats.msGenerate += performance.now() - t;
      t = performance.now();
      let problems;
      try { problems = checkModule(original, stats); } catch (e) { problems = [`threw: ${String(e?.stack).split('\n').slice(0, 3).join(' / ')}`]; }
      stats.checked++;
      stats.msCheck += performance.now() - t;
      if (problems.length) {
        stats.divergences.push({ seed: seed + i, problems });
        log(`seed ${seed + i}: ${problems.join(' | ')}`);
        if (keep) { mkdirSync(keep, { recursive: true }); copyFileSync(outFile, join(keep, `seed-${seed + i}.wasm`)); }
      }
      if ((i + 1) % 250 === 0) log(`${i + 1}/${count} modules (${stats.checked} checked, ${stats.calls} little-fuel calls, ${stats.fuelStops} FUEL_EXHAUSTED), ${stats.divergences.length} divergences, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
  const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  if (!existsSync(WASM_OPT)) { console.error(`${WASM_OPT} not found: apt-get install binaryen`); process.exit(2); }
  const t0 = performance.now();
  const stats = fuzz({ count, seed: Number(opt('--seed') ?? 1), keep: opt('--keep'), log: (m) => console.error(m) });
  console.log(`${stats.checked} modules checked (${stats.invalidOriginals} generator outputs V8 rejects, skipped), ${stats.calls} little-fuel calls of which ${stats.fuelStops} FUEL_EXHAUSTED, ${stats.divergences.length} divergences, ${((performance.now() - t0) / 1000).toFixed(0)} s (generate ${(stats.msGenerate / 1000).toFixed(0)} s, check ${(stats.msCheck / 1000).toFixed(0)} s)`);
  process.exit(stats.divergences.length ? 1 : 0);
}
