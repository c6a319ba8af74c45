// Dirty-page tracking (lib/instrument/dirty-pages.ts + lib/pool/snapshot.ts): after any write a
// guest can make — every store width at every position around page boundaries, bulk operations
// spanning pages, stores through an imported memory — restoring the snapshot gives back the whole
// memory exactly as it was. And the guest cannot reach a dirty map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from '@bytecodealliance/jco';
import { MULTI_MEMORY, trackDirtyPages, DIRTY_EXPORT_PREFIX, DIRTY_PAGE_SHIFT } from '../../dist/instrument/dirty-pages.js';
import { exportState } from '../../dist/instrument/export-state.js';
import { instrumentModule } from '../../dist/instrument/index.js';
import { collectState, InstanceSnapshot } from '../../dist/pool/snapshot.js';
import { instantiateComponent } from '../../dist/pool/instance.js';
import { Meter } from '../../dist/limits/index.js';
import { testUnless } from '../helpers.mjs';

const needs = testUnless(MULTI_MEMORY ? undefined : `no multi-memory on Node ${process.version} (Node 20: resets copy whole memories)`);
/** A tracked page (the map's unit), not the 64 KiB wasm page. */
const PAGE = 2 ** DIRTY_PAGE_SHIFT;

/** Rewritten as a `reset` pool rewrites it (metered too, so bulk ops go through their helpers). */
async function tracked(wat, { meter = true } = {}) {
  let bytes = await parse(wat);
  if (meter) bytes = instrumentModule(bytes, { meter: true, selfContained: true, bulkChunks: { memoryBytes: 7000, tableElements: 3 } }).bytes;
  const out = trackDirtyPages(exportState(bytes));
  return out;
}

function snapshotOf(instance) {
  const state = { globals: [], tables: [], memories: [], dirty: [] };
  collectState(instance.exports, state);
  return { state, snapshot: new InstanceSnapshot(state) };
}

/** Fills the memory with a pattern so a lost restore shows, returns a copy. */
function pattern(memory) {
  const m = new Uint8Array(memory.buffer);
  for (let i = 0; i < m.length; i += 1) m[i] = (i * 7 + (i >>> 16)) & 0xff;
  return m.slice();
}

function assertSame(memory, expected, what) {
  const now = new Uint8Array(memory.buffer);
  assert.is(now.length, expected.length, `${what}: size`);
  if (Buffer.compare(now, expected) !== 0) {
    const at = now.findIndex((b, i) => b !== expected[i]);
    assert.unreachable(`${what}: byte ${at} (page ${at >>> DIRTY_PAGE_SHIFT}, offset ${at & (PAGE - 1)}) is ${now[at]}, snapshot has ${expected[at]}`);
  }
}

needs('one byte written to page N of a 16 MiB memory: after reset the whole memory equals the snapshot, and only that page is marked', async () => {
  const { bytes, tracked: ok } = await tracked(`(module (memory (export "memory") 256 256)
    (data (i32.const 70000) "initial data")
    (func (export "poke") (param $a i32) (param $v i32) (i32.store8 (local.get $a) (local.get $v))))`);
  assert.ok(ok);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const { state, snapshot } = snapshotOf(instance);
  const expected = new Uint8Array(state.memories[0].buffer).slice();
  const map = state.dirty[0];
  assert.ok(map, 'the memory has a dirty map');
  for (const page of [0, 1, 77, 128, 255]) {
    instance.exports.poke(page * PAGE + (PAGE >> 1) + 45, 0xab);
    assert.equal([...map.keys()].filter((k) => map[k]), [page]);
    assert.ok(snapshot.restore());
    assert.is(map.indexOf(1), -1, 'restore clears the map');
    assertSame(state.memories[0], expected, `page ${page}`);
  }
});

needs('many writes scattered over a 16 MiB memory (runs across 16-mark blocks, the last page): one reset restores them all and clears the map', async () => {
  const { bytes } = await tracked(`(module (memory (export "memory") 256 256)
    (func (export "poke") (param $a i32) (param $v i32) (i32.store8 (local.get $a) (local.get $v))))`);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const expected = pattern(instance.exports.memory);
  const { state, snapshot } = snapshotOf(instance);
  const map = state.dirty[0];
  const pages = (256 * 65536) / PAGE;
  const sets = [[15, 16, 17], [0, 31, 32, 47], [pages - 1], [pages - 17, pages - 16, pages - 2], Array.from({ length: 41 }, (_, k) => 2000 + k), [1, 3, 5, 7, 9, 11, 13, 15, 17]];
  let seed = 7;
  for (let round = 0; round < 40; round++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const chosen = round < sets.length ? sets[round] : Array.from({ length: 1 + (seed % 30) }, (_, k) => ((seed >>> 3) * (k + 1) * 2654435761) % pages >>> 0);
    for (const page of chosen) instance.exports.poke(page * PAGE + ((page * 131) % PAGE), 0x5a ^ page);
    assert.ok(snapshot.restore());
    assert.is(map.indexOf(1), -1, `round ${round}: the map is clear`);
    assertSame(state.memories[0], expected, `round ${round}`);
  }
});

const STORES = [
  ['i32.store', 4, 'i32.const -1'], ['i32.store8', 1, 'i32.const -1'], ['i32.store16', 2, 'i32.const -1'],
  ['i64.store', 8, 'i64.const -1'], ['i64.store8', 1, 'i64.const -1'], ['i64.store16', 2, 'i64.const -1'], ['i64.store32', 4, 'i64.const -1'],
  ['f32.store', 4, 'f32.const -nan'], ['f64.store', 8, 'f64.const -nan'], ['v128.store', 16, 'v128.const i64x2 -1 -1'],
  ['v128.store64_lane 1', 8, 'v128.const i64x2 -1 -1'], ['v128.store32_lane 3', 4, 'v128.const i64x2 -1 -1'],
  ['v128.store16_lane 7', 2, 'v128.const i64x2 -1 -1'], ['v128.store8_lane 15', 1, 'v128.const i64x2 -1 -1'],
  ['i32.atomic.store', 4, 'i32.const -1'], ['i64.atomic.store', 8, 'i64.const -1'], ['i32.atomic.store8', 1, 'i32.const -1'],
  ['i64.atomic.store32', 4, 'i64.const -1'],
  ['i32.atomic.rmw.add', 4, 'i32.const 5', 'drop'], ['i64.atomic.rmw.xchg', 8, 'i64.const -1', 'drop'],
  ['i32.atomic.rmw8.or_u', 1, 'i32.const 255', 'drop'], ['i64.atomic.rmw32.sub_u', 4, 'i64.const 3', 'drop'],
  ['i32.atomic.rmw.cmpxchg', 4, 'i32.const 0 i32.const -1', 'drop'], ['i64.atomic.rmw.cmpxchg', 8, 'i64.const 0 i64.const -1', 'drop'],
];

needs('every store width, at every position across a page boundary and through offsets: reset restores all of it', async () => {
  const funcs = STORES.map(([op, , value, after = ''], i) => {
    const [name, lane = ''] = op.split(' ');
    return `(func (export "s${i}") (param $a i32) local.get $a ${value} ${name} offset=3 ${op.startsWith('i32.atomic') || op.startsWith('i64.atomic') ? '' : 'align=1'} ${lane} ${after})`;
  });
  const { bytes } = await tracked(`(module (memory (export "memory") 4 4) ${funcs.join('\n')})`);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = instance.exports.memory;
  const expected = pattern(memory);
  const { snapshot } = snapshotOf(instance);
  for (let i = 0; i < STORES.length; i++) {
    const [op, width] = STORES[i];
    const atomic = op.includes('atomic');
    for (const boundary of [PAGE, 2 * PAGE, 3 * PAGE]) {
      for (let start = boundary - width - 1; start <= boundary + 1; start++) {
        if (atomic && start % width !== 0) continue; // atomics trap unaligned
        instance.exports[`s${i}`](start - 3);
        assert.ok(snapshot.restore());
        assertSame(memory, expected, `${op} at ${start}`);
      }
    }
  }
});

needs('memory.fill, memory.copy and memory.init spanning pages (chunked by the meter) are restored; n = 0 and traps too', async () => {
  const { bytes } = await tracked(`(module (memory (export "memory") 8 8)
    (data $d "0123456789abcdefghijklmnopqrstuvwxyz")
    (func (export "fill") (param $d i32) (param $n i32) (memory.fill (local.get $d) (i32.const 0xee) (local.get $n)))
    (func (export "copy") (param $d i32) (param $s i32) (param $n i32) (memory.copy (local.get $d) (local.get $s) (local.get $n)))
    (func (export "init") (param $d i32) (param $n i32) (memory.init $d (local.get $d) (i32.const 0) (local.get $n))))`);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = instance.exports.memory;
  const W = 65536; // wasm pages: spans of many tracked pages, and the memory's bounds
  const expected = pattern(memory);
  const { snapshot } = snapshotOf(instance);
  const cases = [
    ['fill', W - 1, 2], ['fill', 3 * W - 100, 2 * W + 200], ['fill', 0, 8 * W], ['fill', 5 * W, 0],
    ['copy', W - 10, 5 * W, 20], ['copy', 6 * W + 5, 2 * W, W + 30_000], ['copy', 100, 4 * W - 50, 3 * W],
    ['init', 2 * W - 17, 36], ['init', 7 * W + 65530, 6],
  ];
  for (const [op, ...args] of cases) {
    instance.exports[op](...args);
    assert.ok(snapshot.restore());
    assertSame(memory, expected, `${op}(${args})`);
  }
  for (const [op, ...args] of [['fill', 7 * W, W + 1], ['copy', 0, 7 * W, 2 * W], ['fill', -W, 2 * W]]) {
    assert.throws(() => instance.exports[op](...args), /out of bounds/);
    assert.ok(snapshot.restore());
    assertSame(memory, expected, `trapping ${op}(${args})`);
  }
});

needs('a module with two memories: each memory\'s writes mark its own map, and both are restored', async () => {
  const { bytes, tracked: ok } = await tracked(`(module (memory $a (export "a") 3 3) (memory $b (export "b") 5 5)
    (func (export "pa") (param i32) (i64.store $a (local.get 0) (i64.const -1)))
    (func (export "pb") (param i32) (i32.store16 $b offset=7 (local.get 0) (i32.const -1)))
    (func (export "cp") (param i32 i32 i32) (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2))))`);
  assert.ok(ok);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const { a, b } = instance.exports;
  const expectA = pattern(a);
  const expectB = pattern(b);
  const { state, snapshot } = snapshotOf(instance);
  assert.is(state.memories.length, 2);
  assert.ok(state.dirty[0] && state.dirty[1] && state.dirty[0] !== state.dirty[1], 'one map per memory');
  instance.exports.pa(2 * PAGE - 3);
  instance.exports.pb(4 * PAGE - 8);
  instance.exports.cp(PAGE - 5, 0, PAGE + 10);
  assert.equal([...state.dirty[0].keys()].filter((k) => state.dirty[0][k]), [1]);
  assert.equal([...state.dirty[1].keys()].filter((k) => state.dirty[1][k]), [0, 1, 2, 3]); // pb: page 3; cp: pages 0-2
  assert.ok(snapshot.restore());
  assertSame(a, expectA, 'memory a');
  assertSame(b, expectB, 'memory b');
});

/** A loaded-component stand-in whose instantiate runs `body(instantiateCore)`. */
const fakeComponent = (body, glue = 'fast') => ({ glue, instantiate: (_imports, ic) => body(ic) });

needs('stores and bulk operations through an imported memory mark the owner\'s map (wired as the runtime instantiates)', async () => {
  const owner = new WebAssembly.Module((await tracked(`(module (memory (export "memory") 4 4) (func (export "noop")))`)).bytes);
  const { bytes: userBytes, tracked: ok } = await tracked(`(module (import "main" "memory" (memory 4 4))
    (func (export "poke") (param $a i32) (i64.store (local.get $a) (i64.const -1)))
    (func (export "fill") (param $d i32) (param $n i32) (memory.fill (local.get $d) (i32.const 1) (local.get $n))))`);
  assert.ok(ok);
  assert.ok(WebAssembly.Module.imports(new WebAssembly.Module(userBytes)).some((i) => i.module === 'sfirt:dirty'), 'the importer takes the map');
  let user;
  let expected;
  const instance = instantiateComponent(fakeComponent((ic) => {
    const main = ic(owner, {});
    user = ic(new WebAssembly.Module(userBytes), { main: { memory: main.exports.memory } });
    expected = pattern(main.exports.memory); // initialisation: part of the snapshot
    return { memory: main.exports.memory };
  }), {}, { snapshot: true, dirtyPages: true });
  const memory = instance.exports.memory;
  for (const [op, ...args] of [['poke', 2 * PAGE - 4], ['poke', 3 * PAGE + 9], ['fill', PAGE - 1, PAGE + 2]]) {
    user.exports[op](...args);
    assert.ok(instance.snapshot.restore());
    assertSame(memory, expected, `${op}(${args}) through the import`);
  }
});

test('a guest cannot name a dirty map: memory indices past its own, map export names and data segments are refused', async () => {
  // Each names memory 1 of a one-memory module (invalid as it is, so built as binaries): after the
  // rewrite memory 1 would be the map.
  const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
  const section = (id, body) => [id, ...leb(body.length), ...body];
  const mod = (...sections) => new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...sections.flat()]);
  const type = section(1, [1, 0x60, 0, 0]);
  const func = section(3, [1, 0]);
  const mem = section(5, [1, 0, 1]);
  const body = (...code) => section(10, [1, ...leb(code.length + 2), 0, ...code, 0x0b]);
  const cases = {
    'store to memory 1': mod(type, func, mem, body(0x41, 0, 0x41, 0, 0x3a, 0x40, 1, 0)),
    'load from memory 1': mod(type, func, mem, body(0x41, 0, 0x2d, 0x40, 1, 0, 0x1a)),
    'memory.fill on memory 1': mod(type, func, mem, body(0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 11, 1)),
    'memory.copy from memory 1': mod(type, func, mem, body(0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 10, 0, 1)),
    'memory.size of memory 1': mod(type, func, mem, body(0x3f, 1, 0x1a)),
    'memory.grow of memory 1': mod(type, func, mem, body(0x41, 0, 0x40, 1, 0x1a)),
    'export of memory 1': mod(type, func, mem, section(7, [1, 1, 0x6d, 2, 1]), body()),
    'data segment into memory 1': mod(type, func, mem, body(), section(11, [1, 2, 1, 0x41, 0, 0x0b, 1, 0x55])),
    'an export named like a map': mod(type, func, mem, section(7, [1, ...leb(DIRTY_EXPORT_PREFIX.length + 1), ...Buffer.from(`${DIRTY_EXPORT_PREFIX}0`), 2, 0]), body()),
  };
  for (const [what, bytes] of Object.entries(cases)) {
    assert.throws(() => trackDirtyPages(bytes), (e) => e.code === 'INVALID_MODULE', what);
  }
});

needs('a dirty map handed to any other import is refused', async () => {
  const owner = new WebAssembly.Module((await tracked(`(module (memory (export "memory") 1 1) (func (export "noop")))`)).bytes);
  const thief = new WebAssembly.Module(await parse(`(module (import "x" "m" (memory 1 1)) (func (export "clear") (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536))))`));
  assert.throws(() => instantiateComponent(fakeComponent((ic) => {
    const main = ic(owner, {});
    ic(thief, { x: { m: main.exports[`${DIRTY_EXPORT_PREFIX}0`] } });
    return {};
  }), {}, { snapshot: true, dirtyPages: true }), (e) => e.code === 'INVALID_COMPONENT');
});

needs('untrackable shapes fall back to the full copy: a module importing and defining memories, jco glue', async () => {
  const mixed = await tracked(`(module (import "a" "m" (memory 1)) (memory 1) (func (export "noop")))`);
  assert.is(mixed.tracked, false);
  const owner = new WebAssembly.Module((await tracked(`(module (memory (export "memory") 2 2) (func (export "poke") (param i32) (i32.store (local.get 0) (i32.const -1))))`)).bytes);
  const untrackedUser = new WebAssembly.Module(await parse(`(module (import "main" "memory" (memory 2 2)) (func (export "poke") (param i32) (i32.store (local.get 0) (i32.const -1))))`));
  for (const [what, glue, user] of [['importer without maps', 'fast', untrackedUser], ['jco glue', 'jco', undefined]]) {
    let poke;
    const instance = instantiateComponent(fakeComponent((ic) => {
      const main = ic(owner, {});
      poke = user ? ic(user, { main: { memory: main.exports.memory } }).exports.poke : undefined;
      return { memory: main.exports.memory, main: main.exports };
    }, glue), {}, { snapshot: true, dirtyPages: true });
    const memory = instance.exports.memory;
    // a host (or untracked module) write the map never sees
    new Uint8Array(memory.buffer)[PAGE + 5] = 9;
    poke?.(100);
    assert.ok(instance.snapshot.restore());
    assert.is(new Uint8Array(memory.buffer)[PAGE + 5], 0, what);
    assert.is(new Uint8Array(memory.buffer)[100], 0, what);
  }
});

needs('a memory that grew is not restored (the instance is replaced); the inserted code is not metered', async () => {
  const wat = `(module (memory (export "memory") 1 4)
    (func (export "grow") (drop (memory.grow (i32.const 1))))
    (func (export "work") (param $n i32) (loop $l (i32.store (local.get $n) (local.get $n)) (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 4)))))))`;
  const instance = new WebAssembly.Instance(new WebAssembly.Module((await tracked(wat)).bytes));
  const { snapshot } = snapshotOf(instance);
  instance.exports.grow();
  assert.is(snapshot.restore(), false);
  // Fuel: the same metered module with and without tracking uses the same fuel.
  const fuelOf = (bytes) => {
    const meter = new Meter();
    const i = new WebAssembly.Instance(new WebAssembly.Module(bytes), meter.imports);
    meter.attach(i.exports);
    meter.start({});
    i.exports.work(4000);
    return meter.fuelUsed;
  };
  const metered = instrumentModule(await parse(wat), { meter: true, fuelGlobal: 'own' }).bytes;
  const used = fuelOf(metered);
  assert.ok(used > 4000);
  assert.is(fuelOf(trackDirtyPages(metered).bytes), used);
});

test.run();
