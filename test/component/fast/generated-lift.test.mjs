// Option and result parameters that the generated trampolines lift themselves (trampoline.ts
// `caseLift`: the discriminant picks the case, the payload is lifted from its slots) against the
// generic trampoline's codec `liftFlat`, on many flat values: valid and invalid discriminants,
// handles, strings, lists and integers. Same value reaching the host, same error, same handle table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileImport } from '../../../dist/component/fast/bindings.js';
import { HandleTable } from '../../../dist/component/fast/resources.js';

class Thing { constructor(n) { this.n = n; } }
const own = { kind: 'own', resource: { name: 'thing', index: 0 } };
const borrow = { kind: 'borrow', resource: { name: 'thing', index: 0 } };
const u8 = { kind: 'u8' }, u32 = { kind: 'u32' }, u64 = { kind: 'u64' }, s64 = { kind: 's64' }, str = { kind: 'string' }, f32 = { kind: 'f32' };
const bytes = { kind: 'list', elem: u8 };
const errorCode = { kind: 'variant', cases: [{ name: 'dns', type: { kind: 'option', type: str } }, { name: 'size', type: { kind: 'option', type: u64 } }, { name: 'closed' }] };
const option = (type) => ({ kind: 'option', type });
const result = (ok, err) => ({ kind: 'result', ok, err });
const TYPES = {
  'option<own>': option(own),
  'option<borrow>': option(borrow),
  'option<string>': option(str),
  'option<list<u8>>': option(bytes),
  'option<u8>': option(u8),
  'option<u64>': option(u64),
  'option<option<u32>>': option(option(u32)),
  'option<result<u32, string>>': option(result(u32, str)),
  'option<f32>': option(f32),
  'result<own, error-code>': result(own, errorCode),
  'result<_, u32>': result(undefined, u32),
  'result<_, _>': result(),
  'result<list<u8>, string>': result(bytes, str),
  'result<option<u8>, u64>': result(option(u8), u64),
  'result<u32, s64>': result(u32, s64),
  'result<option<own>, error-code>': result(option(own), errorCode),
  'result<f32, u32>': result(f32, u32),
};

/** Flat values to try per flat type: discriminants and handles in and out of range, pointers and lengths, integers. */
const I32 = [0, 1, 2, 3, -1, 255, 256, 200, 5];
const I64 = [0n, 1n, 5n, -1n, 2n ** 40n, 256n];
const F32 = [0, 1.5, NaN];

/** A small deterministic PRNG (xorshift32), so a failure names a reproducible case. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

/** A fresh context: memory of ASCII letters (byte 3 is not UTF-8), a handle table holding things 1..4 as handles 1..4. */
function env() {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const b = new Uint8Array(memory.buffer);
  b.fill(0x61);
  b[3] = 0xff; // not UTF-8
  const table = new HandleTable(Thing, 'Thing');
  for (let i = 1; i <= 4; i++) table.lowerOwn(new Thing(i));
  const cx = { memory, realloc: undefined, dv: undefined, u8: undefined, rt: [table], gt: [], enc: 0 };
  return { cx, table };
}

/** What the host received, as plain data (handles as their thing's number). */
function plain(v) {
  if (v instanceof Thing) return `Thing ${v.n}`;
  if (ArrayBuffer.isView(v)) return [v.constructor.name, ...v];
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v === undefined ? '(undefined)' : v;
}

function run(type, flat, generated) {
  const e = env();
  const js = generated ? 'm' : 'not-an-identifier';
  let got = 'not called';
  const trampoline = compileImport({ params: [{ name: 'p', type }] }, { k: 'static', js })({ cx: e.cx, host: { [js]: (p) => { got = plain(p); } } });
  assert.is(trampoline.name === 'trampoline', generated, 'the intended trampoline kind');
  if (generated) assert.is(trampoline.length, flat.length, 'one argument per flat value');
  let threw;
  try { trampoline(...flat); } catch (err) { threw = `${err.constructor.name}: ${err.message}`; }
  return { got, threw, slots: e.table.slots.slice(0, e.table.n), objects: [...e.table.objects].map(([rep, o]) => [rep, o?.n]) };
}

test('option and result parameters reach the host the same through both trampolines', () => {
  const next = rng(20261203);
  const pick = (a) => a[Math.floor(next() * a.length)];
  let cases = 0, lifted = 0;
  for (const [name, type] of Object.entries(TYPES)) {
    const flatTypes = flatTypesOf(type);
    for (let n = 0; n < 400; n++) {
      const flat = flatTypes.map((f, i) => (i === 0 && n % 3 === 0 ? n % 2 : f === 'i64' ? pick(I64) : f === 'f32' ? pick(F32) : pick(I32)));
      const a = run(type, flat, true), b = run(type, flat, false);
      assert.equal(a, b, `${name} with ${flat.map(String)}`);
      cases++;
      if (a.threw === undefined) lifted++;
    }
  }
  assert.ok(lifted > 1500 && cases - lifted > 1500, `${lifted} lifted of ${cases}`);
});

/** The flat types of a parameter, as the canonical ABI flattens it (the subset these types use). */
function flatTypesOf(t) {
  switch (t.kind) {
    case 'own': case 'borrow': case 'u8': case 'u32': return ['i32'];
    case 'u64': case 's64': return ['i64'];
    case 'f32': return ['f32'];
    case 'string': case 'list': return ['i32', 'i32'];
    case 'option': return ['i32', ...flatTypesOf(t.type)];
    case 'result': return ['i32', ...join([t.ok, t.err].filter(Boolean).map(flatTypesOf))];
    case 'variant': return ['i32', ...join(t.cases.filter((c) => c.type).map((c) => flatTypesOf(c.type)))];
    default: throw new Error(t.kind);
  }
}
function join(lists) {
  const out = [];
  for (const l of lists) l.forEach((f, i) => { out[i] = out[i] === undefined || out[i] === f ? f : (out[i] === 'f32' && f === 'i32') || (out[i] === 'i32' && f === 'f32') ? 'i32' : 'i64'; });
  return out;
}

test.run();
