#!/usr/bin/env node
// The differential fuzzer: random WIT function types → fuzz components (component.mjs) → the same
// seeded random values through plain jco, our runtime with our glue and with jco's glue (limits on)
// → identical answers, identical host calls, and answers equal to the reference serialization
// (harness.mjs). A divergence is shrunk to a minimal WIT + value before it is reported.
//
//   node test/conformance/fuzz.mjs [calls=100000] [--seed N]     (npm run fuzz)
// `runFuzz` is what test/conformance/fuzz.test.mjs runs (the quick run of `npm test`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionsOf } from './component.mjs';
import { formatDivergence, Subject } from './harness.mjs';
import { layout, randomType, taggedOption, walk } from './types.mjs';
import { randomValue } from './values.mjs';

/** xorshift32 in [0, 1). */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

const ENCODINGS = ['utf8', 'utf8', 'utf8', 'utf16', 'latin1+utf16'];
const KINDS = ['echo', 'dump', 'make', 'make-corrupt', 'host-dump', 'host-dump-list', 'host-make'];

/** The checks a type allows. */
function kindsOf(t) {
  const f = functionsOf(t);
  return KINDS.filter((k) => ({ echo: f.echo, dump: f.dump, make: f.make, 'make-corrupt': f.make, 'host-dump': f.hostDump, 'host-dump-list': f.hostDump, 'host-make': f.hostMake })[k]);
}

/** The value a check of `kind` passes: a T, or a list of T. */
function valueFor(r, kind, t, ctx) {
  if (kind === 'echo' || kind === 'host-dump') return randomValue(r, t, ctx);
  return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, t, ctx));
}

const P = (k) => ({ k });
const own = (res) => ({ k: 'own', res });
const borrow = (res) => ({ k: 'borrow', res });

/**
 * Components every run starts with, so that the rare shapes are always covered: results and
 * options nested in themselves, a two-byte discriminant, 32 flags, parameters in memory, variant
 * payloads joined into i64 slots, resources both ways in every position, each string encoding.
 */
function curated() {
  const enum300 = { k: 'enum', name: 'big', cases: Array.from({ length: 300 }, (_, i) => `c${i}`) };
  const wide = { k: 'record', name: 'wide', fields: Array.from({ length: 18 }, (_, i) => ({ name: `f${i}`, t: P(i % 3 ? 'u32' : 'f32') })) };
  const joined = { k: 'variant', name: 'joined', cases: [{ name: 'a', t: P('f32') }, { name: 'b', t: P('u64') }, { name: 'c', t: P('f64') }, { name: 'd', t: P('s8') }, { name: 'none' }, { name: 'ok', t: P('string') }] };
  const tagged = { k: 'variant', name: 'tagged', cases: [{ name: 'ok', t: P('u8') }, { name: 'err', t: P('string') }] };
  return [
    ['utf8', [
      { k: 'result', ok: { k: 'result', err: P('string') }, err: P('string') },
      { k: 'option', t: { k: 'option', t: P('string') } },
      enum300,
      { k: 'flags', name: 'thirty-two', flags: Array.from({ length: 32 }, (_, i) => `b${i}`) },
      wide,
      joined,
    ]],
    ['utf8', [
      { k: 'result', ok: tagged, err: P('u32') },
      { k: 'option', t: { k: 'result', ok: { k: 'option', t: { k: 'result' } } } },
      { k: 'tuple', ts: [P('char'), P('s64'), P('f32'), P('bool'), P('s16')] },
      { k: 'list', elem: { k: 'list', elem: P('string') } },
      { k: 'option', t: { k: 'option', t: { k: 'option', t: { k: 'result', err: P('string') } } } },
      // Host results whose ok value may itself carry an `ok`/`err` tag (jco's per-tag rule).
      { k: 'result', ok: { k: 'variant', name: 'only-err', cases: [{ name: 'err', t: P('string') }] }, err: { k: 'option', t: { k: 'result', ok: P('bool'), err: P('string') } } },
      { k: 'result', ok: { k: 'variant', name: 'only-ok', cases: [{ name: 'ok', t: P('u32') }, { name: 'b' }] }, err: P('string') },
      { k: 'result', ok: { k: 'record', name: 'has-tag', fields: [{ name: 'tag', t: P('u8') }, { name: 'x', t: P('string') }] }, err: P('u8') },
      { k: 'option', t: { k: 'option', t: { k: 'option', t: { k: 'option', t: P('u8') } } } },
    ]],
    ['utf16', [
      own('thing'), borrow('thing'), { k: 'list', elem: own('host-thing') }, { k: 'option', t: borrow('host-thing') },
      { k: 'record', name: 'pair', fields: [{ name: 'a', t: own('thing') }, { name: 'b', t: borrow('thing') }, { name: 'c', t: P('string') }] },
      { k: 'result', ok: own('host-thing'), err: { k: 'list', elem: own('thing') } },
    ]],
    ['latin1+utf16', [
      P('string'), { k: 'list', elem: P('string') }, { k: 'record', name: 'named', fields: [{ name: 'first', t: P('string') }, { name: 'n', t: P('u8') }] },
      { k: 'variant', name: 'text', cases: [{ name: 'short', t: P('char') }, { name: 'long', t: P('string') }] },
    ]],
  ];
}

/** What the run covered: type kinds, layouts and value classes. */
class Coverage {
  constructor() { this.counts = new Map(); }
  add(tag, n = 1) { this.counts.set(tag, (this.counts.get(tag) ?? 0) + n); }
  types(types) {
    for (const t of types) {
      walk(t, (x) => {
        this.add(x.k === 'own' || x.k === 'borrow' ? `${x.k}<${x.res}>` : x.k);
        if (['variant', 'enum', 'option', 'result'].includes(x.k)) this.add(`discriminant ${layout(x).disc} byte${layout(x).disc > 1 ? 's' : ''}`);
        if (x.k === 'flags') this.add(`flags of ${layout(x).size} byte${layout(x).size > 1 ? 's' : ''}`);
        if (x.k === 'option' && x.t.k === 'option') this.add(x.t.t.k === 'option' ? 'option<option<option<_>>> (shapes alternate)' : 'option<option<_>>');
        if (x.k === 'result' && x.ok?.k === 'result') this.add('result<result<_, _>, _>');
      });
      if (layout(t).flat.length > 16) this.add('parameters in memory (> 16 flat values)');
      if (layout(t).flat.length > 1) this.add('results in memory (> 1 flat value)');
    }
  }
  value(v) {
    const seen = (x) => {
      if (typeof x === 'number') {
        if (Number.isNaN(x)) this.add('NaN'); else if (Object.is(x, -0)) this.add('-0'); else if (!Number.isFinite(x)) this.add('±Infinity');
        else if (x === 2 ** 32 - 1 || x === -(2 ** 31) || x === 2 ** 31 - 1 || x === 255 || x === -128 || x === 65535 || x === -32768) this.add('integer at a limit');
      } else if (typeof x === 'bigint') {
        if (x === 2n ** 64n - 1n || x === -(2n ** 63n) || x === 2n ** 63n - 1n) this.add('64-bit integer at a limit');
      } else if (typeof x === 'string') {
        if ([...x].some((c) => c.codePointAt(0) > 0xffff)) this.add('string/char beyond the BMP');
        else if ([...x].some((c) => c.codePointAt(0) > 0xff)) this.add('string/char beyond latin1');
      } else if (ArrayBuffer.isView(x)) {
        this.add('typed array'); for (const y of x) seen(y);
      } else if (x && typeof x === 'object') for (const y of Object.values(x)) seen(y);
    };
    seen(v);
  }
  summary() {
    return [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ×${n}`).join(', ');
  }
}

/**
 * Runs the fuzzer until `calls` checks are done (each: one call on every implementation).
 * Resolves to `{ checks, components, divergences, coverage, ms }`; divergences are shrunk.
 */
export async function runFuzz({ seed = 1, calls = 10_000, log = () => {}, maxDivergences = 3 } = {}) {
  const jco = await import('@bytecodealliance/jco');
  const { createRuntime } = await import('../../dist/index.js');
  const cacheDir = mkdtempSync(join(tmpdir(), 'sfirt-fuzz-cache-'));
  const rt = createRuntime({ cacheDir });
  const env = { jco, rt, nextId: 0 };
  const r = rng(seed);
  const coverage = new Coverage();
  const divergences = [];
  const t0 = performance.now();
  let checks = 0;
  let components = 0;
  let rep = 1;
  const ctx = { rep: () => rep++ };
  try {
    const fixed = curated();
    while (checks < calls && divergences.length < maxDivergences) {
      let encoding;
      let types;
      if (components < fixed.length) [encoding, types] = fixed[components];
      else {
        encoding = ENCODINGS[Math.floor(r() * ENCODINGS.length)];
        const opts = { depth: 1 + Math.floor(r() * 4), resources: ['none', 'none', 'host', 'all'][Math.floor(r() * 4)], borrow: r() < 0.5, named: { n: 0 } };
        types = Array.from({ length: 2 + Math.floor(r() * 4) }, () => randomType(r, opts));
      }
      const subject = await Subject.create(env, types, encoding);
      components++;
      coverage.types(types);
      coverage.add(`strings ${encoding}`);
      const rounds = Math.max(4, Math.min(components <= fixed.length ? 30 : 40, Math.ceil((calls - checks) / (types.length * 6))));
      try {
        outer: for (let round = 0; round < rounds; round++) {
          for (let i = 0; i < types.length; i++) {
            for (const kind of kindsOf(types[i])) {
              // A failed call costs a new instance of each implementation (~ms for jco's glue): corrupt rarely.
              if (kind === 'make-corrupt' && round % 5 !== 4) continue;
              const v = valueFor(r, kind, types[i], ctx);
              coverage.value(v);
              const seedOfCheck = Math.floor(r() * 2 ** 31);
              const d = await subject.check(kind, i, v, rng(seedOfCheck));
              checks++;
              if (d) {
                log(`divergence in component ${components} (${encoding}), shrinking…`);
                divergences.push(await shrink(env, { types: [types[i]], encoding, kind, v, seedOfCheck }, d));
                break outer;
              }
            }
          }
          if (round % 8 === 7) {
            const all = types.map((t) => randomValue(r, t, ctx));
            const d1 = await subject.check('dump-all', 0, all, r);
            checks++;
            coverage.add('parameters in memory (> 16 flat values)');
            if (d1) { divergences.push({ minimal: undefined, divergence: d1, wit: subject.wit }); break; }
            const hostIdx = types.map((_, k) => k).filter((k) => functionsOf(types[k]).hostDump);
            if (hostIdx.length) {
              const d2 = await subject.check('host-dump-all', 0, hostIdx.map((k) => all[k]), r);
              checks++;
              if (d2) { divergences.push({ minimal: undefined, divergence: d2, wit: subject.wit }); break; }
            }
          }
        }
      } finally {
        subject.close();
      }
      if (components % 10 === 0) log(`${components} components, ${checks} checks, ${Math.round(performance.now() - t0)} ms`);
    }
  } finally {
    rt.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return { checks, components, divergences, coverage: coverage.summary(), ms: performance.now() - t0 };
}

// ---- shrinking ----

/** Child (type, value) pairs of a value: fields, elements, payloads. */
function children(t, v) {
  switch (t.k) {
    case 'list': return Array.from(v).map((x) => [t.elem, x]);
    case 'record': return t.fields.map((f) => [f.t, v[Object.keys(v).find((k) => k.toLowerCase() === f.name.replaceAll('-', '').toLowerCase()) ?? f.name]]);
    case 'tuple': return t.ts.map((x, i) => [x, v[i]]);
    case 'option': return taggedOption(t) ? (v?.tag === 'some' ? [[t.t, v.val]] : []) : (v === undefined || v === null ? [] : [[t.t, v]]);
    case 'result': { const c = v.tag === 'ok' ? t.ok : t.err; return c ? [[c, v.val]] : []; }
    case 'variant': { const c = t.cases.find((x) => x.name === v.tag); return c?.t ? [[c.t, v.val]] : []; }
    default: return [];
  }
}

/** Smaller candidates of a failing check: a sub-type with its sub-value, or a smaller value. */
function* candidates(c) {
  const isList = !['echo', 'host-dump'].includes(c.kind);
  const t = c.types[0];
  const values = isList ? Array.from(c.v) : [c.v];
  if (isList && values.length > 1) {
    for (let k = 0; k < values.length; k++) yield { ...c, v: values.filter((_, j) => j !== k) };
  }
  // A sub-type: every value must have the child at the same place.
  const kids = values.map((x) => children(t, x));
  const width = Math.min(...kids.map((k) => k.length));
  for (let j = 0; j < width; j++) {
    const ct = kids[0][j][0];
    if (kids.some((k) => k[j][0] !== ct)) continue;
    const cv = kids.map((k) => k[j][1]);
    yield { ...c, types: [ct], v: isList ? cv : cv[0] };
  }
  if (t.k === 'list') for (const x of values) if (Array.from(x).length > 0) yield { ...c, types: [t.elem], v: isList ? Array.from(x) : Array.from(x)[0] };
}

async function failing(env, c) {
  let subject;
  try {
    subject = await Subject.create(env, c.types, c.encoding);
    return await subject.check(c.kind, 0, c.v, rng(c.seedOfCheck));
  } catch {
    return undefined; // a candidate that does not build is not smaller
  } finally {
    subject?.close();
  }
}

async function shrink(env, start, divergence) {
  let best = start;
  let bestDivergence = (await failing(env, start)) ?? divergence;
  let bestWit = (await Subject.create(env, start.types, start.encoding).then((s) => { s.close(); return s.wit; }, () => undefined));
  for (let attempts = 0; attempts < 80;) {
    let improved = false;
    for (const cand of candidates(best)) {
      if (++attempts > 80) break;
      const d = await failing(env, cand);
      if (d) {
        best = cand;
        bestDivergence = d;
        bestWit = await Subject.create(env, cand.types, cand.encoding).then((s) => { s.close(); return s.wit; });
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return { minimal: best, divergence: bestDivergence, wit: bestWit };
}

/** A report of one (shrunk) divergence. */
export function formatReport(x) {
  return `${formatDivergence(x.divergence)}\n  minimal WIT (${x.minimal?.encoding ?? 'as built'}):\n${(x.wit ?? '').split('\n').map((l) => `    ${l}`).join('\n')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : Number(process.env.SFIRT_FUZZ_SEED ?? 20261202);
  const calls = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--seed') ?? 100_000);
  const res = await runFuzz({ seed, calls, log: (m) => console.error(m) });
  console.log(`conformance fuzz: seed ${seed}, ${res.checks} calls (each on every implementation) over ${res.components} components, ${(res.ms / 1000).toFixed(1)} s, ${res.divergences.length} divergences`);
  console.log(`covered: ${res.coverage}`);
  for (const d of res.divergences) console.log(`\nDIVERGENCE\n${formatReport(d)}`);
  process.exitCode = res.divergences.length ? 1 : 0;
}
