// Conformance of the fast glue against jco's own glue: for every guest in guests/dist and every
// third-party component in ../shared/components the fast path supports, instantiate both ways with
// recording host imports, call every export with the same seeded random arguments (typed from the
// component's own WIT signatures), and require identical results, identical error kinds
// (trap / ComponentError payload / TypeError ...) and identical host-import call sequences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual, inspect } from 'node:util';
import { buildFastGlue, planComponent, jcoCoreModuleName } from '../../../dist/component/fast/index.js';
import { camelCase } from '../../../dist/component/fast/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sharedComponents = join(root, '..', 'shared', 'components');
const ROUNDS = 6;
/** Exports that never return (or run for seconds) by design. */
const SKIP_EXPORTS = new Set(['spin', 'spinFor', 'forever']);

// ---- seeded random values per WIT type ----
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}
const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
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
      if (t.type.kind === 'option') return r() < 0.3 ? { tag: 'none' } : { tag: 'some', val: randomValue(r, t.type) };
      return r() < 0.3 ? undefined : randomValue(r, t.type);
    case 'result': return r() < 0.5 ? { tag: 'ok', val: t.ok && randomValue(r, t.ok) } : { tag: 'err', val: t.err && randomValue(r, t.err) };
    default: throw new Error(`no generator for ${t.kind}`);
  }
}

// ---- host imports that record every call ----
/** Host implementations for the interfaces our guests import; `log` collects the calls. */
function makeHost(log) {
  const kv = new Map();
  return {
    'sfirt:kv/store': {
      get: (key) => { log.push(['get', key]); return kv.get(key); },
      set: (key, value) => { log.push(['set', key, value]); kv.set(key, value); },
    },
    'sfirt:kv/log': { log: (level, message) => { log.push(['log', level, message]); } },
  };
}

/** What a call produced, in a form comparable across the two glues. */
function outcome(f) {
  try {
    return { ok: f() };
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) return { threw: 'trap', message: err.message };
    if (err && Object.prototype.hasOwnProperty.call(err, 'payload')) return { threw: 'ComponentError', payload: err.payload };
    return { threw: err?.constructor?.name ?? typeof err };
  }
}

// ---- jco's glue, as emitted ----
let jco;
const tmp = mkdtempSync(join(tmpdir(), 'sfirt-fast-conf-'));
async function jcoInstantiator(bytes, name) {
  jco ??= await import('@bytecodealliance/jco');
  const out = await jco.transpile(bytes, { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true });
  const file = join(tmp, `${name}.mjs`);
  writeFileSync(file, out.files['component.js']);
  const modules = new Map();
  for (const [f, content] of Object.entries(out.files)) if (f.endsWith('.wasm')) modules.set(f, new WebAssembly.Module(content));
  const { instantiate } = await import(pathToFileURL(file).href);
  const instantiator = (imports) => instantiate((n) => modules.get(n), imports);
  instantiator.files = out.files;
  return instantiator;
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
if (existsSync(sharedComponents)) {
  for (const f of readdirSync(sharedComponents).filter((f) => f.endsWith('.wasm')).sort()) candidates.push(['shared', join(sharedComponents, f)]);
} else {
  console.log(`conformance: ${sharedComponents} is absent; third-party components skipped`);
}

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
    let a = fast.instantiate(makeHost(logFast));
    let b = jcoInstantiate(makeHost(logJco));
    const covered = [];
    for (const [path, type] of exports) {
      if (SKIP_EXPORTS.has(path.at(-1))) continue;
      covered.push(path.join('#'));
      for (let round = 0; round < ROUNDS; round++) {
        const args = type.params.map((p) => randomValue(r, p.type));
        const fa = path.reduce((o, k) => o[k], a);
        const fb = path.reduce((o, k) => o[k], b);
        const ra = outcome(() => fa(...args));
        const rb = outcome(() => fb(...args));
        const where = `${name} ${path.join('#')}(${inspect(args, { breakLength: Infinity, maxArrayLength: 8 })})`;
        assert.ok(isDeepStrictEqual(ra, rb), `${where}: fast ${inspect(ra)} vs jco ${inspect(rb)}`);
        assert.ok(isDeepStrictEqual(logFast, logJco), `${where}: host calls differ: ${inspect(logFast)} vs ${inspect(logJco)}`);
        if (ra.threw) {
          // Both glues poison (or not) alike; start both afresh, as the runtime would.
          a = fast.instantiate(makeHost(logFast));
          b = jcoInstantiate(makeHost(logJco));
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
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
