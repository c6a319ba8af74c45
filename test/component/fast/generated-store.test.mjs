// The result stores the generated trampolines write themselves (trampoline.ts `storeInMemory`:
// a `result` or non-nullable `option` at a return pointer; any other result through its codec) against the generic trampoline's
// `storeResult` through the codecs, on the same host behaviour: same bytes in memory, same pages
// marked, same handles taken, same realloc calls, same value returned or error thrown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileImport } from '../../../dist/component/fast/bindings.js';
import { HandleTable } from '../../../dist/component/fast/resources.js';
import { DIRTY_PAGE_SHIFT } from '../../../dist/instrument/dirty-pages.js';

const PAGE = 2 ** DIRTY_PAGE_SHIFT;
class Thing { constructor(n) { this.n = n; } }
class Other {}

const own = { kind: 'own', resource: { name: 'thing', index: 0 } };
const u8 = { kind: 'u8' }, u32 = { kind: 'u32' }, u64 = { kind: 'u64' }, f64 = { kind: 'f64' }, str = { kind: 'string' };
const bytes = { kind: 'list', elem: u8 };
const streamError = { kind: 'variant', cases: [{ name: 'last-operation-failed', type: own }, { name: 'closed' }] };
const TYPES = {
  'own (flat)': own,
  'result<own, stream-error>': { kind: 'result', ok: own, err: streamError },
  'result<list<u8>, stream-error>': { kind: 'result', ok: bytes, err: streamError },
  'result<_, stream-error>': { kind: 'result', err: streamError },
  'result<string, u32>': { kind: 'result', ok: str, err: u32 },
  'result<u64, string>': { kind: 'result', ok: u64, err: str },
  'result<f64, _>': { kind: 'result', ok: f64 },
  'result<result<u32, string>, string>': { kind: 'result', ok: { kind: 'result', ok: u32, err: str }, err: str },
  'result<tuple<u32, string>, _>': { kind: 'result', ok: { kind: 'tuple', types: [u32, str] } },
  'option<string>': { kind: 'option', type: str },
  'option<own>': { kind: 'option', type: own },
  'option<u8>': { kind: 'option', type: u8 },
  'option<list<u8>>': { kind: 'option', type: bytes },
  'option<option<u32>>': { kind: 'option', type: { kind: 'option', type: u32 } },
  // Stored through their codec, from the trampoline's own call site.
  'method': { kind: 'variant', cases: [{ name: 'get' }, { name: 'post' }, { name: 'other', type: str }] },
  'list<list<u8>>': { kind: 'list', elem: bytes },
};

const thing = new Thing(1);
// A host object carrying its own rep; a placeholder (an object jco made for an unknown handle, which
// has its handle already); a proxy that throws on the first key read after the class check.
const withRep = Object.assign(new Thing(4), { [Symbol.for('cabiRep')]: 77 });
const placeholder = new HandleTable(Thing, 'Thing').liftBorrow(5);
const proxy = new Proxy(new Thing(5), { get(_t, k) { throw new Error(`read ${String(k)}`); } });
const VALUES = [
  undefined, null, 0, 1, -1, 255, 256, 2 ** 32 + 3, 1.5, NaN, 5n, -1n, true, 'hi', '', 'ünï😀',
  new Uint8Array([1, 2, 3]), new Uint8Array(0), [1, 2, 3], [300], ['x'], [7, 'seven'], thing, new Other(), {},
  withRep, placeholder, proxy, { tag: 'ok', val: withRep },
  { tag: 'ok', val: 3 }, { tag: 'ok', val: 'ok!' }, { tag: 'ok', val: thing }, { tag: 'ok', val: new Uint8Array([9]) },
  { tag: 'ok', val: { tag: 'err', val: 'inner' } }, { tag: 'ok' },
  { tag: 'err', val: 7 }, { tag: 'err', val: 'bad' }, { tag: 'err', val: { tag: 'closed' } },
  { tag: 'err', val: { tag: 'last-operation-failed', val: thing } }, { tag: 'err', val: { tag: 'nope' } },
  { tag: 'none' }, { tag: 'some', val: 4 }, { tag: 'other' }, { tag: 'post' }, { tag: 'other', val: 'PURGE' },
  [new Uint8Array([1]), [2, 3]], [[], 'x'],
  { get tag() { throw new Error('tag getter'); } },
];
/** Host behaviours: return each value, or throw one of these. */
const THROWS = [
  { payload: 'payload' }, { payload: { tag: 'closed' } }, { payload: 12 }, 'thrown string', 42,
  new Error('plain error'), new TypeError('type error'), new WebAssembly.RuntimeError('trap'),
  Object.assign(new WebAssembly.RuntimeError('trap with a payload'), { payload: 'not taken' }),
];
const behaviours = [...VALUES.map((v) => () => v), ...THROWS.map((e) => () => { throw e; })];

/**
 * A fresh instance-like context: 2 pages of patterned memory, a bump realloc, one handle table
 * already holding `held` handles (from 5 on, handle 2 dropped, so the free list is used), a dirty map.
 */
function env(held = 0) {
  const memory = new WebAssembly.Memory({ initial: 2 });
  new Uint8Array(memory.buffer).fill(0xa5);
  const reallocs = [];
  let next = 2 * PAGE + 16;
  const realloc = (_p, _o, align, size) => {
    next = Math.ceil(next / align) * align;
    const ptr = next;
    next += size;
    reallocs.push([align, size, ptr]);
    return ptr;
  };
  const table = new HandleTable(Thing, 'Thing');
  for (let i = 0; i < held; i++) table.lowerOwn(new Thing(-i));
  if (held > 4) table.drop(2);
  const cx = { memory, realloc, dv: undefined, u8: undefined, dirty: new Uint8Array(32), rt: [table], gt: [], enc: 0 };
  return { cx, memory, reallocs, table };
}

/** Runs `host` through a trampoline (generated: js `m`; generic: a name the generator refuses). */
function run(type, host, generated, retptr, held) {
  const e = env(held);
  const js = generated ? 'm' : 'not-an-identifier';
  const trampoline = compileImport({ params: [], result: type }, { k: 'static', js })({ cx: e.cx, host: { [js]: host } });
  assert.is(trampoline.name === 'trampoline', generated, 'the intended trampoline kind');
  let outcome;
  try {
    outcome = { returned: trampoline(retptr) };
  } catch (err) {
    outcome = { threw: `${err?.constructor?.name}: ${err?.message ?? err}` };
  }
  // The table's cells (handle → rep) and objects (rep → host object) as the call left them.
  const table = { slots: e.table.slots.slice(0, e.table.n), objects: [...e.table.objects].map(([rep, o]) => [rep, o?.n]) };
  return { outcome, memory: Buffer.from(e.memory.buffer).toString('base64'), dirty: [...e.cx.dirty], reallocs: e.reallocs, table };
}

test('every result and option store matches the generic trampoline on every host behaviour', () => {
  let compared = 0, stored = 0;
  for (const [name, type] of Object.entries(TYPES)) {
    for (const [i, host] of behaviours.entries()) {
      // Within a page, and ending just before or just after the next page (result sizes 2 to 24).
      for (const [k, retptr] of [64, PAGE - 1, PAGE - 7, PAGE - 8, PAGE - 11, PAGE - 15, PAGE - 23].entries()) {
        const held = (i + k) % 7;
        const a = run(type, host, true, retptr, held);
        const b = run(type, host, false, retptr, held);
        assert.equal(a, b, `${name}, behaviour ${i}, retptr ${retptr}`);
        compared++;
        if ('returned' in a.outcome) stored++;
      }
    }
  }
  // The comparison covered both stores that succeed and ones that throw.
  assert.ok(stored > 300 && compared - stored > 300, `${stored} stored of ${compared}`);
});

test('a stored ok handle, list and string read back as the host gave them', () => {
  const e = env();
  const ok = compileImport({ params: [], result: TYPES['result<own, stream-error>'] }, { k: 'func', js: '' })({ cx: e.cx, host: () => thing });
  ok(128);
  const dv = new DataView(e.memory.buffer);
  assert.is(dv.getUint8(128), 0);
  const h = dv.getInt32(132, true);
  assert.is(e.table.liftOwn(h), thing);
  assert.equal([...e.cx.dirty.keys()].filter((p) => e.cx.dirty[p]), [0]);
  const list = compileImport({ params: [], result: TYPES['result<list<u8>, stream-error>'] }, { k: 'func', js: '' })({ cx: e.cx, host: () => new Uint8Array([4, 5, 6]) });
  list(256);
  const [ptr, len] = [dv.getUint32(260, true), dv.getUint32(264, true)];
  assert.equal([dv.getUint8(256), len, ...new Uint8Array(e.memory.buffer, ptr, len)], [0, 3, 4, 5, 6]);
  const opt = compileImport({ params: [], result: TYPES['option<string>'] }, { k: 'func', js: '' })({ cx: e.cx, host: () => 'abc' });
  opt(512);
  const [sp, sl] = [dv.getUint32(516, true), dv.getUint32(520, true)];
  assert.equal([dv.getUint8(512), new TextDecoder().decode(new Uint8Array(e.memory.buffer, sp, sl))], [1, 'abc']);
});

test.run();
