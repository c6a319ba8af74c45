// Every WIT value type through both glues. A generated component (WAT → `jco.parse`) imports
// `test:types/host` with one function `fN: func(x: T) -> T` per type T and exports `fN` whose core
// function just forwards to the lowered import: a call runs lowering (JS → guest) of the export,
// lifting (guest → JS) into the host, lowering of the host's result into guest memory and lifting
// of the export's result. The fast glue and jco's glue must agree on every result, error kind and
// host-call record, for seeded random values of each type.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { isDeepStrictEqual, inspect } from 'node:util';
import { buildFastGlue } from '../../../dist/component/fast/index.js';
import { codecOf } from '../../../dist/component/fast/codec.js';
import { camelCase } from '../../../dist/component/fast/types.js';
import { int, jcoInstantiator, outcome, rng } from './helpers.mjs';

/** This suite compares the messages of non-trap errors too. */
const outcomeM = (f) => outcome(f, { withMessage: true });

const P = (kind) => ({ kind });
const rec = (...fields) => ({ kind: 'record', fields: fields.map(([name, type]) => ({ name, type })) });
const u32x18 = { kind: 'tuple', types: Array.from({ length: 18 }, () => P('u32')) };

/** The types under test; several exercise the variant slot-joining rules and memory-passed params. */
const TYPES = [
  ...['bool', 'u8', 's8', 'u16', 's16', 'u32', 's32', 'u64', 's64', 'f32', 'f64', 'char', 'string'].map(P),
  { kind: 'list', elem: P('u8') },
  { kind: 'list', elem: P('u32') },
  { kind: 'list', elem: P('s16') },
  { kind: 'list', elem: P('f64') },
  { kind: 'list', elem: P('string') },
  { kind: 'list', elem: rec(['id', P('u16')], ['name', P('string')]) },
  rec(['small-int', P('u8')], ['label', P('string')], ['weight', P('f64')], ['codes', { kind: 'list', elem: P('u16') }]),
  { kind: 'tuple', types: [P('u8'), P('s64'), P('string'), P('char')] },
  { kind: 'variant', cases: [{ name: 'none' }, { name: 'num', type: P('u32') }, { name: 'ratio', type: P('f32') }, { name: 'text', type: P('string') }, { name: 'big', type: P('u64') }, { name: 'precise', type: P('f64') }] },
  { kind: 'enum', names: ['red', 'green', 'blue-ish'] },
  { kind: 'flags', names: ['read', 'write', 'exec-now'] },
  { kind: 'flags', names: Array.from({ length: 12 }, (_, i) => `flag-${i}`) },
  { kind: 'flags', names: Array.from({ length: 30 }, (_, i) => `bit-${i}`) },
  { kind: 'option', type: P('u32') },
  { kind: 'option', type: { kind: 'option', type: P('string') } },
  { kind: 'option', type: rec(['x', P('s32')], ['y', P('f32')]) },
  { kind: 'result', ok: P('u32'), err: P('string') },
  { kind: 'result', err: P('string') },
  { kind: 'result', ok: P('string') },
  { kind: 'result' },
  u32x18,
  { kind: 'list', elem: { kind: 'option', type: { kind: 'variant', cases: [{ name: 'a', type: P('s8') }, { name: 'b', type: { kind: 'tuple', types: [P('string'), P('bool')] } }] } } },
];

// ---- WAT generation ----
const NAMED = new Set(['record', 'variant', 'enum', 'flags']);

/** Prints a type; named kinds are hoisted into `defs` (once each) and referenced by `$prefix<n>`. */
function printer(prefix, defs, names) {
  const print = (t) => {
    if (NAMED.has(t.kind)) {
      if (!names.has(t)) {
        const body = printBody(t, print);
        const n = names.size;
        names.set(t, n);
        defs.push([n, body]);
      }
      return `$${prefix}${names.get(t)}`;
    }
    return printBody(t, print);
  };
  return print;
}

function printBody(t, print) {
  switch (t.kind) {
    case 'list': return `(list ${print(t.elem)})`;
    case 'record': return `(record ${t.fields.map((f) => `(field "${f.name}" ${print(f.type)})`).join(' ')})`;
    case 'tuple': return `(tuple ${t.types.map(print).join(' ')})`;
    case 'variant': return `(variant ${t.cases.map((c) => (c.type ? `(case "${c.name}" ${print(c.type)})` : `(case "${c.name}")`)).join(' ')})`;
    case 'enum': return `(enum ${t.names.map((n) => `"${n}"`).join(' ')})`;
    case 'flags': return `(flags ${t.names.map((n) => `"${n}"`).join(' ')})`;
    case 'option': return `(option ${print(t.type)})`;
    case 'result': return `(result${t.ok ? ` ${print(t.ok)}` : ''}${t.err ? ` (error ${print(t.err)})` : ''})`;
    default: return t.kind;
  }
}

function componentWat(types) {
  // Inside the import's instance type: hoisted named types, exported so the outside can alias them.
  const innerDefs = [];
  const names = new Map();
  const inner = printer('d', innerDefs, names);
  const funcsInner = types.map((t, i) => `(export "f${i}" (func (param "x" ${inner(t)}) (result ${inner(t)})))`);
  const instanceDecls = [];
  for (const [n, body] of innerDefs) instanceDecls.push(`(type $d${n}_ ${body.replaceAll(/\$d(\d+)/g, '$$e$1')})`, `(export "t${n}" (type $e${n} (eq $d${n}_)))`);
  const fixNames = (s) => s.replaceAll(/\$d(\d+)/g, '$$e$1');
  // Outside: alias every named type out of the imported instance, then print with those names.
  const outer = printer('o', [], names);
  const aliases = [...names.values()].map((n) => `(alias export $host "t${n}" (type $o${n}))`);
  const lowers = types.map((_, i) => `(core func $low${i} (canon lower (func $host "f${i}") (memory $mem) (realloc $realloc)))`);
  const coreImports = [];
  const coreFuncs = [];
  types.forEach((t, i) => {
    const flat = codecOf(t).flat;
    const inMem = flat.length > 16;
    const params = inMem ? ['i32'] : flat;
    const retInMem = flat.length > 1;
    const p = params.length ? `(param ${params.join(' ')})` : '';
    const get = params.map((_, k) => `local.get ${k}`).join(' ');
    if (retInMem) {
      coreImports.push(`(import "host" "f${i}" (func $f${i} ${p} (param i32)))`);
      coreFuncs.push(`(func (export "f${i}") ${p} (result i32) ${get} i32.const 256 call $f${i} i32.const 256)`);
    } else {
      coreImports.push(`(import "host" "f${i}" (func $f${i} ${p} (result ${flat[0]})))`);
      coreFuncs.push(`(func (export "f${i}") ${p} (result ${flat[0]}) ${get} call $f${i})`);
    }
  });
  const lifts = types.map((t, i) => `(func $g${i} (param "x" ${outer(t)}) (result ${outer(t)}) (canon lift (core func $main "f${i}") (memory $mem) (realloc $realloc)))\n  (export "f${i}" (func $g${i}))`);
  return `(component
  (import "test:types/host" (instance $host
    ${instanceDecls.join('\n    ')}
    ${funcsInner.map(fixNames).join('\n    ')}))
  ${aliases.join('\n  ')}
  (core module $libc
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
      global.get $bump local.get 2 i32.add i32.const 1 i32.sub
      i32.const 0 local.get 2 i32.sub i32.and local.set $p
      local.get $p local.get 3 i32.add global.set $bump
      (block (loop
        global.get $bump memory.size i32.const 16 i32.shl i32.le_u br_if 1
        i32.const 1 memory.grow drop br 0))
      local.get $p))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  ${lowers.join('\n  ')}
  (core module $fwd
    ${coreImports.join('\n    ')}
    ${coreFuncs.join('\n    ')})
  (core instance $main (instantiate $fwd (with "host" (instance ${types.map((_, i) => `(export "f${i}" (func $low${i}))`).join(' ')}))))
  ${lifts.join('\n  ')})`;
}

// ---- values ----

/** jco: an option is nullable unless its payload is (then `{ tag }`-tagged): nested options alternate. */
const nullable = (t) => t.kind === 'option' && !nullable(t.type);
const STRINGS = ['', 'a', 'hello', 'wörld', '🌍 emoji', 'x'.repeat(70), 'ünïcødé ✓', ' padded ', 'tab\t\n'];

function value(r, t) {
  switch (t.kind) {
    case 'bool': return r() < 0.5;
    case 'u8': return int(r, 0, 255);
    case 's8': return int(r, -128, 127);
    case 'u16': return int(r, 0, 65535);
    case 's16': return int(r, -32768, 32767);
    case 'u32': return int(r, 0, 0xffffffff);
    case 's32': return int(r, -0x80000000, 0x7fffffff);
    case 'u64': return BigInt.asUintN(64, BigInt(int(r, 0, 0xffffffff)) << 32n | BigInt(int(r, 0, 0xffffffff)));
    case 's64': return BigInt.asIntN(64, BigInt(int(r, 0, 0xffffffff)) << 32n | BigInt(int(r, 0, 0xffffffff)));
    case 'f32': return Math.fround((r() - 0.5) * 1e6);
    case 'f64': return (r() - 0.5) * 1e12;
    case 'char': return String.fromCodePoint(r() < 0.5 ? int(r, 0x20, 0x7e) : int(r, 0x1f300, 0x1f64f));
    case 'string': return STRINGS[int(r, 0, STRINGS.length - 1)];
    case 'list': {
      const n = int(r, 0, 12);
      const TYPED = { u8: Uint8Array, s16: Int16Array, u32: Uint32Array, f64: Float64Array };
      const items = Array.from({ length: n }, () => value(r, t.elem));
      // jco accepts typed arrays and plain arrays for numeric lists: feed both.
      return TYPED[t.elem.kind] && r() < 0.5 ? TYPED[t.elem.kind].from(items) : items;
    }
    case 'record': return Object.fromEntries(t.fields.map((f) => [camelCase(f.name), value(r, f.type)]));
    case 'tuple': return t.types.map((x) => value(r, x));
    case 'enum': return t.names[int(r, 0, t.names.length - 1)];
    case 'flags': return Object.fromEntries(t.names.map((n) => [camelCase(n), r() < 0.5]));
    case 'variant': { const c = t.cases[int(r, 0, t.cases.length - 1)]; return c.type ? { tag: c.name, val: value(r, c.type) } : { tag: c.name }; }
    case 'option':
      if (nullable(t.type)) return r() < 0.3 ? { tag: 'none' } : { tag: 'some', val: value(r, t.type) };
      return r() < 0.3 ? undefined : value(r, t.type);
    case 'result': return r() < 0.5 ? { tag: 'ok', val: t.ok && value(r, t.ok) } : { tag: 'err', val: t.err && value(r, t.err) };
    default: throw new Error(t.kind);
  }
}

/** Errors other than traps compare by class: their messages name jco's internal type names. */
function kindOf(o) {
  return o.threw && o.threw !== 'trap' && o.threw !== 'ComponentError' ? { threw: o.threw } : o;
}

function shortType(t) {
  return printBody(t, (x) => shortType(x));
}

/** Typed arrays as plain arrays (lists may go in as either and come back typed). */
function plain(v) {
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}


/** Echoing host: records each call; for `result` types, sometimes throws the err payload instead. */
function host(log) {
  const fns = {};
  TYPES.forEach((t, i) => {
    fns[`f${i}`] = (x) => {
      log.push([i, x]);
      if (t.kind === 'result' && x.tag === 'err' && log.length % 2) throw Object.assign(new Error('host err'), { payload: x.val });
      return x;
    };
  });
  return { 'test:types/host': fns };
}

test('every WIT value type round-trips identically through fast glue and jco glue', async () => {
  const jco = await import('@bytecodealliance/jco');
  const bytes = await jco.parse(componentWat(TYPES));
  const fast = await buildFastGlue(bytes);
  assert.ok(!('unsupported' in fast), `unsupported: ${fast.unsupported}`);
  const jcoGlue = await jcoInstantiator(bytes, 'types');
  if (process.env.SFIRT_KEEP_GLUE) writeFileSync(process.env.SFIRT_KEEP_GLUE, jcoGlue.files['component.js']);
  const logFast = [];
  const logJco = [];
  const a = fast.instantiate(host(logFast));
  const b = jcoGlue(host(logJco));
  const r = rng(20261127);
  let calls = 0;
  for (let round = 0; round < 12; round++) {
    TYPES.forEach((t, i) => {
      const x = value(r, t);
      const ra = outcomeM(() => a[`f${i}`](x));
      const rb = outcomeM(() => b[`f${i}`](x));
      calls++;
      const where = `f${i}: ${inspect(t, { depth: 4, breakLength: Infinity })} with ${inspect(x, { breakLength: Infinity })}`;
      assert.ok(isDeepStrictEqual(ra, rb), `${where}\n  fast ${inspect(ra)}\n  jco  ${inspect(rb)}`);
      assert.ok(isDeepStrictEqual(logFast, logJco), `${where}: host calls differ\n  fast ${inspect(logFast.at(-1))}\n  jco  ${inspect(logJco.at(-1))}`);
      // A value that came back unharmed must equal what went in (typed arrays compare by content).
      if ('ok' in ra && t.kind !== 'result') assert.ok(isDeepStrictEqual(plain(ra.ok), plain(x)), `${where}: not a round trip: ${inspect(ra.ok)}`);
    });
  }
  // Wrong-shaped values: both glues must coerce them alike or throw the same kind of error.
  const HOSTILE = [undefined, null, 0, -1, 1.5, 2 ** 40, NaN, 'str', '', {}, [], [1, 2], { tag: 'bogus' }, 10n, true];
  let mismatches = [];
  TYPES.forEach((t, i) => {
    for (const x of HOSTILE) {
      const ra = outcomeM(() => a[`f${i}`](x));
      const rb = outcomeM(() => b[`f${i}`](x));
      calls++;
      if (!isDeepStrictEqual(kindOf(ra), kindOf(rb))) mismatches.push(`f${i} ${shortType(t)} (${inspect(x)}): fast ${inspect(ra, { breakLength: Infinity, maxArrayLength: 4 })} / jco ${inspect(rb, { breakLength: Infinity, maxArrayLength: 4 })}`);
    }
  });
  // Wrong-shaped values returned by the host: lowering them into the guest must fail (or coerce)
  // alike, and leave each instance equally usable afterwards.
  let hostile;
  const badHost = () => ({ 'test:types/host': Object.fromEntries(TYPES.map((_, i) => [`f${i}`, () => hostile])) });
  const a2 = fast.instantiate(badHost());
  const b2 = jcoGlue(badHost());
  TYPES.forEach((t, i) => {
    for (const h of HOSTILE) {
      hostile = h;
      const x = value(r, t);
      const ra = outcomeM(() => a2[`f${i}`](x));
      const rb = outcomeM(() => b2[`f${i}`](x));
      calls++;
      if (!isDeepStrictEqual(kindOf(ra), kindOf(rb))) mismatches.push(`host→guest f${i} ${shortType(t)} (host returned ${inspect(h)}): fast ${inspect(ra, { breakLength: Infinity, maxArrayLength: 4 })} / jco ${inspect(rb, { breakLength: Infinity, maxArrayLength: 4 })}`);
    }
  });
  assert.equal(mismatches, [], mismatches.join('\n'));
  const firstDiff = logFast.findIndex((c, k) => !isDeepStrictEqual(c, logJco[k]));
  assert.ok(firstDiff < 0 && logFast.length === logJco.length, `host calls differ after wrong-shaped values, first at #${firstDiff}: fast ${inspect(logFast[firstDiff])} / jco ${inspect(logJco[firstDiff])}`);
  console.log(`fast-glue types: ${TYPES.length} types × (12 random + ${HOSTILE.length} wrong-shaped) values, ${calls} calls, identical to jco`);
});

test('world-level function imports are read from `imports[name].default`, as jco does', async () => {
  const jco = await import('@bytecodealliance/jco');
  const bytes = await jco.parse(`(component
    (import "host-fn" (func $h (param "x" u32) (result u32)))
    (core func $low (canon lower (func $h)))
    (core module $m (import "i" "h" (func $h (param i32) (result i32))) (func (export "f") (param i32) (result i32) local.get 0 call $h))
    (core instance $i (instantiate $m (with "i" (instance (export "h" (func $low))))))
    (func $f (param "x" u32) (result u32) (canon lift (core func $i "f")))
    (export "call-it" (func $f)))`);
  const fast = await buildFastGlue(bytes);
  assert.ok(!('unsupported' in fast), fast.unsupported);
  assert.equal(fast.imports, ['host-fn']);
  const jcoGlue = await jcoInstantiator(bytes, 'world-fn');
  const seen = [[], []];
  const hostOf = (log) => ({ 'host-fn': { default: (x) => { log.push(x); return x * 3 + 1; } } });
  const a = fast.instantiate(hostOf(seen[0]));
  const b = jcoGlue(hostOf(seen[1]));
  for (const x of [0, 1, 7, 2 ** 31, 2 ** 32 - 1, -5, 1.5, 'q']) assert.equal(outcomeM(() => a.callIt(x)), outcomeM(() => b.callIt(x)));
  assert.equal(seen[0], seen[1]);
  assert.is(seen[0].length, 8);
});


test.run();
