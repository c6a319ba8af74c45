// Every third-party component in ../shared/components (jco's own test components: Rust +
// wit-bindgen, WASI, resources both ways, nested components) through our runtime — our glue and
// jco's glue, limits on — against plain `jco transpile` instantiated directly: the same seeded
// values derived from each export's WIT, the same fake host imports (recorded), and identical
// results, errors, host calls and stdout. Every component must load on our own glue (no refusals).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { inspect, isDeepStrictEqual } from 'node:util';
import { createRuntime } from '../../dist/index.js';
import { ComponentSignatures } from '../../dist/invoke/signatures.js';
import { wasiImports } from '../../dist/wasi/policy.js';
import { InstanceScope } from '../../dist/host/scope.js';
import { sharedDir } from '../helpers.mjs';
import { rng } from './fuzz.mjs';
import { kindOf, withoutPromisingProbes } from './harness.mjs';

const dir = join(sharedDir, 'components');
const ROUNDS = 6;
const WASI = { deterministic: true, env: { GREETING: 'hi' }, args: ['component', '--x'] };
const LIMITS = { fuel: 5e9, memoryBytes: 256 << 20, timeoutMs: 60_000 };
const DISPOSE = Symbol.dispose ?? Symbol.for('dispose');
const tmp = mkdtempSync(join(tmpdir(), 'sfirt-shared-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// ---- values from resolved WIT types (lib/component/wit/types.ts) ----

const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
const STRINGS = ['', 'a', 'hello', 'wörld', '🌍 emoji', 'x'.repeat(40), 'ünïcødé ✓', 'two\nlines'];
/** jco: an option is nullable unless its payload is (then tagged): nested options alternate. */
const nullable = (t) => t.kind === 'option' && !nullable(t.some);
const lower = (n) => n.replace(/^%/, '').split('-').map((p, i) => (i ? p[0].toUpperCase() + p.slice(1).toLowerCase() : p.toLowerCase())).join('');

/** A random value of `t`; `handle(t)` supplies own/borrow arguments (or undefined: skip the call). */
function value(r, t, handle) {
  switch (t.kind) {
    case 'primitive': switch (t.name) {
      case 'bool': return r() < 0.5;
      case 'u8': return int(r, 0, 255);
      case 's8': return int(r, -128, 127);
      case 'u16': return int(r, 0, 65535);
      case 's16': return int(r, -32768, 32767);
      // Small magnitudes: several guests loop or allocate in proportion to their integer arguments.
      case 'u32': return int(r, 0, 24);
      case 's32': return int(r, -24, 24);
      case 'u64': return BigInt(int(r, 0, 30));
      case 's64': return BigInt(int(r, -1e9, 1e9));
      case 'f32': return Math.fround(r() * 100 - 50);
      case 'f64': return r() * 1e6 - 5e5;
      case 'char': return String.fromCodePoint(r() < 0.5 ? int(r, 0x20, 0x7e) : int(r, 0x1f300, 0x1f64f));
      case 'string': return STRINGS[int(r, 0, STRINGS.length - 1)];
      default: throw new Error(`no value for ${t.name}`);
    }
    case 'list': {
      const n = t.length ?? int(r, 0, 12);
      const items = Array.from({ length: n }, () => value(r, t.element, handle));
      return t.element.kind === 'primitive' && t.element.name === 'u8' ? Uint8Array.from(items) : items;
    }
    case 'record': return Object.fromEntries(t.fields.map((f) => [lower(f.name), value(r, f.type, handle)]));
    case 'tuple': return t.elements.map((x) => value(r, x, handle));
    case 'enum': return t.cases[int(r, 0, t.cases.length - 1)];
    case 'flags': return Object.fromEntries(t.flags.map((n) => [lower(n), r() < 0.5]));
    case 'variant': { const c = t.cases[int(r, 0, t.cases.length - 1)]; return c.type ? { tag: c.name, val: value(r, c.type, handle) } : { tag: c.name }; }
    case 'option':
      if (nullable(t.some)) return r() < 0.3 ? { tag: 'none' } : { tag: 'some', val: value(r, t.some, handle) };
      return r() < 0.3 ? undefined : value(r, t.some, handle);
    case 'result': return r() < 0.5 ? { tag: 'ok', val: t.ok && value(r, t.ok, handle) } : { tag: 'err', val: t.err && value(r, t.err, handle) };
    case 'own': case 'borrow': return handle(t);
    default: throw new Error(`no value for ${t.kind}`);
  }
}

// ---- fake host imports, the same for every implementation ----

/**
 * Recording fakes of a component's non-WASI imports: functions return seeded random values of
 * their result type; imported resources are classes whose methods do the same.
 */
function fakeHost(signatures, log) {
  const r = rng(0xfeed);
  const imports = {};
  let ids = 0;
  const classes = new Map();
  const hostObject = (t) => {
    const C = classes.get(`${t.resource.origin.scope}#${t.resource.origin.name}`);
    return C ? new C('made by the host') : undefined;
  };
  const answer = (f) => (f.result ? value(r, f.result, hostObject) : undefined);
  const describe = (x) => describeValue(x);
  for (const iface of signatures.imports) {
    if (iface.id.startsWith('wasi:')) continue;
    const obj = imports[iface.jsKey] = {};
    for (const res of iface.resources) {
      const key = `${iface.id}#${res}`;
      const C = class {
        constructor(...args) { this.id = ++ids; log.push(['new', key, this.id, args.map(describe)]); }
        [DISPOSE]() { log.push(['dispose', key, this.id]); }
      };
      Object.defineProperty(C, 'name', { value: res.split('-').map((p) => p[0].toUpperCase() + p.slice(1)).join('') });
      classes.set(key, C);
      obj[C.name] = C;
    }
    for (const f of iface.functions) {
      if (iface.isFunction) { obj.default = (...args) => { log.push([f.qualifiedName, args.map(describe)]); return answer(f); }; continue; }
      if (f.kind === 'freestanding') obj[f.jsName] = (...args) => { log.push([f.qualifiedName, args.map(describe)]); return answer(f); };
      else {
        const C = obj[f.resourceJsName];
        if (f.kind === 'static') C[f.jsName] = (...args) => { log.push([f.qualifiedName, args.map(describe)]); return answer(f); };
        if (f.kind === 'method') C.prototype[f.jsName] = function (...args) { log.push([f.qualifiedName, this.id, args.map(describe)]); return answer(f); };
      }
    }
  }
  return { imports, classes };
}

/** A comparable description of a value crossing the boundary (host objects by id). */
function describeValue(x) {
  if (x && typeof x === 'object' && 'id' in x && typeof x.id === 'number' && !Array.isArray(x)) return { host: x.id };
  if (ArrayBuffer.isView(x)) return Array.from(x);
  if (Array.isArray(x)) return x.map(describeValue);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, describeValue(v)]));
  return x;
}

// ---- the implementations ----

async function plainJco(jco, bytes, name, makeImports) {
  const out = await jco.transpile(bytes, { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true });
  const file = join(tmp, `${name}.mjs`);
  writeFileSync(file, withoutPromisingProbes(new TextDecoder().decode(out.files['component.js'])));
  const modules = new Map();
  for (const [f, content] of Object.entries(out.files)) if (f.endsWith('.wasm')) modules.set(f, new WebAssembly.Module(content));
  const { instantiate } = await import(pathToFileURL(file).href);
  let exports;
  const fresh = () => { exports = instantiate((n) => modules.get(n), makeImports()); };
  fresh();
  return {
    name: 'plain',
    reset: fresh,
    call(f, args) {
      const holder = f.interfaceId === undefined ? exports : exports[f.interfaceId.includes(':') ? f.interfaceId : f.interfaceJsName];
      switch (f.kind) {
        case 'constructor': return new holder[f.resourceJsName](...args);
        case 'static': return holder[f.resourceJsName][f.jsName](...args);
        case 'method': return args[0][f.jsName](...args.slice(1));
        default: return holder[f.jsName](...args);
      }
    },
  };
}

test.before(async (ctx) => {
  ctx.jco = await import('@bytecodealliance/jco');
  ctx.cacheDir = mkdtempSync(join(tmpdir(), 'sfirt-shared-cache-'));
  ctx.rt = createRuntime({ cacheDir: ctx.cacheDir });
});
test.after((ctx) => { ctx.rt.close(); rmSync(ctx.cacheDir, { recursive: true, force: true }); });

const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.wasm')).sort() : [];
if (files.length === 0) {
  test.skip(`../shared/components (${dir}) is absent: third-party components not run`);
}
const report = [];

for (const file of files) {
  test(`${file}: our runtime (both glues) answers as plain jco`, async (ctx) => {
    const bytes = readFileSync(join(dir, file));
    const name = file.replace(/\.component\.wasm$|\.wasm$/, '');
    // One log + stdout per implementation; identical sequences required.
    const impls = [];
    const plainLog = [];
    const plainOut = [];
    const capture = { write: (fd, b) => plainOut.push([fd, Buffer.from(b).toString()]) };
    const signatures = new ComponentSignatures(await ctx.jco.componentWit(bytes), bytes);
    for (const glue of ['fast', 'jco']) {
      const log = [];
      const host = fakeHost(signatures, log);
      // `reuse`: one instance serves every call, as plain jco's does (state carries from call to call).
      const fn = await ctx.rt.load(`${name}-${glue}`, bytes, { glue: glue === 'fast' ? 'auto' : 'jco', imports: host.imports, limits: LIMITS, wasi: WASI, pool: { mode: 'reuse', max: 1 } });
      if (glue === 'fast') assert.is(fn.glue.kind, 'fast', `${file} falls back to jco's glue: ${fn.glue.fallbackReason}`);
      impls.push({
        name: glue, log, fn, host,
        reset() {},
        async call(f, args) {
          const inv = await fn.invoke(f.qualifiedName, args);
          this.stdout.push(...[[1, Buffer.from(inv.stdout).toString()], [2, Buffer.from(inv.stderr).toString()]].filter(([, s]) => s));
          return inv.value;
        },
        stdout: [],
      });
    }
    const plainHost = fakeHost(signatures, plainLog);
    const plain = await plainJco(ctx.jco, bytes, name, () => ({ ...wasiImports(WASI, capture, () => {})(new InstanceScope()), ...plainHost.imports }));
    impls.unshift({ ...plain, log: plainLog, host: plainHost, stdout: plainOut, async call(f, args) {
      const returnsResult = f.result?.kind === 'result';
      try {
        const v = plain.call(f, args);
        return returnsResult ? { tag: 'ok', val: v } : v;
      } catch (err) {
        if (returnsResult && err && Object.prototype.hasOwnProperty.call(err, 'payload')) return { tag: 'err', val: err.payload };
        throw err;
      }
    } });
    const exportedIds = new Set(signatures.exports.flatMap((f) => (f.interfaceId ? [f.interfaceId] : [])));
    const guestResource = (f, t) => f.interfaceId !== undefined && exportedIds.has(t.resource.origin.scope);
    // Handles of resources the component defines, per implementation, in creation order.
    const handles = impls.map(() => new Map());
    const r = rng(0x5eed ^ bytes.length);
    let calls = 0;
    let skipped = 0;
    const fnsToCall = signatures.exports.filter((f) => !/spin|forever/.test(f.witName));
    for (let round = 0; round < ROUNDS; round++) {
      for (const f of fnsToCall) {
        // Without parameters (test-imports, getters) two rounds say it all; the rest get every round.
        if (round > 1 && f.params.length === 0 && f.kind !== 'method') continue;
        // Arguments from one random stream; handles by the same index in each implementation.
        const picks = [];
        let missing = false;
        // A live handle not passed yet in this call (passing one twice, once as own, is a caller error).
        const livePick = (key) => {
          const list = handles[0].get(key) ?? [];
          const live = list.map((h, i) => i).filter((i) => list[i] !== null && !picks.some((p) => p[0] === key && p[1] === i));
          return live.length ? live[int(r, 0, live.length - 1)] : undefined;
        };
        const handleArg = (t) => {
          if (!guestResource(f, t)) return { $host: t };
          const key = `${t.resource.origin.scope}#${t.resource.origin.name}`;
          const i = livePick(key);
          if (i === undefined) { missing = true; return undefined; }
          picks.push([key, i, t.kind]);
          return { $guest: key, i };
        };
        const template = f.params.map((p) => value(r, p.type, handleArg));
        let selfPick;
        if (f.kind === 'method' && !missing) {
          const key = `${f.interfaceId}#${f.resource}`;
          const i = livePick(key);
          if (i === undefined) missing = true; else { selfPick = [key, i]; picks.push([key, i, 'borrow']); }
        }
        if (missing) { skipped++; continue; }
        const outcomes = [];
        const outputBefore = impls.map((impl) => impl.stdout.length);
        for (let k = 0; k < impls.length; k++) {
          const impl = impls[k];
          const args = template.map((v) => materialize(v, handles[k], impl.host));
          if (selfPick) args.unshift(handles[k].get(selfPick[0])[selfPick[1]]);
          let o;
          try {
            o = { ok: await impl.call(f, args) };
          } catch (err) {
            o = { threw: kindOf(err) };
          }
          outcomes.push(o);
        }
        calls++;
        // A failed call's output is not returned by the runtime (its error is): compare only answers' output.
        if (outcomes.some((o) => 'threw' in o)) impls.forEach((impl, k) => { impl.stdout.length = outputBefore[k]; });
        // Owned handles passed in are gone; handles returned join the pool, in order.
        for (const [key, i, kind] of picks) if (kind === 'own') for (const h of handles) h.get(key)?.splice(i, 1, null);
        const resultType = f.result ?? (f.kind === 'constructor' ? { kind: 'own', resource: { kind: 'resource', origin: { scope: f.interfaceId, name: f.resource } } } : undefined);
        const normalized = outcomes.map((o, k) => ('ok' in o ? { ok: resultType ? normalize(resultType, o.ok, handles[k], impls[k].host, (t) => guestResource(f, t)) : o.ok } : o));
        const where = `${file} ${f.qualifiedName}(${inspect(template, { depth: 4, breakLength: Infinity, maxArrayLength: 6 })})`;
        for (let k = 1; k < impls.length; k++) {
          assert.ok(isDeepStrictEqual(normalized[k], normalized[0]), `${where}: ${impls[k].name} ${inspect(normalized[k], { depth: 6 })} vs plain ${inspect(normalized[0], { depth: 6 })}`);
          // Host objects are compared by the calls made on them; when an instance is discarded ours
          // dispose of what its guest still held (README, Pools), which plain jco never does.
          const calls = (log) => log.filter((e) => e[0] !== 'dispose');
          assert.ok(isDeepStrictEqual(calls(impls[k].log), calls(impls[0].log)), `${where}: host calls differ: ${impls[k].name} ${inspect(impls[k].log.slice(-4), { depth: 6 })} vs plain ${inspect(impls[0].log.slice(-4), { depth: 6 })}`);
          assert.ok(isDeepStrictEqual(impls[k].stdout, impls[0].stdout), `${where}: output differs: ${inspect(impls[k].stdout)} vs plain ${inspect(impls[0].stdout)}`);
        }
        if (normalized[0].threw) {
          // The failing instance is gone (ours discard it; a trapped jco instance cannot be
          // entered): start every implementation afresh, handles included.
          impls[0].reset();
          for (const h of handles) h.clear();
        }
      }
    }
    for (const impl of impls) impl.fn?.close();
    report.push(`  ${file}: ${calls} calls × 3 implementations (${skipped} skipped: no handle yet), ${signatures.exports.length} exports`);
    assert.ok(calls > 0 || signatures.exports.length === 0);
  });
}

/** Replaces `{ $guest, i }` by that implementation's handle and `{ $host }` by a host object. */
function materialize(v, handles, host) {
  if (v && typeof v === 'object' && '$guest' in v) return handles.get(v.$guest)[v.i];
  if (v && typeof v === 'object' && '$host' in v) {
    const C = host.classes.get(`${v.$host.resource.origin.scope}#${v.$host.resource.origin.name}`);
    return C ? new C('made by the caller') : {};
  }
  if (ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map((x) => materialize(x, handles, host));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialize(x, handles, host)]));
  return v;
}

/** Handles in a result become `{ handle: index }` (joining the pool); host objects `{ host: id }`. */
function normalize(t, v, handles, host, isGuest) {
  switch (t.kind) {
    case 'own': case 'borrow': {
      if (!isGuest(t)) return { host: v?.id ?? 'foreign' };
      const key = `${t.resource.origin.scope}#${t.resource.origin.name}`;
      const list = handles.get(key) ?? handles.set(key, []).get(key);
      list.push(v);
      return { handle: `${key}#${list.length - 1}` };
    }
    case 'list': return ArrayBuffer.isView(v) ? v : v.map((x) => normalize(t.element, x, handles, host, isGuest));
    case 'record': return Object.fromEntries(t.fields.map((f) => [lower(f.name), normalize(f.type, v[lower(f.name)], handles, host, isGuest)]));
    case 'tuple': return t.elements.map((x, i) => normalize(x, v[i], handles, host, isGuest));
    case 'option':
      if (nullable(t.some)) return v.tag === 'some' ? { tag: 'some', val: normalize(t.some, v.val, handles, host, isGuest) } : v;
      return v === undefined || v === null ? v : normalize(t.some, v, handles, host, isGuest);
    case 'result': {
      const c = v.tag === 'ok' ? t.ok : t.err;
      return c ? { tag: v.tag, val: normalize(c, v.val, handles, host, isGuest) } : v;
    }
    case 'variant': {
      const c = t.cases.find((x) => x.name === v.tag);
      return c?.type ? { tag: v.tag, val: normalize(c.type, v.val, handles, host, isGuest) } : v;
    }
    default: return v;
  }
}

test.after(() => console.log(['shared components, our runtime vs plain jco:', ...report].join('\n')));
test.run();
