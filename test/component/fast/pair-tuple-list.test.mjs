// A list of tuples of two strings/lists (`list<tuple<string, list<u8>>>`, `fields.from-list`'s
// parameter) is lifted by `pairTupleListLift` (lib/component/fast/codec.ts) instead of the generic
// list's `elem.load` per element: the same values, the same errors and the same lift charges as the
// generic lift, on valid and hostile inputs (descriptors out of bounds, lengths over the memory,
// invalid UTF-8, unaligned typed lists, a list past the end of memory, a budget that runs out).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codecOf, genericListCodec } from '../../../dist/component/fast/codec.js';
import { UTF8, UTF16, LATIN1_UTF16 } from '../../../dist/component/fast/strings.js';
import { armLiftBudget, disarmLiftBudget, liftBytesLeft, LIFT_HEAP_CHECK_BYTES } from '../../../dist/limits/lift.js';

const PAGE = 65536;
const BIG = 2 ** 50;
const memory = new WebAssembly.Memory({ initial: 1 });
const bytes = new Uint8Array(memory.buffer);
const cxOf = (enc) => ({ memory, realloc: undefined, dv: undefined, rt: [], gt: [], enc });

const S = { kind: 'string' };
const U8 = { kind: 'list', elem: { kind: 'u8' } };
const U32 = { kind: 'list', elem: { kind: 'u32' } };
const STRINGS = { kind: 'list', elem: { kind: 'string' } };
const PAIRS = [[S, U8], [U8, S], [S, S], [U8, U8], [U32, S], [STRINGS, U8]];

let seed = 12345;
const rand = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
const pick = (xs) => xs[rand(xs.length)];

/** The list type's codec (the specialised lift) and the generic one over the same tuple codec without its `pairTuple`. */
function codecs(a, b) {
  const tuple = { kind: 'tuple', types: [a, b] };
  const fast = codecOf({ kind: 'list', elem: tuple });
  const elem = codecOf(tuple);
  assert.ok(elem.pairTuple, 'the tuple is a pair tuple');
  const generic = genericListCodec({ ...elem, pairTuple: undefined });
  return { fast, generic };
}

/** A value or an error, as comparable data. */
function describe(v) {
  if (v instanceof Error) return `${v.constructor.name} ${v.code} ${v.trapKind} ${v.message}`;
  if (ArrayBuffer.isView(v)) return { type: v.constructor.name, aliased: v.buffer === memory.buffer, items: Array.from(v, String) };
  if (Array.isArray(v)) return { array: v.length, items: Array.from(v, describe) };
  return typeof v === 'string' ? `string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`;
}

function lift(codec, enc, ptr, len, budget) {
  // A budget per lift (BIG: in effect none), so each side starts from the same state.
  armLiftBudget(budget ?? BIG, undefined, performance.now());
  let got;
  try { got = describe(codec.liftPair(cxOf(enc), ptr, len)); } catch (e) { got = describe(e); }
  // Past LIFT_HEAP_CHECK_BYTES the budget is cut by the heap room left (not deterministic).
  const charged = (budget ?? BIG) - liftBytesLeft();
  const left = charged < LIFT_HEAP_CHECK_BYTES ? liftBytesLeft() : 'past the heap check';
  const failure = disarmLiftBudget();
  return { got, left, failure: failure && describe(failure) };
}

/** Fills memory with random bytes, some ASCII runs, and `count` element descriptors at `at`. */
function scene(at, count) {
  for (let i = 0; i < bytes.length; i++) bytes[i] = rand(256);
  for (let r = 0; r < 20; r++) { const p = rand(PAGE - 64); for (let i = 0; i < 64; i++) bytes[p + i] = 0x20 + rand(0x5f); }
  const dv = new DataView(memory.buffer);
  for (let i = 0; i < count * 4; i += 2) {
    const slot = at + i * 4;
    if (slot < 0 || slot + 8 > PAGE) continue;
    const kind = rand(8);
    let p, l;
    if (kind < 4) { l = rand(40); p = rand(PAGE - l); } // in bounds (maybe invalid UTF-8, maybe unaligned)
    else if (kind === 4) { l = rand(40) + 1; p = PAGE - rand(l); } // runs past the end
    else if (kind === 5) { p = rand(PAGE); l = pick([PAGE, 0x7fffffff, 0xffffffff, 0x80000000]); } // length over memory
    else if (kind === 6) { p = pick([PAGE, 0xffffffff, 0x80000000]); l = rand(4); } // pointer past memory
    else { l = rand(8); p = pick([0x3fc0, 0x4000]) + rand(4); l = 0; } // an empty value anywhere
    dv.setUint32(slot, p >>> 0, true);
    dv.setUint32(slot + 4, l >>> 0, true);
  }
}

test('pair tuples are recognised: string/list members only, at offsets 0 and 8', () => {
  for (const [a, b] of PAIRS) assert.ok(codecOf({ kind: 'tuple', types: [a, b] }).pairTuple);
  for (const types of [[S], [S, U8, S], [S, { kind: 'u32' }], [{ kind: 'u64' }, S], [S, { kind: 'tuple', types: [S, S] }], [{ kind: 'option', type: S }, S]]) {
    assert.is(codecOf({ kind: 'tuple', types }).pairTuple, undefined, JSON.stringify(types));
  }
});

test('valid lists: the same tuples (boxed arrays of the members, copies of the guest bytes) as the generic lift', () => {
  for (const [a, b] of PAIRS) {
    const { fast, generic } = codecs(a, b);
    for (let r = 0; r < 30; r++) {
      for (let i = 0; i < bytes.length; i++) bytes[i] = 0x20 + rand(0x5f);
      const at = rand(1000) * 4, len = rand(6);
      const dv = new DataView(memory.buffer);
      for (let i = 0; i < len * 4; i += 2) { const l = rand(20); dv.setUint32(at + i * 4, 8000 + rand(1000) * 4, true); dv.setUint32(at + i * 4 + 4, l, true); }
      const f = lift(fast, UTF8, at, len), g = lift(generic, UTF8, at, len);
      assert.equal(f, g);
      // (A list<string> member's own elements are whatever the bytes say: not valid here.)
      if (a !== STRINGS) assert.is(typeof f.got, 'object', `a valid list lifts: ${f.got}`);
    }
  }
});

test('hostile lists: the same values or the same errors as the generic lift, on every encoding', () => {
  let errors = 0, values = 0;
  for (const [a, b] of PAIRS) {
    const { fast, generic } = codecs(a, b);
    for (const enc of [UTF8, UTF16, LATIN1_UTF16]) {
      for (let r = 0; r < 120; r++) {
        const at = pick([rand(PAGE), rand(PAGE) & ~3, PAGE - 16 * rand(4) - rand(16), PAGE, -16, 0x7ffffff0, 0xfffffff0 | 0]);
        const len = pick([0, 1, 2, 3, 5, rand(10), 0x7fffffff, -1, 0x10000000]);
        scene(at, Math.min(len >>> 0, 8));
        const f = lift(fast, enc, at, len), g = lift(generic, enc, at, len);
        assert.equal(f, g, `${JSON.stringify([a, b])} enc ${enc} at ${at} len ${len}`);
        if (typeof f.got === 'string') errors++; else values++;
      }
    }
  }
  // Both kinds of outcome were exercised.
  assert.ok(errors > 200 && values > 100, `${errors} errors, ${values} values`);
});

test('under a lift budget: the same charge, the same failure when it runs out', () => {
  for (const [a, b] of PAIRS) {
    const { fast, generic } = codecs(a, b);
    for (let r = 0; r < 60; r++) {
      for (let i = 0; i < bytes.length; i++) bytes[i] = 0x20 + rand(0x5f);
      const at = rand(1000) * 4, len = pick([1, 3, 8, 100, 5000]);
      const dv = new DataView(memory.buffer);
      for (let i = 0; i < Math.min(len, 100) * 4; i += 2) { dv.setUint32(at + i * 4, 8000 + rand(1000) * 4, true); dv.setUint32(at + i * 4 + 4, rand(30), true); }
      const budget = pick([0, 31, 32, 100, 200, 1000, 100000]);
      const f = lift(fast, UTF8, at, len, budget), g = lift(generic, UTF8, at, len, budget);
      assert.equal(f, g, `${JSON.stringify([a, b])} at ${at} len ${len} budget ${budget}`);
    }
  }
});

test.run();
