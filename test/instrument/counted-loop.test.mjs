// Loop versioning (lib/instrument/counted-loop.ts): counted loops charged once at entry must give
// the same results, the same fuel totals and the same fuel stops as per-iteration metering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { instrumentModule } from '../../dist/instrument/index.js';
import { Meter, classifyTrap } from '../../dist/limits/index.js';

const original = readFileSync(new URL('../limits/fixtures/counted-loops.wasm', import.meta.url));

function load(options) {
  const r = instrumentModule(original, { meter: true, validate: true, ...options });
  const meter = new Meter(options.slice ? { slice: options.slice, adaptive: false } : {});
  const m = new WebAssembly.Module(r.bytes);
  const i = new WebAssembly.Instance(m, meter.imports);
  meter.attach(i.exports);
  return { exports: i.exports, meter, versionedLoops: r.versionedLoops };
}

function run(side, name, args, limits = {}) {
  side.meter.start(limits);
  try {
    const value = side.exports[name](...args);
    return { outcome: String(value), used: side.meter.fuelUsed };
  } catch (error) {
    const typed = classifyTrap(side.meter, error, { fuel: limits.fuel });
    return { outcome: typed ? typed.code : `trap: ${error.message}`, used: side.meter.fuelUsed };
  }
}

const CASES = [
  ['lt_u', [0, 0]], ['lt_u', [5, 3]], ['lt_u', [0, 1]], ['lt_u', [0, 3000]], ['lt_u', [0xfffffff0 | 0, -1]],
  ['gt_s', [-50, 50]], ['gt_s', [10, -10]], ['gt_s', [-2147483648, -2147483000]], ['gt_s', [0, 2000]],
  ['ne', [7, 7]], ['ne', [0, 1000]], ['ne', [-3, 2]],
  ['const_bound', [0]], ['const_bound', [999]], ['const_bound', [5000]], ['const_bound', [-200]],
  ['writes_bound', [0, 100]], ['branches', [0, 500]], ['step2', [0, 500]], ['nested', [60]],
  ['do_tee', [0, 0]], ['do_tee', [0, 1]], ['do_tee', [9, 3]], ['do_tee', [-1, 5]], ['do_tee', [0, 2500]],
  ['do_set', [-10, 10]], ['do_set', [5, -5]], ['do_set', [2147483640, -2147483000]], ['do_gt', [0, 700]], ['do_gt', [700, 0]],
  ['do_ne', [0, 1]], ['do_ne', [0, 900]], ['do_ne', [-5, 5]], ['countdown', [1]], ['countdown', [2000]],
];

test('counted loops are versioned, near misses are not', () => {
  const { versionedLoops } = load({});
  // lt_u, gt_s, ne, const_bound, traps, nested's inner loop, and the five do-while loops.
  assert.is(versionedLoops, 11);
  assert.is(load({ versionLoops: false }).versionedLoops, 0);
});

test('same results and fuel totals as per-iteration metering, whatever the slice', () => {
  for (const slice of [undefined, 50, 997]) {
    const limits = slice ? { deadline: performance.now() + 60_000 } : {};
    const versioned = load({ slice });
    const plain = load({ versionLoops: false, slice });
    for (const [name, args] of CASES) {
      const a = run(versioned, name, args, limits);
      const b = run(plain, name, args, limits);
      assert.equal(a, b, `${name}(${args}) slice ${slice}`);
    }
  }
  // Against the uninstrumented module too.
  const bare = new WebAssembly.Instance(new WebAssembly.Module(original)).exports;
  const versioned = load({});
  for (const [name, args] of CASES) assert.is(run(versioned, name, args).outcome, String(bare[name](...args)), `${name}(${args})`);
});

test('a fuel limit stops at the same point as per-iteration metering', () => {
  const versioned = load({});
  const plain = load({ versionLoops: false });
  for (const [name, args] of [['lt_u', [0, 3000]], ['gt_s', [0, 2000]], ['const_bound', [0]], ['nested', [60]], ['ne', [0, 1000]], ['do_tee', [0, 2500]], ['countdown', [2000]]]) {
    const total = run(plain, name, args).used;
    // Around the loop's last check too: there the metered loop briefly needs its prepaid then-run.
    for (const fuel of [0, 0.1, 0.5, 0.9, 0.999].map((f) => Math.floor(total * f)).concat([total - 8, total - 3, total - 1, total, total + 5])) {
      const a = run(versioned, name, args, { fuel });
      assert.equal(a, run(plain, name, args, { fuel }), `${name}(${args}) fuel ${fuel} of ${total}`);
      if (fuel < total * 0.999) assert.is(a.outcome, 'FUEL_EXHAUSTED');
    }
  }
});

test('a trap inside a versioned loop is the same trap with the same fuel reported', () => {
  for (const slice of [undefined, 50]) {
    const limits = slice ? { deadline: performance.now() + 60_000 } : {};
    const versioned = load({ slice });
    const plain = load({ versionLoops: false, slice });
    const a = run(versioned, 'traps', [16000, 17000], limits); // out of bounds at i = 16384
    assert.match(a.outcome, /out of bounds/);
    assert.equal(a, run(plain, 'traps', [16000, 17000], limits));
    assert.equal(run(versioned, 'traps', [0, 16384], limits), run(plain, 'traps', [0, 16384], limits));
  }
});

// ------------------------------------------------------------------ random counted loops
// Our own generator (wasm-opt -ttf never emits this shape): random straight-line bodies that may
// trap (out-of-bounds loads, i32.div_s overflow), every condition form, and near misses.

const uleb = (v) => { const out = []; do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; out.push(b); } while (v); return out; };
const sleb = (v) => { const out = []; for (;;) { const b = v & 0x7f; v >>= 7; if ((v === 0 && !(b & 0x40)) || (v === -1 && (b & 0x40))) { out.push(b); return out; } out.push(b | 0x80); } };
const section = (id, body) => [id, ...uleb(body.length), ...body];
const vec = (items) => [...uleb(items.length), ...items.flat()];

/** mulberry32 */
function prng(seed) {
  return () => { seed = (seed + 0x6d2b79f5) | 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const I = 0, N = 1, A = 2, B = 3, X = 4; // locals: params i, n; i32 a, b; i64 x
const get = (l) => [0x20, l], set = (l) => [0x21, l], c32 = (v) => [0x41, ...sleb(v | 0)];

function randomLoopModule(rand) {
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const shape = pick(['while', 'do-tee', 'do-set', 'do-set-gt', 'countdown']);
  const form = shape === 'countdown' ? 'ne' : pick(['lt_u', 'lt_s', 'ne']);
  const constBound = form !== 'ne' && rand() < 0.3 ? Math.floor(rand() * 4000) - 1000 : undefined;
  const bound = constBound === undefined ? get(N) : c32(constBound);
  const ivFirst = shape === 'while' ? rand() < 0.5 : shape !== 'do-set-gt';
  const cmp = { lt_u: ivFirst ? 0x49 : 0x4b, lt_s: ivFirst ? 0x48 : 0x4a, ne: 0x47 }[form];
  const cond = ivFirst ? [...get(I), ...bound, cmp] : [...bound, ...get(I), cmp];
  const body = [];
  let nearMiss = false;
  for (let k = 0, n = 1 + Math.floor(rand() * 8); k < n; k++) {
    switch (Math.floor(rand() * 8)) {
      case 0: body.push(...get(A), ...pick([get(B), get(I), c32(rand() * 2 ** 32)]), pick([0x6a, 0x6b, 0x6c, 0x73, 0x77]), ...set(A)); break;
      case 1: body.push(...pick([get(A), get(I)]), ...c32(pick([0xfffc, 0x3fffc, 0xfff])), 0x71, 0x28, 2, 0, ...set(B)); break; // b = load(x & mask)
      case 2: body.push(...get(I), ...c32(0xfffc), 0x71, ...get(B), 0x36, 2, 0); break; // store(i & 0xfffc, b)
      case 3: body.push(...get(X), ...get(A), 0xac, 0x7c, ...set(X)); break; // x += extend_s(a)
      case 4: body.push(0x23, 0, ...get(A), 0x73, 0x24, 0); break; // g ^= a
      case 5: body.push(...get(A), ...get(B), ...c32(1), 0x72, 0x6d, ...set(A)); break; // a = a div_s (b | 1)
      case 6: body.push(...get(A), ...get(I), 0x6a, 0x22, B, 0x1a); break; // local.tee b; drop
      case 7:
        // (n -= 1 under `!=` could step over i and run ~2^31 times: only with `<`.)
        if (rand() < 0.3) { nearMiss = true; body.push(...pick(form === 'ne' ? [[...get(I), ...c32(0), 0x6a, ...set(I)]] : [[...get(N), ...c32(1), 0x6b, ...set(N)], [...get(I), ...c32(0), 0x6a, ...set(I)]])); }
        else body.push(0x01); // nop
        break;
    }
  }
  const inc = [...get(I), ...c32(shape === 'countdown' ? -1 : 1), 0x6a];
  const loop = {
    while: [...cond, 0x04, 0x40, ...body, ...inc, ...set(I), 0x0c, 1, 0x0b],
    'do-tee': [...body, ...inc, 0x22, I, ...bound, cmp, 0x0d, 0],
    'do-set': [...body, ...inc, ...set(I), ...cond, 0x0d, 0],
    'do-set-gt': [...body, ...inc, ...set(I), ...cond, 0x0d, 0],
    countdown: [...body, ...inc, 0x22, I, 0x0d, 0],
  }[shape];
  const code = [
    0x03, 0x40, ...loop, 0x0b,
    // checksum: a ^ b ^ wrap(x) ^ g ^ i
    ...get(A), ...get(B), 0x73, ...get(X), 0xa7, 0x73, 0x23, 0, 0x73, ...get(I), 0x73, 0x0b,
  ];
  const locals = [2, 2, 0x7f, 1, 0x7e];
  const fn = [...locals, ...code];
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([[0x60, 2, 0x7f, 0x7f, 1, 0x7f]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0, 1]])),
    ...section(6, vec([[0x7f, 1, ...c32(7), 0x0b]])),
    ...section(7, vec([[3, ...'run'.split('').map((ch) => ch.charCodeAt(0)), 0, 0]])),
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ]);
  // Arguments: start i, then n (or the constant) at most 3,000 trips away, sometimes behind; under
  // `!=` never behind, and a do-while's first check sees i + 1. A pair whose loop would wrap around
  // (e.g. a do-while from i = -1 under `<u`: 2^32 passes) is drawn again: too slow to meter.
  const args = [];
  while (args.length < 4) {
    if (shape === 'countdown') { args.push([1 + Math.floor(rand() * 3000), 0]); continue; }
    const start = constBound !== undefined ? constBound - Math.floor(rand() * 3000) + 5 : pick([0, 1, -1, -2147483648, 2147483600, 2147483647, Math.floor(rand() * 2 ** 32) | 0]);
    const ahead = form === 'ne' ? (shape === 'while' ? 0 : 1) + Math.floor(rand() * 3000) : Math.floor(rand() * 3005) - 5;
    const n = constBound ?? (start + ahead) | 0;
    if (passes(shape, form, start | 0, n) <= 3100) args.push([start | 0, n]);
  }
  return { bytes, args, nearMiss, shape };
}

/** How many times a generated loop's body runs from i = `start` to `n` (steps of 1). */
function passes(shape, form, start, n) {
  const first = shape === 'while' ? start : (start + 1) | 0;
  const holds = form === 'ne' ? first !== n : form === 'lt_u' ? first >>> 0 < n >>> 0 : first < n;
  const more = holds ? (n - first) >>> 0 : 0;
  return shape === 'while' ? more : 1 + more;
}

// `npm run fuzz` runs many more (SFIRT_LOOP_MODULES).
const MODULES = Number(process.env.SFIRT_LOOP_MODULES ?? 400);

test(`random counted loops (while, do-while, countdown): same results, traps, fuel totals and fuel stops as the metered loop (${MODULES} modules)`, () => {
  const rand = prng(20261127);
  let stops = 0, traps = 0;
  const versionedByShape = {};
  for (let m = 0; m < MODULES; m++) {
    const { bytes, args, nearMiss, shape } = randomLoopModule(rand);
    assert.ok(WebAssembly.validate(bytes), `module ${m} is valid`);
    const r = instrumentModule(bytes, { meter: true, validate: true });
    if (!nearMiss) assert.is(r.versionedLoops, 1, `module ${m} is versioned`);
    if (r.versionedLoops) versionedByShape[shape] = (versionedByShape[shape] ?? 0) + 1;
    const versioned = new WebAssembly.Module(r.bytes);
    const metered = new WebAssembly.Module(instrumentModule(bytes, { meter: true, versionLoops: false }).bytes);
    const original = new WebAssembly.Module(bytes);
    // Every run on fresh instances: a run changes memory and the global.
    const fresh = (module, slice) => {
      const meter = new Meter(slice ? { slice, adaptive: false } : {});
      const inst = new WebAssembly.Instance(module, meter.imports);
      meter.attach(inst.exports);
      return { exports: inst.exports, meter };
    };
    for (const a of args) {
      let expected;
      try { expected = String(new WebAssembly.Instance(original, {}).exports.run(...a)); } catch (e) { expected = `trap: ${e.message}`; traps++; }
      for (const slice of [undefined, 37]) {
        const limits = slice ? { deadline: performance.now() + 60_000 } : {};
        const got = run(fresh(versioned, slice), 'run', a, limits);
        assert.is(got.outcome, expected, `module ${m} run(${a}) slice ${slice}`);
        assert.equal(got, run(fresh(metered, slice), 'run', a, limits), `module ${m} run(${a}) slice ${slice}: fuel`);
      }
      if (expected.startsWith('trap')) continue;
      const total = run(fresh(metered), 'run', a).used;
      for (const fuel of [Math.floor(total * 0.2), Math.floor(total * 0.95), total - 1, total]) {
        const stopped = run(fresh(versioned), 'run', a, { fuel });
        assert.equal(stopped, run(fresh(metered), 'run', a, { fuel }), `module ${m} run(${a}) fuel ${fuel} of ${total}`);
        if (stopped.outcome === 'FUEL_EXHAUSTED') stops++;
      }
    }
  }
  const shapes = Object.values(versionedByShape);
  assert.ok(shapes.length === 5 && shapes.every((n) => n > MODULES / 10), `versioned per shape: ${JSON.stringify(versionedByShape)}`);
  assert.ok(stops > MODULES && traps > MODULES / 20, `${stops} fuel stops, ${traps} traps exercised`);
  if (process.env.SFIRT_LOOP_MODULES) console.log(`\n${MODULES} loop modules: versioned per shape ${JSON.stringify(versionedByShape)}, ${stops} fuel stops, ${traps} traps`);
});

test.run();
