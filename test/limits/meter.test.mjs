// Host side of the metering: Meter + classifyTrap against small hand-written guests
// (test/limits/fixtures/*.wat, prebuilt with `wat2wasm --enable-all`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { instrumentModule } from '../../dist/instrument/index.js';
import { Meter, classifyTrap, METER_IMPORT_MODULE } from '../../dist/limits/index.js';

const fixture = (name) => readFileSync(new URL(`./fixtures/${name}.wasm`, import.meta.url));

/** Instruments and instantiates a fixture with a Meter (plus extra imports). */
function load(name, options = {}, meter = new Meter(), imports = {}) {
  const { bytes } = instrumentModule(fixture(name), { meter: true, ...options });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { ...imports, ...meter.imports });
  return { exports: instance.exports, meter };
}

/** Runs fn under limits; returns { value } or { error, typed } (typed = classifyTrap result). */
function call(meter, limits, fn) {
  meter.start(limits);
  try {
    return { value: fn() };
  } catch (error) {
    return { error, typed: classifyTrap(meter, error, { fuel: limits.fuel, timeoutMs: 10, startedAt: 0, memoryBytes: 4 * 65536 }) };
  }
}

test('imports live under one module name', () => {
  assert.is(METER_IMPORT_MODULE, 'sfirt:meter');
  const names = WebAssembly.Module.imports(new WebAssembly.Module(instrumentModule(fixture('cpu-guests'), { meter: true }).bytes));
  assert.equal(names.map((i) => `${i.module}.${i.name}:${i.kind}`).sort(),
    ['sfirt:meter.fuel:global', 'sfirt:meter.memory_refused:function', 'sfirt:meter.refill:function', 'sfirt:meter.work:function']);
});

test('fuel use is deterministic and the same across instances', () => {
  const a = load('cpu-guests');
  const b = load('cpu-guests');
  const used = [];
  for (const { exports, meter } of [a, b, a]) {
    const r = call(meter, {}, () => exports.fib(18));
    assert.is(r.value, 2584);
    used.push(meter.fuelUsed);
  }
  assert.ok(used[0] > 2584 * 5, `fib(18) should cost at least a few units per call, got ${used[0]}`);
  assert.equal(used, [used[0], used[0], used[0]]);
  // Roughly one unit per executed instruction: fib(18) runs 8361 calls of ~12 instructions.
  assert.ok(used[0] > 8361 * 8 && used[0] < 8361 * 20, `fuel ${used[0]}`);
});

test('a call that fits its fuel completes; less fuel stops it deterministically', () => {
  const { exports, meter } = load('cpu-guests');
  call(meter, {}, () => exports.fib(20));
  const needed = meter.fuelUsed;
  assert.is(call(meter, { fuel: needed }, () => exports.fib(20)).value, 6765);
  const stops = [];
  for (let i = 0; i < 3; i++) {
    const r = call(meter, { fuel: Math.floor(needed / 2) }, () => exports.fib(20));
    assert.instance(r.error, WebAssembly.RuntimeError);
    assert.is(r.typed?.code, 'FUEL_EXHAUSTED');
    assert.is(meter.stopReason, 'fuel');
    stops.push(meter.fuelUsed);
  }
  assert.equal(stops, [stops[0], stops[0], stops[0]]);
  assert.ok(stops[0] > needed / 2 - 100 && stops[0] <= needed / 2 + 100, `stopped at ${stops[0]} for limit ${needed / 2}`);
});

test('slicing (deadline mode, any slice size) never changes fuel use or where a fuel limit stops', () => {
  const results = [];
  for (const [slice, deadline] of [[undefined, undefined], [1, 1e9], [97, 1e9], [100_000, 1e9]]) {
    const { exports, meter } = load('cpu-guests', {}, new Meter({ slice, adaptive: false }));
    const full = call(meter, { deadline: deadline && performance.now() + deadline }, () => { exports.fill(500, 7); return exports.sort(500); });
    const fullUsed = meter.fuelUsed;
    const stop = call(meter, { fuel: 123_457, deadline: deadline && performance.now() + deadline }, () => { exports.fill(500, 7); return exports.sort(500); });
    assert.is(stop.typed?.code, 'FUEL_EXHAUSTED');
    results.push([full.value, fullUsed, meter.fuelUsed]);
    if (slice === 1) assert.ok(meter.refills > 1000, `slice 1 should refill constantly (${meter.refills})`);
  }
  for (const r of results) assert.equal(r, results[0]);
});

test('fuel 0 stops at the first function entry', () => {
  const { exports, meter } = load('cpu-guests');
  const r = call(meter, { fuel: 0 }, () => exports.fib(1));
  assert.is(r.typed?.code, 'FUEL_EXHAUSTED');
});

test('loops, tail calls and recursion cannot escape the fuel check', () => {
  const { exports, meter } = load('loops');
  const cpu = load('cpu-guests', {}, meter);
  for (const [name, fn] of [['spin', () => cpu.exports.spin()], ['tail recursion', () => exports.forever(0)]]) {
    const r = call(meter, { fuel: 100_000 }, fn);
    assert.is(r.typed?.code, 'FUEL_EXHAUSTED', name);
    assert.ok(meter.fuelUsed <= 100_000 && meter.fuelUsed > 99_900, `${name}: ${meter.fuelUsed}`);
  }
  const eh = load('eh-guest', {}, new Meter(), { env: { host() { throw new Error('host says no'); } } });
  const rec = call(eh.meter, { fuel: 50_000 }, () => eh.exports.rec_caught());
  assert.is(rec.typed?.code, 'FUEL_EXHAUSTED', 'unbounded recursion stops on fuel before the stack overflows');
});

test('legacy catch_all cannot swallow a fuel or deadline stop (but does catch host exceptions)', () => {
  const { exports, meter } = load('eh-guest', {}, new Meter(), { env: { host() { throw new Error('host says no'); } } });
  assert.is(call(meter, {}, () => exports.host_caught()).value, 42, 'a JS exception from an import is catchable');
  const fuel = call(meter, { fuel: 1_000_000 }, () => exports.spin_caught());
  assert.is(fuel.typed?.code, 'FUEL_EXHAUSTED');
  const deadline = call(meter, { deadline: performance.now() + 5 }, () => exports.spin_caught());
  assert.is(deadline.typed?.code, 'DEADLINE_EXCEEDED');
});

test('a deadline stops an infinite loop promptly, with or without a fuel limit', () => {
  const { exports, meter } = load('cpu-guests');
  for (const fuel of [undefined, 1e15]) {
    const start = performance.now();
    const r = call(meter, { fuel, deadline: start + 20 }, () => exports.spin());
    const overshoot = performance.now() - (start + 20);
    assert.is(r.typed?.code, 'DEADLINE_EXCEEDED');
    assert.is(meter.stopReason, 'deadline');
    // Generous (a loaded machine preempts the test); the bench measures the real overshoot (≤ 1 ms).
    assert.ok(overshoot >= 0 && overshoot < 1000, `overshoot ${overshoot.toFixed(2)} ms`);
  }
});

test('fuel is shared by all core modules of one instance', () => {
  const meter = new Meter();
  const b = load('shared-b', {}, meter);
  const a = load('shared-a', {}, meter, { b: { work: b.exports.work } });
  const ok = call(meter, {}, () => a.exports.run(100));
  assert.is(ok.value, 100 * 50 + 5050);
  const total = meter.fuelUsed;
  call(meter, {}, () => b.exports.work(1));
  const perWork = meter.fuelUsed;
  assert.ok(total > 100 * perWork, `A's total ${total} includes B's ${100 * perWork}`);
  // A limit below the total stops the guest inside either module, deterministically.
  const stops = [0, 1].map(() => (call(meter, { fuel: Math.floor(total * 0.7) }, () => a.exports.run(100)), meter.fuelUsed));
  assert.is(meter.stopReason, 'fuel');
  assert.is(stops[0], stops[1]);
});

/** Loads shared-a + shared-b into one meter, each module with `fuelGlobal` (attached when own). */
function loadPair(fuelGlobal, meter) {
  const inst = (name, imports) => {
    const { bytes } = instrumentModule(fixture(name), { meter: true, fuelGlobal });
    const i = new WebAssembly.Instance(new WebAssembly.Module(bytes), { ...imports, ...meter.imports });
    meter.attach(i.exports);
    return i.exports;
  };
  const b = inst('shared-b', {});
  return { a: inst('shared-a', { b: { work: b.work } }), b };
}

test("own fuel globals: imports, export, and the same fuel as the shared global", () => {
  const own = new WebAssembly.Module(instrumentModule(fixture('cpu-guests'), { meter: true, fuelGlobal: 'own' }).bytes);
  assert.equal(WebAssembly.Module.imports(own).map((i) => `${i.module}.${i.name}:${i.kind}`).sort(),
    ['sfirt:meter.grant:function', 'sfirt:meter.memory_refused:function', 'sfirt:meter.work:function']);
  assert.ok(WebAssembly.Module.exports(own).some((e) => e.name === 'sfirt:meter:fuel' && e.kind === 'global'));
  assert.throws(() => instrumentModule(fixture('cpu-guests'), { meter: true, fuelGlobal: 'nope' }), (e) => e.code === 'INVALID_ARGUMENT');
  const sm = new Meter();
  const s = loadPair('imported', sm);
  call(sm, {}, () => s.a.run(100));
  const expected = sm.fuelUsed;
  for (const slice of [undefined, 50, 997]) {
    const om = new Meter({ slice, adaptive: false });
    const o = loadPair('own', om);
    const limits = slice ? { deadline: performance.now() + 60_000 } : {};
    const r = call(om, limits, () => o.a.run(100));
    assert.is(r.value, 100 * 50 + 5050);
    assert.is(om.fuelUsed, expected, `slice ${slice}`);
    if (slice) assert.ok(om.refills > 10, `slice ${slice}: ${om.refills} refills`);
  }
});

test('own fuel globals: fuel is shared per instance and a limit stops exactly where the shared global does', () => {
  const sm = new Meter();
  const s = loadPair('imported', sm);
  call(sm, {}, () => s.a.run(100));
  const total = sm.fuelUsed;
  for (const frac of [0, 0.01, 0.3, 0.7, 0.99]) {
    const fuel = Math.floor(total * frac);
    const ref = call(sm, { fuel }, () => s.a.run(100));
    assert.is(ref.typed?.code, 'FUEL_EXHAUSTED');
    for (const slice of [undefined, 64, 5000]) {
      const om = new Meter({ slice, adaptive: false });
      const o = loadPair('own', om);
      const limits = slice ? { fuel, deadline: performance.now() + 60_000 } : { fuel };
      for (let k = 0; k < 2; k++) { // the second call starts with fuel left in the counters
        const r = call(om, limits, () => o.a.run(100));
        assert.is(r.typed?.code, 'FUEL_EXHAUSTED', `fuel ${fuel} slice ${slice}`);
        assert.is(om.stopReason, 'fuel');
        assert.is(om.fuelUsed, sm.fuelUsed, `fuel ${fuel} slice ${slice} call ${k}`);
        assert.ok(om.fuelUsed <= fuel + 200, `used ${om.fuelUsed} of ${fuel}`);
      }
    }
  }
  // Exactly enough fuel completes, in either module holding it.
  const om = new Meter({ slice: 100, adaptive: false });
  const o = loadPair('own', om);
  assert.is(call(om, { fuel: total }, () => o.a.run(100)).value, 100 * 50 + 5050);
  assert.is(call(om, { fuel: total, deadline: performance.now() + 60_000 }, () => o.a.run(100)).value, 100 * 50 + 5050);
  assert.is(om.fuelUsed, total);
  assert.is(call(om, { deadline: performance.now() - 1 }, () => o.a.run(100)).typed?.code, 'DEADLINE_EXCEEDED');
  // Once both modules are known, a call that fits one slice per module needs no host call at all.
  const quiet = new Meter();
  const q = loadPair('own', quiet);
  assert.ok(total < 100_000, `${total} fits a default slice`);
  for (let i = 0; i < 3; i++) call(quiet, { deadline: performance.now() + 60_000 }, () => q.a.run(100));
  assert.is(quiet.refills, 0);
  assert.is(quiet.fuelUsed, total);
});

test('a refused memory.grow past the cap returns -1 and is reported when the guest then traps', () => {
  const { exports, meter } = load('memory-grow', { memoryMaxPages: 4 });
  const r1 = call(meter, {}, () => exports.grow(2));
  assert.is(r1.value, 2);
  assert.is(meter.stopReason, undefined);
  const r2 = call(meter, {}, () => exports.grow(1));
  assert.is(r2.value, -1, 'spec behaviour: memory.grow returns -1');
  assert.is(meter.stopReason, 'memory');
  assert.is(call(meter, {}, () => exports.size()).value, 4);
  const r3 = call(meter, {}, () => exports.grow_or_trap(1));
  assert.instance(r3.typed, Error);
  assert.is(r3.typed.code, 'MEMORY_LIMIT_EXCEEDED');
  // A plain trap with no refused grow is not relabelled.
  const { exports: cpu, meter: m2 } = load('cpu-guests');
  m2.start();
  let err;
  try { cpu.fill(1 << 30, 1); } catch (e) { err = e; }
  assert.instance(err, WebAssembly.RuntimeError);
  assert.is(classifyTrap(m2, err), undefined);
});

test('a JS error that is not a trap is never relabelled as a limit', () => {
  const meter = new Meter();
  meter.start({ fuel: 0 });
  const { exports } = load('cpu-guests', {}, meter);
  meter.start({ fuel: 0 });
  try { exports.fib(1); } catch {}
  assert.is(meter.stopReason, 'fuel');
  assert.is(classifyTrap(meter, new TypeError('host bug')), undefined);
});

test('Meter validates its inputs', () => {
  assert.throws(() => new Meter({ slice: 0 }), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => new Meter().start({ fuel: -1 }), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => new Meter().start({ fuel: NaN }), (e) => e.code === 'INVALID_ARGUMENT');
});

test.run();
