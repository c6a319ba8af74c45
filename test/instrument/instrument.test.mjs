// instrumentModule: caps, errors, byte-for-byte copying, and that rewritten code behaves the same.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instrumentModule, InvalidModuleError } from '../../dist/instrument/index.js';
import { exportState, STATE_EXPORT_PREFIX } from '../../dist/instrument/export-state.js';
import { Meter } from '../../dist/limits/index.js';
import { LimitTooLowError } from '../../dist/errors.js';
import { testUnless } from '../helpers.mjs';

const fixture = (name) => new Uint8Array(readFileSync(new URL(`../limits/fixtures/${name}.wasm`, import.meta.url)));

test('memory cap below the declared minimum → LimitTooLowError naming both numbers', () => {
  const err = (() => { try { instrumentModule(fixture('memory-grow'), { memoryMaxPages: 1 }); } catch (e) { return e; } })();
  assert.instance(err, LimitTooLowError);
  assert.is(err.code, 'LIMIT_TOO_LOW');
  assert.match(err.message, /minimum of 2 pages/);
  assert.match(err.message, /cap of 1 pages/);
});

test('memory cap: reported per memory and enforced by the engine', () => {
  const r = instrumentModule(fixture('memory-grow'), { memoryMaxPages: 3 });
  assert.equal(r.memories, [{ index: 0, imported: false, shared: false, minPages: 2, maxPages: 3, capped: true }]);
  assert.is(r.importsMeter, false);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(r.bytes));
  assert.is(exports.grow(1), 2);
  assert.is(exports.grow(1), -1);
  assert.is(exports.memory.buffer.byteLength, 3 * 65536);
});

test('memory cap also rewrites imported memories', () => {
  // (module (import "m" "mem" (memory 1)))
  const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 0x0a, 1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 2, 0, 1]);
  const r = instrumentModule(bytes, { memoryMaxPages: 10 });
  assert.equal(r.memories, [{ index: 0, imported: true, shared: false, minPages: 1, maxPages: 10, capped: true }]);
  const imp = WebAssembly.Module.imports(new WebAssembly.Module(r.bytes));
  assert.is(imp[0].kind, 'memory');
  // A memory whose max is above the cap cannot be imported any more.
  assert.throws(() => new WebAssembly.Instance(new WebAssembly.Module(r.bytes), { m: { mem: new WebAssembly.Memory({ initial: 1, maximum: 20 }) } }));
  new WebAssembly.Instance(new WebAssembly.Module(r.bytes), { m: { mem: new WebAssembly.Memory({ initial: 1, maximum: 10 }) } });
});

test('table cap: table.grow fails past it; below the minimum → LimitTooLowError', () => {
  const r = instrumentModule(fixture('table-grow'), { tableMaxElements: 3 });
  assert.equal(r.tables, [{ index: 0, imported: false, minElements: 2, maxElements: 3, refType: 0x70 }]);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(r.bytes));
  assert.is(exports.grow(1), 2);
  assert.is(exports.grow(1), -1);
  assert.is(exports.size(), 3);
  assert.throws(() => instrumentModule(fixture('table-grow'), { tableMaxElements: 1 }), (e) => e instanceof LimitTooLowError && /minimum of 2 elements/.test(e.message) && /cap of 1/.test(e.message));
});

test('invalid input → InvalidModuleError (INVALID_MODULE)', () => {
  const good = fixture('cpu-guests');
  const cases = {
    empty: new Uint8Array(0),
    random: Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff),
    truncated: good.subarray(0, good.length - 3),
    component: Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]),
    badOpcode: (() => { const b = good.slice(); const i = b.lastIndexOf(0x0c); b[i] = 0xff; return b; })(),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const err = (() => { try { instrumentModule(bytes, { meter: true }); } catch (e) { return e; } })();
    assert.instance(err, InvalidModuleError, name);
    assert.is(err.code, 'INVALID_MODULE', name);
  }
  assert.throws(() => instrumentModule(good, { memoryMaxPages: -1 }), (e) => e.code === 'INVALID_ARGUMENT');
});

test('metering appends helper functions: a function index past the original ones stays invalid', () => {
  const head = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0];
  const cases = {
    // (export "a" (func 1)) with one function: index 1 would be the appended `refuel` helper
    export: [...head, 7, 5, 1, 1, 0x61, 0, 1, 10, 4, 1, 2, 0, 0x0b],
    // (func call 1)
    call: [...head, 10, 6, 1, 4, 0, 0x10, 1, 0x0b],
  };
  for (const [name, list] of Object.entries(cases)) {
    const bytes = Uint8Array.from(list);
    assert.not.ok(WebAssembly.validate(bytes), `${name}: the original is invalid`);
    for (const fuelGlobal of ['imported', 'own']) {
      const err = (() => { try { instrumentModule(bytes, { meter: true, fuelGlobal }); } catch (e) { return e; } })();
      assert.instance(err, InvalidModuleError, `${name} (${fuelGlobal})`);
    }
  }
});

test("metering keeps the module's share of small functions (V8 sizes its inlining budget by it)", async () => {
  const { fillerCount, SMALL_BODY_BYTES } = await import('../../dist/instrument/inlining-share.js');
  assert.is(fillerCount(6, 19, 2, 24), 9); // (2 + 9) / (24 + 9) = 1/3 >= 6/19
  assert.is(fillerCount(0, 10, 0, 12), 0);
  assert.is(fillerCount(10, 10, 0, 12), 10); // aims at 50% at most, and adds at most the original count
  assert.is(fillerCount(3, 10, 5, 12), 0);
  assert.is(fillerCount(6, 19, 2, 24, 4), 4); // never past V8's function limit
  const share = (bytes) => {
    const m = new WebAssembly.Module(bytes);
    const sizes = codeSizes(bytes);
    return { small: sizes.filter((s) => s < SMALL_BODY_BYTES).length, total: sizes.length, m };
  };
  const original = fixture('cpu-guests');
  const before = share(original);
  for (const fuelGlobal of ['imported', 'own']) {
    const after = share(instrumentModule(original, { meter: true, fuelGlobal }).bytes);
    const target = Math.min(before.small / before.total, 0.5);
    assert.ok(after.small / after.total >= target || after.total - before.total > before.total, `${after.small}/${after.total} small after, ${before.small}/${before.total} before`);
  }
});

/** Body sizes in the code section. */
function codeSizes(b) {
  let p = 8;
  const sizes = [];
  const u = () => { let r = 0, s = 0, c; do { c = b[p++]; r += (c & 0x7f) * 2 ** s; s += 7; } while (c & 0x80); return r; };
  while (p < b.length) {
    const id = b[p++];
    const len = u();
    const end = p + len;
    if (id === 10) { const n = u(); for (let i = 0; i < n; i++) { const s = u(); sizes.push(s); p += s; } }
    p = end;
  }
  return sizes;
}

test('no options: the module comes back byte for byte', () => {
  for (const name of ['cpu-guests', 'loops', 'eh-guest', 'memory-grow', 'table-grow']) {
    assert.equal(instrumentModule(fixture(name)).bytes, fixture(name), name);
  }
});

test('metering keeps custom sections and renumbers the name section (guest stack traces keep names)', () => {
  const src = fixture('cpu-guests');
  const custom = (name, payload) => [0, name.length + 1 + payload.length, name.length, ...Buffer.from(name), ...payload];
  // name section: function names subsection (id 1) naming function 0 "fib".
  const fnNames = [1, 0, 3, ...Buffer.from('fib')];
  const bytes = Uint8Array.from([...src, ...custom('x', [1, 2, 3]), ...custom('name', [1, fnNames.length, ...fnNames])]);
  const r = instrumentModule(bytes, { meter: true });
  const out = new WebAssembly.Module(r.bytes);
  assert.equal([...new Uint8Array(WebAssembly.Module.customSections(out, 'x')[0])], [1, 2, 3]);
  const names = [...new Uint8Array(WebAssembly.Module.customSections(out, 'name')[0])];
  // cpu-guests has no imports: the three meter helpers take indices 0 to 2, so fib (0) becomes 3.
  assert.equal(names, [1, 6, 1, 3, 3, ...Buffer.from('fib')]);
  // The name shows up in a trap's stack trace of the metered module.
  const meter = new Meter();
  const inst = new WebAssembly.Instance(out, meter.imports);
  meter.start({ fuel: 10 });
  try { inst.exports.fib(20); assert.unreachable(); } catch (e) { assert.match(e.stack, /fib/); }
});

test('metered control flow computes the same results (param loops, br_table, returns, tail calls)', () => {
  const plain = new WebAssembly.Instance(new WebAssembly.Module(fixture('loops'))).exports;
  for (const selfContained of [false, true]) {
    const meter = new Meter();
    const { bytes } = instrumentModule(fixture('loops'), { meter: true, selfContained });
    const m = new WebAssembly.Instance(new WebAssembly.Module(bytes), selfContained ? {} : meter.imports).exports;
    for (const n of [1, 2, 10, 1000]) assert.is(m.sum_param_loop(n), plain.sum_param_loop(n));
    for (const x of [1, 7, 27, 97, 871]) assert.is(m.collatz(x), plain.collatz(x));
    for (const n of [0, 15, 16, 1000, 123456]) assert.is(m.isqrt_ceil(n), plain.isqrt_ceil(n));
    assert.is(m.count(100_000, 0), plain.count(100_000, 0));
  }
});

const ortWasm = fileURLToPath(new URL('../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm', import.meta.url));
const ortTest = testUnless(existsSync(ortWasm) ? undefined : 'onnxruntime-web wasm not installed');
ortTest('the 14 MB onnxruntime-web module instruments and validates', () => {
  const bytes = new Uint8Array(readFileSync(ortWasm));
  const t0 = performance.now();
  const r = instrumentModule(bytes, { meter: true, memoryMaxPages: 16384 });
  const ms = performance.now() - t0;
  assert.ok(WebAssembly.validate(r.bytes));
  assert.ok(r.meteredFunctions > 10_000);
  assert.is(r.memories[0].shared, true);
  console.log(`  ort-wasm-simd-threaded.wasm: ${(bytes.length / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms (${(bytes.length / 1e6 / (ms / 1000)).toFixed(1)} MB/s), output ${(r.bytes.length / 1e6).toFixed(1)} MB`);
});

ortTest('onnxruntime-web runs metered: _OrtInit succeeds, fuel is deterministic, a fuel limit stops it', async () => {
  const factory = (await import('onnxruntime-web/ort-wasm-simd-threaded.mjs')).default;
  const module = new WebAssembly.Module(instrumentModule(new Uint8Array(readFileSync(ortWasm)), { meter: true }).bytes);
  const boot = async (limits) => {
    const meter = new Meter();
    const ort = await factory({
      numThreads: 1,
      instantiateWasm(imports, done) {
        done(new WebAssembly.Instance(module, { ...imports, ...meter.imports }), module);
        return {};
      },
    });
    meter.start(limits);
    try {
      return { rc: ort._OrtInit(1, 3), fuel: meter.fuelUsed, meter };
    } catch (error) {
      return { error, fuel: meter.fuelUsed, meter };
    }
  };
  const full = await boot({});
  assert.is(full.rc, 0);
  assert.ok(full.fuel > 1_000_000, `OrtInit used ${full.fuel} fuel`);
  const limited = await boot({ fuel: Math.floor(full.fuel / 3) });
  assert.instance(limited.error, WebAssembly.RuntimeError);
  assert.is(limited.meter.stopReason, 'fuel');
  console.log(`  onnxruntime-web _OrtInit metered: ${full.fuel} fuel; stopped at ${limited.fuel} with a limit of ${Math.floor(full.fuel / 3)}`);
});

test("exportState leaves the meter's own fuel global to the Meter", () => {
  const names = (bytes) => WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => `${e.name}:${e.kind}`);
  const shared = names(exportState(instrumentModule(fixture('shared-b'), { meter: true }).bytes));
  const own = names(exportState(instrumentModule(fixture('shared-b'), { meter: true, fuelGlobal: 'own' }).bytes));
  // shared-b defines one mutable global ($g), index 1 after the fuel global (imported or own, index 0).
  assert.equal(shared.filter((n) => n.startsWith(STATE_EXPORT_PREFIX)), [`${STATE_EXPORT_PREFIX}global:1:global`]);
  assert.equal(own.filter((n) => n.startsWith(STATE_EXPORT_PREFIX)), [`${STATE_EXPORT_PREFIX}global:1:global`]);
  assert.ok(own.includes('sfirt:meter:fuel:global'));
});

test('exportState leaves out tables nothing can write after instantiation (not exported, no table.set/grow/fill/copy/init)', () => {
  const stateTables = (bytes) => WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name).filter((n) => n.startsWith(`${STATE_EXPORT_PREFIX}table:`));
  // table-state.wat: 0 only read; 1 set; 2 exported; 3 copied into; 4 init; 5 fill; 6 grow.
  const expected = [1, 2, 3, 4, 5, 6].map((i) => `${STATE_EXPORT_PREFIX}table:${i}`);
  assert.equal(stateTables(exportState(fixture('table-state'))).sort(), expected);
  // After metering (the bulk-op checks keep the table instructions): the same tables.
  assert.equal(stateTables(exportState(instrumentModule(fixture('table-state'), { meter: true, fuelGlobal: 'own', tableMaxElements: 100 }).bytes)).sort(), expected);
  // The rewritten module runs as before.
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(exportState(fixture('table-state'))));
  exports.write();
  assert.is(exports.read(), 2);
});

test.run();
