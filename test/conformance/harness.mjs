// Runs fuzz components through three implementations and compares them call by call:
//   plain  jco transpile, as emitted, instantiated directly (the reference, where jco can transpile)
//   fast   our runtime, our own glue, limits on
//   jco    our runtime, jco's glue (patched), limits on
// Each check also has an expected answer of its own (the reference serialization of the value),
// so even a component jco cannot transpile (latin1+utf16 strings) is checked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect, isDeepStrictEqual } from 'node:util';
import { API, buildComponent, functionsOf } from './component.mjs';
import { GLUE_STATE, withGlueState } from '../../dist/component/glue-state.js';
import { taggedOption, variantCases, witType } from './types.mjs';
import { camel, canonicalBytes, caseOf, corruptSerialization, serialize } from './values.mjs';

const LIMITS = { fuel: 2e9, memoryBytes: 64 << 20, timeoutMs: 60_000 };
const PAD_VALUE = Array.from({ length: 16 }, (_, i) => BigInt(i));
const DISPOSE = Symbol.dispose ?? Symbol.for('dispose');

/** The temporary directory plain jco's glue files are written to. */
const glueDir = mkdtempSync(join(tmpdir(), 'sfirt-fuzz-glue-'));
process.on('exit', () => rmSync(glueDir, { recursive: true, force: true }));
let glueCount = 0;

// ---- host side, the same for every implementation ----

/** Host imports of `fuzz:c/host`: echo, serialize, make; `HostThing` for `host-thing`. */
function makeHost(types, encoding) {
  const log = [];
  const queue = {};
  class HostThing {
    constructor(v) { this.v = v; }
    get() { return this.v; }
    [DISPOSE]() { log.push(['dispose', this.v]); }
  }
  const placeholders = (t, v) => mapHandles(t, v, (x) => (x instanceof HostThing ? { $host: x.v } : { $host: 'foreign' }));
  const fns = { HostThing };
  types.forEach((t, i) => {
    const f = functionsOf(t);
    if (f.echo) {
      // A host returns a result's value as the result itself, unless its ok type is a result too
      // (jco's rule): then the ok payload is returned and an err thrown.
      // A value tagged as its case can be returned as the result itself unless the ok type may
      // carry that tag (then jco reads it as the ok payload): then return the ok payload / throw.
      const ambiguous = t.k === 'result' ? okTags(peelOptions(t.ok)) : new Set();
      fns[camel(`echo-${i}`)] = (x) => {
        log.push([`echo-${i}`, serialize(t, placeholders(t, x), encoding, true)]);
        if (t.k !== 'result' || !ambiguous.has(x.tag)) return x;
        if (x.tag === 'ok') return x.val;
        throw { payload: x.val };
      };
    }
    if (f.hostDump) {
      fns[camel(`dump-${i}`)] = (x) => serialize(t, placeholders(t, x), encoding, true);
      fns[camel(`dump-list-${i}`)] = (xs) => serialize({ k: 'list', elem: t }, placeholders({ k: 'list', elem: t }, xs), encoding, true);
    }
    if (f.hostMake) fns[camel(`make-${i}`)] = () => materializeHost(t, queue[i], HostThing);
  });
  const all = types.map((t, i) => i).filter((i) => functionsOf(types[i]).hostDump);
  if (all.length) {
    const tuple = { k: 'tuple', ts: all.map((i) => types[i]) };
    fns.dumpAll = (...xs) => serialize(tuple, placeholders(tuple, xs), encoding, true);
  }
  return { imports: { 'fuzz:c/host': fns }, log, queue, HostThing };
}

/** jco's rule: the tags among ok/err a value of this (ok) type may carry itself (bindings.ts). */
function okTags(t) {
  switch (t?.k) {
    case 'result': return new Set(['ok', 'err']);
    case 'variant': return new Set(t.cases.map((c) => c.name).filter((n) => n === 'ok' || n === 'err'));
    case 'record': return new Set(t.fields.some((f) => camel(f.name) === 'tag') ? ['ok', 'err'] : []);
    case 'flags': return new Set(t.flags.some((f) => camel(f) === 'tag') ? ['ok', 'err'] : []);
    default: return new Set();
  }
}

function peelOptions(t) {
  while (t?.k === 'option') t = t.t;
  return t;
}

/** `v` with every handle replaced by `f(handle, type)` (new containers). */
export function mapHandles(t, v, f) {
  switch (t.k) {
    case 'own': case 'borrow': return f(v, t);
    case 'list': { const items = Array.from(v); return hasHandles(t.elem) ? items.map((x) => mapHandles(t.elem, x, f)) : v; }
    case 'record': return hasHandles(t) ? Object.fromEntries(t.fields.map((x) => [camel(x.name), mapHandles(x.t, v[camel(x.name)], f)])) : v;
    case 'tuple': return hasHandles(t) ? t.ts.map((x, i) => mapHandles(x, v[i], f)) : v;
    case 'enum': case 'variant': case 'option': case 'result': {
      if (!hasHandles(t)) return v;
      const [i, payload] = caseOf(t, v);
      const c = variantCases(t)[i];
      if (!c) return v;
      const mapped = mapHandles(c, payload, f);
      if (t.k === 'option' && !taggedOption(t)) return mapped;
      return { ...v, val: mapped };
    }
    default: return v;
  }
}

function hasHandles(t) {
  if (t.hasHandles !== undefined) return t.hasHandles;
  let out;
  switch (t.k) {
    case 'own': case 'borrow': out = true; break;
    case 'list': out = hasHandles(t.elem); break;
    case 'option': out = hasHandles(t.t); break;
    case 'record': out = t.fields.some((x) => hasHandles(x.t)); break;
    case 'tuple': out = t.ts.some(hasHandles); break;
    case 'variant': out = t.cases.some((c) => c.t && hasHandles(c.t)); break;
    case 'result': out = (t.ok && hasHandles(t.ok)) || (t.err && hasHandles(t.err)) || false; break;
    default: out = false;
  }
  Object.defineProperty(t, 'hasHandles', { value: out, enumerable: false });
  return out;
}

function materializeHost(t, v, HostThing) {
  return mapHandles({ k: 'list', elem: t }, v, (x) => new HostThing(x.$host));
}

// ---- implementations ----

/**
 * jco's glue as emitted, but for its `WebAssembly.promising` probes, resolved to the branch they
 * take on Node 20 (no JSPI: the probe throws, the catch assigns the plain function): the same code
 * runs, without V8 re-parsing the huge enclosing function for each probe's TypeError (up to ~0.5 s
 * per instantiation of a large glue, and plain jco is re-instantiated after every trap).
 */
export function withoutPromisingProbes(glue) {
  if (typeof WebAssembly.promising === 'function') return glue;
  return glue.replace(/try \{\s*(\w+) = WebAssembly\.promising\(([^;]+?)\);\s*\} catch\s*\(err\) \{\s*\1 = \2;\s*\}/g, '$1 = $2;');
}

/** Plain jco: transpile as emitted, instantiate directly. */
async function plainJco(jco, bytes, types, encoding) {
  const out = await jco.transpile(bytes, { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true });
  const file = join(glueDir, `g${glueCount++}.mjs`);
  // With the runtime's GlueState hook (lib/component/glue-state.ts), used only to release what an
  // instance holds when it is discarded, as the runtime does.
  writeFileSync(file, withGlueState(withoutPromisingProbes(new TextDecoder().decode(out.files['component.js']))).source);
  const modules = new Map();
  for (const [f, content] of Object.entries(out.files)) if (f.endsWith('.wasm')) modules.set(f, new WebAssembly.Module(content));
  const { instantiate } = await import(pathToFileURL(file).href);
  const host = makeHost(types, encoding);
  let api;
  let state;
  const fresh = () => {
    const exports = instantiate((n) => modules.get(n), host.imports);
    api = exports[API];
    state = exports[GLUE_STATE];
  };
  fresh();
  return {
    name: 'plain', host,
    // As the runtime does after any failure: the instance is discarded, the host objects its guest
    // still holds are disposed of, and the next call gets a new instance (a trap also poisons
    // jco's instance: "cannot enter component instance").
    reset: () => { state.releaseAll(); fresh(); },
    async call(name, args, resultType) {
      const f = api[camel(name)];
      try {
        const v = f(...args);
        return { ok: resultType?.k === 'result' ? { tag: 'ok', val: v } : v };
      } catch (err) {
        if (resultType?.k === 'result' && err && Object.prototype.hasOwnProperty.call(err, 'payload')) return { ok: { tag: 'err', val: err.payload } };
        return { threw: kindOf(err) };
      }
    },
    async newThing(v) { return new api.Thing(v); },
    async rep(h) { return h.get(); },
    async drop(h) { try { h[DISPOSE]?.(); } catch { /* already gone */ } },
    isThing: (h) => h instanceof api.Thing,
  };
}

/** Our runtime with one glue. */
async function runtimeImpl(rt, bytes, types, encoding, glue, id) {
  const host = makeHost(types, encoding);
  const fn = await rt.load(`fuzz-${id}-${glue}`, bytes, { glue, imports: host.imports, limits: LIMITS, pool: { mode: 'reuse', min: 0 } });
  const { ResourceHandle } = await import('../../dist/index.js');
  return {
    name: glue, host, fn,
    reset() {},
    async call(name, args) {
      try {
        return { ok: (await fn.invoke(`${API}#${name}`, args)).value };
      } catch (err) {
        return { threw: kindOf(err) };
      }
    },
    newThing: (v) => fn.call(`${API}#[constructor]thing`, v),
    rep: (h) => fn.call(`${API}#[method]thing.get`, h),
    async drop(h) { if (h.alive) h.drop(); },
    isThing: (h) => h instanceof ResourceHandle,
  };
}

/** An error's kind: `trap` for wasm traps, else its class (a typed error: its cause's). */
export function kindOf(err) {
  let e = err;
  if (e?.code === 'TRAP' && e.cause) e = e.cause;
  else if (e?.code && e.code !== 'TRAP') return e.code;
  if (e instanceof WebAssembly.RuntimeError) return 'trap';
  if (e?.code === 'TRAP') return 'trap';
  return e?.constructor?.name ?? typeof e;
}

// ---- one component under test ----

/**
 * A built fuzz component with its implementations. `check(...)` runs one call on all of them
 * and returns undefined or a divergence description.
 */
export class Subject {
  static async create(env, types, encoding) {
    const { bytes, wit } = await buildComponent(env.jco, types, encoding);
    const id = env.nextId++;
    const impls = [];
    if (encoding !== 'latin1+utf16') impls.push(await plainJco(env.jco, bytes, types, encoding));
    impls.push(await runtimeImpl(env.rt, bytes, types, encoding, 'fast', id));
    if (encoding !== 'latin1+utf16') impls.push(await runtimeImpl(env.rt, bytes, types, encoding, 'jco', id));
    for (const i of impls) if (i.fn && i.name === 'fast' && i.fn.glue.kind !== 'fast') throw new Error(`the fast glue refused a fuzz component: ${i.fn.glue.fallbackReason}`);
    return new Subject(types, encoding, impls, wit, bytes);
  }

  constructor(types, encoding, impls, wit, bytes) {
    Object.assign(this, { types, encoding, impls, wit, bytes });
  }

  close() { for (const i of this.impls) i.fn?.close(); }

  /**
   * Runs `kind` (echo, dump, make, make-corrupt, host-dump, host-dump-list, host-make, dump-all,
   * host-dump-all) of type `i` with template value `v` on every implementation.
   */
  async check(kind, i, v, r) {
    const t = this.types[i];
    const enc = this.encoding;
    const L = { k: 'list', elem: t };
    const canon = (tt, x) => serialize(tt, x, enc, true);
    let name; let argTypes; let args; let resultType; let expected;
    switch (kind) {
      case 'echo': name = `echo-${i}`; argTypes = [t]; args = [v]; resultType = t; expected = canon(t, v); break;
      case 'dump': name = `dump-${i}`; argTypes = [L]; args = [v]; expected = canon(L, v); break;
      case 'make': case 'make-corrupt': {
        name = `make-${i}`; argTypes = [{ k: 'list', elem: { k: 'u8' } }];
        const bytes = kind === 'make' ? serialize(L, v, enc) : corruptSerialization(r, L, v, enc);
        args = [bytes]; resultType = L;
        expected = kind === 'make' ? canonicalBytes(L, bytes, enc) : undefined;
        break;
      }
      case 'host-dump': name = `host-dump-${i}`; argTypes = [t]; args = [v]; expected = canon(t, v); break;
      case 'host-dump-list': name = `host-dump-list-${i}`; argTypes = [L]; args = [v]; expected = canon(L, v); break;
      case 'host-make': name = `host-make-${i}`; argTypes = []; args = []; expected = canon(L, v); break;
      case 'dump-all': {
        const tuple = { k: 'tuple', ts: this.types };
        name = 'dump-all'; argTypes = [...this.types, { k: 'tuple', ts: PAD_VALUE.map(() => ({ k: 'u64' })) }]; args = [...v, PAD_VALUE]; expected = canon(tuple, v);
        break;
      }
      case 'host-dump-all': {
        const idx = this.types.map((_, k) => k).filter((k) => functionsOf(this.types[k]).hostDump);
        const tuple = { k: 'tuple', ts: idx.map((k) => this.types[k]) };
        name = 'host-dump-all'; argTypes = tuple.ts; args = v; expected = canon(tuple, v);
        break;
      }
      default: throw new Error(kind);
    }
    const outcomes = [];
    for (const impl of this.impls) {
      if (kind === 'host-make') impl.host.queue[i] = v;
      const made = [];
      const real = [];
      for (let a = 0; a < args.length; a++) real.push(await materialize(impl, argTypes[a], args[a], made));
      const out = await impl.call(name, real, resultType);
      // Borrowed handles stay with the caller: drop them (moved ones are already gone).
      for (const h of made) await impl.drop(h);
      let o;
      if ('ok' in out) {
        const value = resultType ? await normalize(impl, resultType, out.ok) : out.ok;
        o = { ok: value };
      } else {
        o = out;
        impl.reset(out.threw);
      }
      outcomes.push(o);
    }
    const first = outcomes[0];
    const describe = () => ({ kind, type: witType(t), value: v, outcomes: Object.fromEntries(this.impls.map((x, k) => [x.name, outcomes[k]])) });
    for (let k = 1; k < outcomes.length; k++) {
      if (!isDeepStrictEqual(outcomes[k], first)) return { ...describe(), why: `${this.impls[k].name} differs from ${this.impls[0].name}` };
    }
    // After a failed call the instance is discarded and the host objects its guest held are
    // disposed of; jco's glue does not know an object a failed lowering had already taken (ours
    // does), so disposals are compared only for calls that succeeded.
    const failed = 'threw' in first;
    const calls = (log) => (failed ? log.filter((e) => e[0] !== 'dispose') : log);
    for (let k = 0; k < this.impls.length; k++) {
      const host = calls(this.impls[k].host.log);
      if (!isDeepStrictEqual(host, calls(this.impls[0].host.log))) return { ...describe(), why: `host calls differ: ${this.impls[k].name} vs ${this.impls[0].name}`, hostCalls: { [this.impls[0].name]: this.impls[0].host.log.slice(-6), [this.impls[k].name]: host.slice(-6) } };
    }
    for (const impl of this.impls) impl.host.log.length = 0;
    if (expected !== undefined) {
      if (!('ok' in first)) return { ...describe(), why: 'every implementation failed a valid call' };
      let got;
      try {
        got = resultType ? canon(resultType, first.ok) : bytesOfDump(first.ok, argTypes, kind, t, this.types, enc);
      } catch (err) {
        return { ...describe(), why: `the answer does not parse as the expected type: ${err.message}` };
      }
      if (!equalBytes(got, expected)) return { ...describe(), why: 'answer differs from the reference serialization' };
    }
    return undefined;
  }
}

/** The canonical (NaN-normalised) form of bytes a dump returned, by what they serialize. */
function bytesOfDump(bytes, argTypes, kind, t, types, enc) {
  const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  switch (kind) {
    case 'dump': case 'host-dump-list': case 'host-make': return canonicalBytes({ k: 'list', elem: t }, b, enc);
    case 'host-dump': return canonicalBytes(t, b, enc);
    case 'dump-all': return canonicalBytes({ k: 'tuple', ts: types }, b, enc);
    case 'host-dump-all': return canonicalBytes({ k: 'tuple', ts: argTypes }, b, enc);
  }
  throw new Error(kind);
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Turns a template's placeholders into `impl`'s handles (guest things are collected in `made`). */
async function materialize(impl, t, v, made) {
  const pending = [];
  const mapped = mapHandles(t, v, (x, ht) => {
    if (x.$host !== undefined) return new impl.host.HostThing(x.$host);
    const slot = { h: undefined };
    pending.push([slot, x.$thing, ht.k]);
    return slot;
  });
  if (!pending.length) return mapped;
  for (const p of pending) {
    p[0].h = await impl.newThing(p[1]);
    if (p[2] === 'borrow') made.push(p[0].h);
  }
  const slots = new Set(pending.map((p) => p[0]));
  return mapHandles(t, mapped, (x) => (slots.has(x) ? x.h : x));
}

/** A result with `impl`'s handles turned back into placeholders (guest things read, then dropped). */
async function normalize(impl, t, v) {
  const handles = [];
  const mapped = mapHandles(t, v, (h, ht) => {
    if (ht.res === 'host-thing') return { $host: h instanceof impl.host.HostThing ? h.v : 'foreign' };
    const slot = { h };
    handles.push(slot);
    return slot;
  });
  // Every rep first, then the drops: plain jco's glue drops the wrong handle when several owned
  // handles come out of one list (its dispose closures share the loop's `var`s); what a call
  // returned is compared, not that.
  for (const slot of handles) {
    try {
      slot.rep = impl.isThing(slot.h) ? await impl.rep(slot.h) : 'foreign';
    } catch (err) {
      slot.rep = `unusable (${kindOf(err)})`;
    }
  }
  for (const slot of handles) {
    try { await impl.drop(slot.h); } catch { /* see above */ }
  }
  return handles.length ? mapHandles(t, mapped, (slot) => (slot.h !== undefined ? { $thing: slot.rep } : slot)) : mapped;
}

/** Short text of a divergence. */
export function formatDivergence(d) {
  return `${d.why}\n  call: ${d.kind} of ${d.type}\n  value: ${inspect(d.value, { depth: 8, breakLength: 120, maxArrayLength: 20 })}\n  outcomes: ${inspect(d.outcomes, { depth: 8, breakLength: 120, maxArrayLength: 20 })}${d.hostCalls ? `\n  last host calls: ${inspect(d.hostCalls, { depth: 8, breakLength: 120, maxArrayLength: 20 })}` : ''}`;
}

