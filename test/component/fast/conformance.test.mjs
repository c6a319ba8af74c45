// Conformance of the fast glue against jco's own glue: for every guest in guests/dist the fast path
// supports, instantiate both ways with recording host imports, call every export with the same
// seeded random arguments (typed from the component's own WIT signatures), and require identical
// results, identical error kinds (trap / ComponentError payload / TypeError ...) and identical
// host-import call sequences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, inspect } from 'node:util';
import { buildFastGlue, planComponent, jcoCoreModuleName } from '../../../dist/component/fast/index.js';
import { camelCase } from '../../../dist/component/fast/types.js';
import { wasiImports } from '../../../dist/wasi/policy.js';
import { deniedHttpImports } from '../../../dist/http/imports.js';
import { InstanceScope } from '../../../dist/host/scope.js';
import { int, jcoInstantiator, outcome, rng } from './helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ROUNDS = 6;
/** Exports that never return (or run for seconds) by design. */
const SKIP_EXPORTS = new Set(['spin', 'spinFor', 'forever']);

// ---- seeded random values per WIT type ----

/** jco: an option is nullable unless its payload is (then `{ tag }`-tagged): nested options alternate. */
const nullable = (t) => t.kind === 'option' && !nullable(t.type);
const STRINGS = ['', 'a', 'hello', 'wörld', '🌍 emoji', 'key-1', 'x'.repeat(40), 'ünïcødé ✓', ' padded ', 'two\nlines\n'];

function randomValue(r, t) {
  switch (t.kind) {
    case 'bool': return r() < 0.5;
    case 'u8': return int(r, 0, 255);
    case 's8': return int(r, -128, 127);
    case 'u16': return int(r, 0, 65535);
    case 's16': return int(r, -32768, 32767);
    // Small magnitudes: several guests loop or allocate proportionally to their integer arguments.
    case 'u32': return int(r, 0, 24);
    case 's32': return int(r, -24, 24);
    case 'u64': return BigInt(int(r, 0, 30));
    case 's64': return BigInt(int(r, -1e9, 1e9));
    case 'f32': return Math.fround(r() * 100 - 50);
    case 'f64': return r() * 1e6 - 5e5;
    case 'char': return String.fromCodePoint(r() < 0.5 ? int(r, 0x20, 0x7e) : int(r, 0x1f300, 0x1f64f));
    case 'string': return STRINGS[int(r, 0, STRINGS.length - 1)];
    case 'list': {
      const n = int(r, 0, 48);
      if (t.elem.kind === 'u8') { const a = new Uint8Array(n); for (let i = 0; i < n; i++) a[i] = int(r, 0, 255); return a; }
      return Array.from({ length: n }, () => randomValue(r, t.elem));
    }
    case 'record': return Object.fromEntries(t.fields.map((f) => [camelCase(f.name), randomValue(r, f.type)]));
    case 'tuple': return t.types.map((x) => randomValue(r, x));
    case 'enum': return t.names[int(r, 0, t.names.length - 1)];
    case 'flags': return Object.fromEntries(t.names.map((n) => [camelCase(n), r() < 0.5]));
    case 'variant': { const c = t.cases[int(r, 0, t.cases.length - 1)]; return c.type ? { tag: c.name, val: randomValue(r, c.type) } : { tag: c.name }; }
    case 'option':
      if (nullable(t.type)) return r() < 0.3 ? { tag: 'none' } : { tag: 'some', val: randomValue(r, t.type) };
      return r() < 0.3 ? undefined : randomValue(r, t.type);
    case 'result': return r() < 0.5 ? { tag: 'ok', val: t.ok && randomValue(r, t.ok) } : { tag: 'err', val: t.err && randomValue(r, t.err) };
    default: throw new Error(`no generator for ${t.kind}`);
  }
}

// ---- host imports that record every call ----
const dispose = Symbol.dispose ?? Symbol.for('dispose');
const f32Bytes = (values) => new Uint8Array(Float32Array.from(values).buffer);

/**
 * A recording fake of the wasi:nn imports (resources as classes, as jco expects): models
 * `digits` (two outputs), `broken` (fails with an error resource), anything else is not found.
 */
function fakeNn(log) {
  let ids = 0;
  class NnError {
    constructor(code, message) { this.id = ++ids; this.errorCode = code; this.message = message; log.push(['new error', this.id, code]); }
    code() { log.push(['error.code', this.id]); return this.errorCode; }
    data() { log.push(['error.data', this.id]); return this.message; }
    [dispose]() { log.push(['drop error', this.id]); }
  }
  const fail = (code, message) => { const e = new Error(message); e.payload = new NnError(code, message); return e; };
  class Tensor {
    constructor(dims, ty, data) { this.id = ++ids; this.dims = [...dims]; this.type = ty; this.bytes = Uint8Array.from(data); log.push(['new tensor', this.id, this.dims, ty, this.bytes.length]); }
    dimensions() { log.push(['tensor.dimensions', this.id]); return Uint32Array.from(this.dims); }
    ty() { log.push(['tensor.ty', this.id]); return this.type; }
    data() { log.push(['tensor.data', this.id]); return this.bytes; }
    [dispose]() { log.push(['drop tensor', this.id]); }
  }
  class GraphExecutionContext {
    constructor(model) { this.id = ++ids; this.model = model; }
    compute(inputs) {
      log.push(['compute', this.id, inputs.map(([n, t]) => [n, t.id, t.dims, t.type, [...t.bytes.subarray(0, 8)]])]);
      if (this.model === 'broken') throw fail('invalid-argument', 'input shape does not match');
      const sum = inputs.reduce((a, [, t]) => a + t.bytes.reduce((x, y) => x + y, 0), 0);
      const logits = Array.from({ length: 10 }, (_, i) => ((sum >> i) % 7) - 3);
      return [['other', new Tensor([1], 'FP32', f32Bytes([99]))], ['logits', new Tensor([1, 10], 'FP32', f32Bytes(logits))]];
    }
    [dispose]() { log.push(['drop context', this.id]); }
  }
  class Graph {
    constructor(model) { this.id = ++ids; this.model = model; }
    initExecutionContext() { log.push(['init context', this.id]); return new GraphExecutionContext(this.model); }
    [dispose]() { log.push(['drop graph', this.id]); }
  }
  return {
    'wasi:nn/errors': { Error: NnError },
    'wasi:nn/tensor': { Tensor },
    'wasi:nn/inference': { GraphExecutionContext },
    'wasi:nn/graph': {
      Graph,
      loadByName(name) {
        log.push(['load-by-name', name]);
        if (name !== 'digits' && name !== 'broken') throw fail('not-found', `no model named ${name}`);
        return new Graph(name);
      },
      load(builders, encoding, target) {
        log.push(['load', builders.map((b) => b.length), encoding, target]);
        if (builders.length !== 1 || builders[0].length < 4) throw fail('invalid-encoding', 'not an ONNX model');
        return new Graph('digits');
      },
    },
  };
}

/**
 * Host implementations for the interfaces a component imports; `log` collects the calls. WASI
 * comes from the runtime's own deterministic WASI imports (stdout/stderr recorded in `log`);
 * other interfaces without a hand-written fake get recording functions returning seeded values.
 */
function makeHost(log, plan) {
  const kv = new Map();
  const r = rng(0xa11ce);
  const capture = { write: (fd, buf) => log.push(['stdio', fd, Buffer.from(buf).toString()]) };
  // WASI's import factory, built here for one instance (its own scope: deterministic streams from the seed).
  // As the runtime layers them: WASI, then wasi:http's denied defaults (lib/http).
  const wasi = { ...wasiImports({ deterministic: true, env: { GREETING: 'hi' }, args: ['probe', '--x'] }, capture, (e) => log.push(['exit', e.code]))(new InstanceScope()), ...deniedHttpImports() };
  const host = {
    'sfirt:kv/store': {
      get: (key) => { log.push(['get', key]); return kv.get(key); },
      set: (key, value) => { log.push(['set', key, value]); kv.set(key, value); },
    },
    'sfirt:kv/log': { log: (level, message) => { log.push(['log', level, message]); } },
    // guests/host-resource's imported resource: a host class whose objects the guest keeps.
    'sfirt:host-resource/things': {
      Thing: class Thing {
        constructor(v) { this.v = v; log.push(['thing', v]); }
        value() { log.push(['value', this.v]); return this.v ?? 0; }
        [Symbol.dispose]() { log.push(['dispose', this.v]); }
      },
    },
    ...fakeNn(log),
  };
  for (const key of plan.imports) {
    if (host[key]) continue;
    if (wasi[key]) { host[key] = wasi[key]; continue; }
    const iface = host[key] = {};
    for (const l of plan.lowers) {
      if (l.key !== key || l.call.k !== 'func') continue;
      iface[l.jsName] = (...args) => { log.push([l.name, args]); return l.type.result && randomValue(r, l.type.result); };
    }
  }
  return host;
}

/** Arguments worth calling some exports with, beside the random ones (a real 784-byte image...). */
const IMAGE = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
const FIXED_ARGS = {
  classify: [[IMAGE], [IMAGE.subarray(1)]],
  classifyWith: [['digits', IMAGE], ['broken', IMAGE], ['nope', IMAGE]],
  loadBytes: [[Uint8Array.of(8, 1, 2, 3, 4)], [Uint8Array.of(1)]],
  runRaw: [['digits', Uint32Array.of(1, 4), 1, f32Bytes([1, 2, 3, 4])], ['broken', Uint32Array.of(1), 1, f32Bytes([1])], ['digits', Uint32Array.of(2), 9, new Uint8Array(3)]],
};



/** True when a value of `t` holds a resource handle. */
function hasHandle(t) {
  switch (t.kind) {
    case 'own': case 'borrow': return true;
    case 'list': return hasHandle(t.elem);
    case 'option': return hasHandle(t.type);
    case 'record': return t.fields.some((f) => hasHandle(f.type));
    case 'tuple': return t.types.some(hasHandle);
    case 'variant': return t.cases.some((c) => c.type && hasHandle(c.type));
    case 'result': return (t.ok && hasHandle(t.ok)) || (t.err && hasHandle(t.err));
    default: return false;
  }
}

/** Every callable export as [path, WIT function type], in a stable order. */
function callables(plan) {
  const out = [];
  for (const e of plan.exports) {
    if (e.k === 'func') out.push([[camelCase(e.name)], plan.lifts[e.lift].type]);
    else for (const [n, id] of e.funcs) out.push([[e.name, camelCase(n)], plan.lifts[id].type]);
  }
  return out;
}

const candidates = [];
for (const f of readdirSync(join(root, 'guests', 'dist')).filter((f) => f.endsWith('.wasm')).sort()) candidates.push(['guest', join(root, 'guests', 'dist', f)]);
// Third-party components (../shared/components) run through the runtime against plain jco in
// test/conformance/shared.test.mjs, with host resources and both glues.

const report = [];
let fastCount = 0;

for (const [origin, path] of candidates) {
  const name = path.split('/').pop().replace(/\.wasm$/, '');
  const bytes = readFileSync(path);
  const plan = planComponent(bytes);
  if ('unsupported' in plan) {
    report.push(`  ${origin}/${name}: unsupported (${plan.unsupported}) → jco glue`);
    continue;
  }
  fastCount++;
  test(`${origin}/${name}: fast glue matches jco's glue`, async () => {
    const fast = await buildFastGlue(bytes);
    assert.ok(!('unsupported' in fast), 'planned but not built');
    const jcoInstantiate = await jcoInstantiator(bytes, name);
    // jco numbers core modules in binary order (component.core.wasm, component.core2.wasm, ...):
    // the runtime may reuse the modules it compiled from jco's output for the fast path.
    plan.modules.forEach((m, i) => {
      const jcoName = jcoCoreModuleName(i);
      assert.ok(Buffer.from(m).equals(Buffer.from(jcoInstantiate.files[jcoName] ?? [])), `core module ${i} is not jco's ${jcoName}`);
    });
    const exports = callables(plan);
    const r = rng(0x5f1 ^ bytes.length);
    const logFast = [];
    const logJco = [];
    let a = fast.instantiate(makeHost(logFast, plan));
    let b = jcoInstantiate(makeHost(logJco, plan));
    const covered = [];
    for (const [path, type] of exports) {
      if (SKIP_EXPORTS.has(path.at(-1))) continue;
      // Handles need live resources to pass (wasi:http's requests): test/http and test/invoke cover those.
      if (type.params.some((p) => hasHandle(p.type))) { covered.push(`${path.join('#')} (skipped: takes handles)`); continue; }
      covered.push(path.join('#'));
      const fixed = FIXED_ARGS[path.at(-1)] ?? [];
      for (let round = 0; round < ROUNDS + fixed.length; round++) {
        const args = round < fixed.length ? fixed[round] : type.params.map((p) => randomValue(r, p.type));
        const fa = path.reduce((o, k) => o[k], a);
        const fb = path.reduce((o, k) => o[k], b);
        const [logged, loggedJco] = [logFast.length, logJco.length];
        let fastError;
        const ra = outcome(() => { try { return fa(...args); } catch (err) { fastError = err; throw err; } });
        const rb = outcome(() => fb(...args));
        const where = `${name} ${path.join('#')}(${inspect(args, { breakLength: Infinity, maxArrayLength: 8 })})`;
        // The canonical ABI traps on a string that is not UTF-8 (the fast glue does, lib/limits/lift.ts);
        // plain jco decodes it lossily (U+FFFD) and goes on: the one divergence allowed.
        const strictUtf8 = fastError?.trapKind === 'invalid-utf8';
        if (strictUtf8) { logFast.length = logged; logJco.length = loggedJco; }
        else {
          assert.ok(isDeepStrictEqual(ra, rb), `${where}: fast ${inspect(ra)} vs jco ${inspect(rb)}`);
          assert.ok(isDeepStrictEqual(logFast, logJco), `${where}: host calls differ: ${inspect(logFast)} vs ${inspect(logJco)}`);
        }
        if (ra.threw || strictUtf8) {
          // Both glues poison (or not) alike; start both afresh, as the runtime would.
          a = fast.instantiate(makeHost(logFast, plan));
          b = jcoInstantiate(makeHost(logJco, plan));
        }
      }
    }
    report.push(`  ${origin}/${name}: fast path, ${covered.length} exports × ${ROUNDS} calls (${covered.join(', ')})`);
  });
}

test('at least the plain guests take the fast path', () => {
  assert.ok(fastCount >= 8, `only ${fastCount} components planned`);
});

test.after(() => {
  console.log(['fast-glue conformance:', ...report.sort()].join('\n'));
});

test.run();
