// wasi:io as a hostile guest uses it (guests/io-ops): made-up stream, pollable and error handles,
// lengths chosen to make the host allocate, waits longer than the call, random bytes beyond the
// guest's memory. Every case ends in a WASI value or a typed trap, within the call's bounds, on
// both glues, and the runtime keeps serving.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { Program, ref, run } from './io-ops.mjs';

const MiB = 1024 * 1024;
const cacheDir = tempCache();

for (const glue of ['jco', 'fast']) {
  const test = suite(`wasi:io [${glue}]`);
  const rt = createRuntime({ cacheDir });
  const load = (name, options = {}) => rt.load(`${name}-${glue}`, guest('io-ops'), { glue, wasi: { stdin: 'hello, stdin' }, ...options });
  // The deadline also bounds instantiation (start functions run there), and the first one compiles
  // the glue: 1 s leaves room for a loaded CI machine (200 ms failed at load average 16).
  // Loaded in a hook, not with a top-level await between the suites: uvu starts running on a timer
  // after a suite's `run()`, so a second suite registered after an await ran beside the first
  // (seen once on Node 26: interleaved output, 7 tests left out of the count).
  let fn;
  test.before(async () => { fn = await load('io', { limits: { timeoutMs: 1000, memoryBytes: 16 * MiB } }); });
  test.after(() => rt.close());

  /** The typed error a call fails with. */
  const failure = async (program) => {
    try {
      await run(fn, program);
    } catch (err) {
      return err;
    }
    assert.unreachable('the call succeeded');
  };
  /** After an attack the function still serves: stdin spliced to stdout. */
  const stillServes = async () => {
    const p = new Program();
    p.splice(ref(p.stdout()), ref(p.stdin()), 100);
    const inv = await fn.invoke('run', [p.bytes()]);
    assert.is(new TextDecoder().decode(inv.stdout), 'hello, stdin');
  };

  test('streams work: read, skip, write, splice, subscribe, poll', async () => {
    const p = new Program();
    const stdin = p.stdin();
    const first = p.read(ref(stdin), 5);
    p.skip(ref(stdin), 2);
    const out = p.stdout();
    p.write(ref(out), 'x');
    p.splice(ref(out), ref(stdin), 1000);
    const end = p.read(ref(stdin), 1);
    const ready = p.poll([ref(p.subscribeIn(ref(stdin))), ref(p.subscribeOut(ref(out)))]);
    const inv = await fn.invoke('run', [p.bytes()]);
    const r = (await import('./io-ops.mjs')).decode(p, inv.value);
    assert.is(new TextDecoder().decode(r[first].value), 'hello');
    assert.equal(r[end], { closed: true });
    assert.equal(r[ready].value, [0, 1]);
    assert.is(new TextDecoder().decode(inv.stdout), 'xstdin');
  });

  test('a handle the guest made up traps (invalid-handle) for every wasi:io resource, never a host exception', async () => {
    const cases = [
      (p) => p.read(4242, 10),
      (p) => p.skip(4242, 10),
      (p) => p.write(4242, 'x'),
      (p) => p.checkWrite(4242),
      (p) => p.writeZeroes(4242, 1),
      (p) => p.splice(ref(p.stdout()), 4242, 10),
      (p) => p.subscribeIn(4242),
      (p) => p.ready(4242),
      (p) => p.block(4242),
      (p) => p.poll([4242]),
    ];
    for (const build of cases) {
      const p = new Program();
      build(p);
      const err = await failure(p);
      assert.is(err.code, 'TRAP', String(err));
      assert.is(err.trapKind, 'invalid-handle', String(err));
      assert.not.match(err.message, /private member|Cannot read|undefined/);
    }
    const p = new Program();
    p.poll([]);
    assert.is((await failure(p)).code, 'TRAP');
    await stillServes();
  });

  test('write-zeroes beyond what check-write grants is a stream error, with no host allocation', async () => {
    const p = new Program();
    const out = p.stdout();
    const permit = p.checkWrite(ref(out));
    const ok = p.writeZeroes(ref(out), 3);
    const huge = p.writeZeroes(ref(out), 2n ** 60n);
    const big = p.writeZeroes(ref(out), 2 ** 30);
    const inv = await fn.invoke('run', [p.bytes()]);
    const r = (await import('./io-ops.mjs')).decode(p, inv.value);
    assert.is(r[permit].value, BigInt(MiB));
    assert.ok(r[ok].ok);
    assert.is(inv.stdout.byteLength, 3);
    for (const i of [huge, big]) assert.match(r[i].failed ?? '', /check-write/);
  });

  test('a wait never outlasts the call: a 10 s subscription under a 1 s deadline returns at the deadline', async () => {
    for (const build of [(p) => p.block(ref(p.subscribeDuration(10_000_000_000n))), (p) => p.poll([ref(p.subscribeDuration(10_000_000_000n))])]) {
      const p = new Program();
      build(p);
      const t0 = performance.now();
      try { await run(fn, p); } catch (err) { assert.is(err.code, 'DEADLINE_EXCEEDED', String(err)); }
      const ms = performance.now() - t0;
      assert.ok(ms < 5000, `the wait lasted ${Math.round(ms)} ms (unbounded: 10 s)`);
    }
    // A short wait is a real one.
    const p = new Program();
    const timer = p.subscribeDuration(20_000_000n);
    const before = p.ready(ref(timer));
    p.block(ref(timer));
    const after = p.ready(ref(timer));
    const r = await run(fn, p);
    assert.is(r[before].value, false);
    assert.is(r[after].value, true);
    await stillServes();
  });

  test('in a call bounded only by fuel, waiting is charged to fuel and ends in FUEL_EXHAUSTED', async () => {
    const fueled = await load('fueled', { limits: { timeoutMs: null, fuel: 50_000_000 } });
    const p = new Program();
    p.block(ref(p.subscribeDuration(10_000_000_000n)));
    const t0 = performance.now();
    const err = await fueled.call('run', p.bytes()).then(() => undefined, (e) => e);
    assert.ok(performance.now() - t0 < 5000);
    assert.is(err?.code, 'FUEL_EXHAUSTED', String(err));
  });

  test('deterministic clocks: a subscription moves the simulated clock and is ready at once', async () => {
    const det = await load('det', { limits: { timeoutMs: 5000 }, wasi: { deterministic: true } });
    const p = new Program();
    const timer = p.subscribeDuration(3_600_000_000_000n);
    const ready = p.ready(ref(timer));
    const t0 = performance.now();
    const r = await run(det, p);
    assert.is(r[ready].value, true);
    assert.ok(performance.now() - t0 < 5000, 'the hour was simulated, not waited');
  });

  test('random bytes beyond the guest\'s memory trap (resource-limit) before the host makes them', async () => {
    for (const len of [2 ** 30, 2 ** 40, 2n ** 63n]) {
      for (const op of ['random', 'insecureRandom']) {
        const p = new Program();
        p[op](len);
        const t0 = performance.now();
        const err = await failure(p);
        assert.is(err.trapKind, 'resource-limit', String(err));
        assert.ok(performance.now() - t0 < 3000, 'refused before making the bytes (1 GiB took 5 s)');
      }
    }
    const p = new Program();
    const small = p.random(1000);
    assert.is((await run(fn, p))[small].value, 1000);
    await stillServes();
  });

  test.run();
}
