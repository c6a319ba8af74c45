// Costs that follow the work (lib/instrument/bulk-ops.ts): bulk memory/table operations and growth
// are charged by size, checked against the deadline during the work, and count against the
// instance's total memory and table caps. Core modules here; test/limits/hostile.test.mjs runs the
// same attacks as components through the runtime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from '@bytecodealliance/jco';
import { instrumentModule } from '../../dist/instrument/index.js';
import { Meter, reservationOf } from '../../dist/limits/index.js';
import { BULK_BYTES_PER_FUEL, TICK_BYTES, GROW_FUEL_PER_PAGE } from '../../dist/instrument/bulk-ops.js';

const MiB = 1024 * 1024;
const WAT = `(module
  (memory (export "memory") 2049 4096)
  (table $t 8 funcref)
  (elem $e func $f $f $f $f)
  (data $d "${'\\01'.repeat(4096)}")
  (func $f)
  (func (export "fill") (param $d i32) (param $v i32) (param $n i32) (memory.fill (local.get $d) (local.get $v) (local.get $n)))
  (func (export "copy") (param $d i32) (param $s i32) (param $n i32) (memory.copy (local.get $d) (local.get $s) (local.get $n)))
  (func (export "init") (param $d i32) (param $n i32) (memory.init $d (local.get $d) (i32.const 0) (local.get $n)))
  (func (export "table_fill") (param $n i32) (table.fill $t (i32.const 0) (ref.null func) (local.get $n)))
  (func (export "table_init") (param $n i32) (table.init $t $e (i32.const 0) (i32.const 0) (local.get $n)))
  (func (export "table_grow") (param $n i32) (result i32) (table.grow $t (ref.null func) (local.get $n)))
  (func (export "grow") (param $n i32) (result i32) (memory.grow (local.get $n)))
  (func (export "fill_loop") (param $n i32) (loop $l (memory.fill (i32.const 0) (i32.const 7) (local.get $n)) (br $l)))
  (func (export "grow_by_pages") (result i32)
    (block $done (loop $l (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1))) (br $l)))
    (memory.size))
  (func (export "grow_zero_loop") (loop $l (drop (memory.grow (i32.const 0))) (br $l))))`;

const source = await parse(WAT);
const plain = () => new WebAssembly.Instance(new WebAssembly.Module(source)).exports;

/** A metered instance (own fuel counter, as the runtime meters) on its own meter; `work` calls counted. */
function metered({ caps, chunks } = {}) {
  const module = new WebAssembly.Module(instrumentModule(source, { meter: true, fuelGlobal: 'own', ...(chunks ? { bulkChunks: chunks } : {}) }).bytes);
  const meter = new Meter(caps ? { caps } : {});
  const calls = { tick: 0, grow: 0 };
  const work = meter.imports['sfirt:meter'].work;
  const imports = { 'sfirt:meter': { ...meter.imports['sfirt:meter'], work: (code, n) => { if ((code & 3) === 0) calls.tick++; if ((code & 3) === 1) calls.grow++; return work(code, n); } } };
  const [pages, elements] = reservationOf(module);
  meter.reserve(pages, elements);
  const exports = new WebAssembly.Instance(module, imports).exports;
  meter.attach(exports);
  return { exports, meter, calls };
}

/** Fuel one call uses. */
function fuelOf(m, f) {
  m.meter.start();
  f(m.exports);
  return m.meter.fuelUsed;
}

test('bulk memory and table operations cost fuel by size, exactly', () => {
  const m = metered();
  const per = (f) => fuelOf(m, (e) => f(e, 2)) - fuelOf(m, (e) => f(e, 1));
  assert.is(per((e, k) => e.fill(0, 1, k * MiB)), MiB / BULK_BYTES_PER_FUEL, 'fill');
  assert.is(per((e, k) => e.copy(4 * MiB, 0, k * MiB)), MiB / BULK_BYTES_PER_FUEL, 'copy');
  assert.is(per((e, k) => e.init(0, k * 2048)), 2048 / BULK_BYTES_PER_FUEL, 'init');
  assert.is(per((e, k) => e.table_fill(k * 4)), 4, 'table.fill: one unit per element');
  assert.is(per((e, k) => e.table_init(k * 2)), 2, 'table.init');
  // Deterministic: the same call uses the same fuel.
  assert.is(fuelOf(m, (e) => e.fill(0, 1, 3 * MiB)), fuelOf(m, (e) => e.fill(0, 1, 3 * MiB)));
});

test('a fuel limit stops a single huge fill before it runs, and a fill loop after its fuel', () => {
  const m = metered();
  m.meter.start({ fuel: 1000 });
  assert.throws(() => m.exports.fill(0, 1, 16 * MiB), WebAssembly.RuntimeError);
  assert.is(m.meter.stopReason, 'fuel');
  assert.is(new Uint8Array(m.exports.memory.buffer)[16 * MiB - 1], 0, 'the last chunk was never written');
  m.meter.start({ fuel: 1_000_000 });
  assert.throws(() => m.exports.fill_loop(16 * MiB), WebAssembly.RuntimeError);
  assert.is(m.meter.stopReason, 'fuel');
  assert.ok(m.meter.fuelUsed <= 1_000_000);
});

test('bulk work checks the deadline every TICK_BYTES, whatever the fuel slice', () => {
  const m = metered();
  m.meter.start(); // no deadline: no refills at all, only the ticks
  m.exports.fill(0, 1, 64 * MiB);
  assert.ok(Math.abs(m.calls.tick - (64 * MiB) / TICK_BYTES) <= 1, `${m.calls.tick} ticks for 64 MiB`);
  // Small operations count towards the same ticks.
  m.calls.tick = 0;
  m.meter.start();
  for (let i = 0; i < 1024; i++) m.exports.fill(0, 1, 8192);
  assert.ok(Math.abs(m.calls.tick - (1024 * 8192) / TICK_BYTES) <= 1, `${m.calls.tick} ticks for 1024 × 8 KiB`);
});

test('a deadline stops a loop of 128 MiB fills (each one is split into checked chunks)', () => {
  const m = metered();
  for (const n of [128 * MiB, 16 * MiB, 60_000]) {
    const t0 = performance.now();
    m.meter.start({ deadline: t0 + 30 });
    assert.throws(() => m.exports.fill_loop(n), WebAssembly.RuntimeError);
    const elapsed = performance.now() - t0;
    assert.is(m.meter.stopReason, 'deadline');
    // Generous: the machine running the tests may be loaded; without the checks this takes minutes.
    assert.ok(elapsed < 3000, `fill_loop(${n}) stopped after ${elapsed.toFixed(1)} ms`);
  }
});

test('chunked operations keep the spec semantics: bounds before any write, overlapping copies', () => {
  const m = metered({ chunks: { memoryBytes: 4096, tableElements: 3 } });
  const p = plain();
  const bytes = (e) => new Uint8Array(e.memory.buffer);
  for (const e of [m.exports, p]) {
    const b = bytes(e);
    for (let i = 0; i < 3 * MiB; i++) b[i] = (i * 31) & 0xff;
  }
  m.meter.start();
  m.exports.copy(1000, 0, 3 * MiB); p.copy(1000, 0, 3 * MiB); // dst above src: backwards
  m.exports.copy(0, 777, 2 * MiB); p.copy(0, 777, 2 * MiB); // dst below src: forwards
  assert.ok(Buffer.from(bytes(m.exports)).equals(Buffer.from(bytes(p))), 'same memory after overlapping copies');
  // Out of bounds: a trap, and nothing written (the whole range is checked before the first chunk).
  const size = m.exports.memory.buffer.byteLength;
  assert.throws(() => m.exports.fill(size - 10_000, 9, 10_001), /out of bounds/);
  assert.is(bytes(m.exports)[size - 10_000], 0);
  assert.throws(() => m.exports.fill(100, 9, -1), /out of bounds/, 'an end past 2^32');
  assert.is(bytes(m.exports)[100], bytes(p)[100]);
  assert.throws(() => m.exports.copy(0, size - 8192, 8193), /out of bounds/);
  assert.throws(() => m.exports.init(0, 4097), /out of bounds/, 'past the data segment');
  assert.throws(() => m.exports.table_fill(9), /out of bounds/);
});

test('random bulk operations in tiny chunks leave the same memory and trap the same way as the plain module', () => {
  let seed = 12345;
  const rand = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  const m = metered({ chunks: { memoryBytes: 7, tableElements: 3 } });
  const p = plain();
  m.meter.start();
  const size = p.memory.buffer.byteLength;
  const near = () => [rand(64), size - rand(64), rand(size), (size >> 1) + rand(64) - 32, 0xffffffff - rand(16)][rand(5)] >>> 0;
  const len = () => [rand(20), rand(5000), rand(300_000), size - rand(10), 0xffffffff - rand(8)][rand(5)] | 0;
  const outcome = (f) => { try { f(); return 'ok'; } catch (e) { return e.constructor.name + ':' + e.message; } };
  for (let i = 0; i < 3000; i++) {
    const op = rand(5);
    const args = op === 0 ? [near(), rand(256), len()] : op === 1 ? [near(), near(), len()] : op === 2 ? [near(), rand(4200)] : [rand(12)];
    const name = ['fill', 'copy', 'init', 'table_fill', 'table_init'][op];
    const a = outcome(() => m.exports[name](...args));
    const b = outcome(() => p[name](...args));
    assert.is(a, b, `${name}(${args})`);
    if (i % 500 === 499) assert.ok(Buffer.from(m.exports.memory.buffer).equals(Buffer.from(p.memory.buffer)), `memory differs after op ${i}`);
  }
});

test('growth is charged by pages and checks the deadline on every grow', () => {
  const m = metered();
  const one = fuelOf(m, (e) => e.grow(1));
  const five = fuelOf(m, (e) => e.grow(5));
  assert.is(five - one, 4 * GROW_FUEL_PER_PAGE);
  assert.is(m.calls.grow, 2);
  // Page by page to the 4096-page maximum: each grow can cost V8 a full GC; the deadline holds.
  const t0 = performance.now();
  m.meter.start({ deadline: t0 + 30 });
  let stopped = false;
  try { m.exports.grow_by_pages(); } catch { stopped = true; }
  const elapsed = performance.now() - t0;
  if (stopped) assert.is(m.meter.stopReason, 'deadline');
  else assert.ok(elapsed < 60, `grew to the maximum in ${elapsed.toFixed(1)} ms without being stopped`);
  assert.ok(elapsed < 3000, `stopped after ${elapsed.toFixed(1)} ms`);
  // memory.grow(0) does no work but still costs V8 a new buffer: the loop is stopped too.
  m.meter.start({ deadline: performance.now() + 20 });
  assert.throws(() => m.exports.grow_zero_loop(), WebAssembly.RuntimeError);
  assert.is(m.meter.stopReason, 'deadline');
});

test("an instance's memories and tables share one cap", () => {
  const m = metered({ caps: { memoryPages: 2100, tableElements: 20 } });
  assert.equal(m.meter.held, { memoryPages: 2049, tableElements: 8 });
  m.meter.start();
  assert.is(m.exports.grow(52), -1, 'refused inside the guest: 2049 + 52 > 2100');
  assert.is(m.meter.stopReason, 'memory');
  assert.is(m.exports.grow(51), 2049);
  assert.is(m.exports.grow(1), -1);
  assert.is(m.exports.table_grow(13), -1);
  assert.is(m.exports.table_grow(12), 8);
  assert.equal(m.meter.held, { memoryPages: 2100, tableElements: 20 });
  // A second module of the same instance draws on the same totals.
  assert.throws(() => m.meter.reserve(1, 0), (e) => e.code === 'LIMIT_TOO_LOW');
  // A grow V8 refuses (past the memory's own maximum) gives its reservation back.
  const big = metered({ caps: { memoryPages: 100_000 } });
  big.meter.start();
  assert.is(big.exports.grow(5000), -1);
  assert.equal(big.meter.held.memoryPages, 2049);
});

test('a table grown by one element at a time pays for the whole table each time (V8 copies it)', () => {
  const m = metered({ caps: { tableElements: 100_000 } });
  const at = (n) => { m.meter.start(); for (let i = 0; i < n; i++) m.exports.table_grow(1); return m.meter.fuelUsed; };
  const first = at(100);
  const later = at(100);
  assert.ok(later > first + 100 * 90, `second 100 grows ${later} fuel vs first ${first}`);
});

test.run();
