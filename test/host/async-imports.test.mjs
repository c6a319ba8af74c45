// Async host imports (JSPI): the guest suspends on the host's promise, the event loop runs on,
// calls keep their own state across suspensions, and deadlines hold while suspended. Where this
// Node has no JSPI the tests of behaviour skip visibly and the refusal at load() is checked instead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, asyncImport, AsyncUnsupportedError } from '../../dist/index.js';
import { guest, rejection, testUnless } from '../helpers.mjs';

const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const jspiTest = testUnless(HAS_JSPI ? undefined : `no JSPI on Node ${process.versions.node} (needs Node 24+)`);
const noJspiTest = testUnless(HAS_JSPI ? `Node ${process.versions.node} has JSPI` : undefined);

const HOST = 'sfirt:async-host/host';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** How many times a 10 ms interval ticks while `work()` runs. */
async function ticksDuring(work) {
  let ticks = 0;
  const iv = setInterval(() => ticks++, 10);
  try { await work(); } finally { clearInterval(iv); }
  return ticks;
}
const rt = createRuntime({ cacheDir: false });
let n = 0;
/** Loads async-host with `fetch` as its host import. */
const load = (fetch, options = {}) => rt.load(`a${n++}`, guest('async-host'), { ...options, imports: { [HOST]: { fetch } } });

noJspiTest('without JSPI, an async host import is refused at load() with ASYNC_UNSUPPORTED naming the Node version needed', async () => {
  for (const fetch of [async (x) => x, asyncImport((x) => Promise.resolve(x))]) {
    const err = await rejection(load(fetch));
    assert.instance(err, AsyncUnsupportedError);
    assert.is(err.code, 'ASYNC_UNSUPPORTED');
    assert.is(err.importName, `${HOST}#fetch`);
    assert.match(err.message, /Node 24 or later/);
    assert.match(err.message, new RegExp(`this is Node ${process.versions.node.replace(/\./g, '\\.')}`));
  }
  // The synchronous path is as before.
  const f = await load((x) => x * 2);
  assert.is(await f.call('fetch-plus-one', 20), 41);
});

jspiTest('an async host import returns its awaited value to the guest', async () => {
  const f = await load(async (x) => { await sleep(5); return x * 10; });
  assert.is(await f.call('fetch-plus-one', 4), 41);
  assert.is(await f.call('fetch-sum', 4), 60); // four suspensions in one call
  // asyncImport() marks a plain function that returns a promise.
  const g = await load(asyncImport((x) => sleep(1).then(() => x + 100)));
  assert.is(await g.call('fetch-plus-one', 1), 102);
  // An export that calls no import works through the same (promising) path.
  assert.is(await f.call('add', 2, 3), 5);
});

jspiTest('the event loop runs on while the guest awaits a 100 ms host promise (a 10 ms interval ticks >= 5 times)', async () => {
  const f = await load(async (x) => { await sleep(100); return x; });
  await f.call('add', 0, 0); // warm: the instance exists
  // On a loaded machine a 10 ms interval may tick less than 10 times in 100 ms whoever waits: the
  // baseline is the same wait without a guest, measured just before.
  const baseline = await ticksDuring(() => sleep(100));
  let v;
  const ticks = await ticksDuring(async () => { v = await f.call('fetch-plus-one', 7); });
  assert.is(v, 8);
  assert.ok(ticks >= Math.max(1, Math.min(5, baseline)), `${ticks} ticks during the call, ${baseline} during a plain 100 ms wait`);
});

jspiTest('calls of one function suspended together each get their own value (one instance per call)', async () => {
  const f = await load(async (x) => { await sleep(20 - x); return x * 3; }, { pool: { max: 8 } });
  const out = await Promise.all([1, 2, 3, 4, 5].map((x) => f.call('fetch-plus-one', x)));
  assert.equal(out, [4, 7, 10, 13, 16]);
});

jspiTest('a second call never interleaves with a suspended one on the same instance (pool of one)', async () => {
  const order = [];
  const f = await load(async (x) => { order.push(`start ${x}`); await sleep(30); order.push(`end ${x}`); return x; }, { pool: { max: 1 } });
  const [a, b] = await Promise.all([f.call('fetch-plus-one', 1), f.call('fetch-plus-one', 2)]);
  assert.equal([a, b], [2, 3]);
  assert.equal(order, ['start 1', 'end 1', 'start 2', 'end 2']);
});

jspiTest('a host import that re-enters its own function while suspended (pool of one) cannot deadlock past the deadline', async () => {
  let f;
  f = await load(async (x) => (x === 0 ? f.call('fetch-plus-one', 1) : x), { pool: { max: 1 }, limits: { timeoutMs: 100 } });
  const t0 = performance.now();
  const err = await rejection(f.call('fetch-plus-one', 0));
  assert.is(err.code, 'DEADLINE_EXCEEDED');
  assert.ok(performance.now() - t0 < 1_000);
  // The runtime keeps serving: the queued inner call got the next instance.
  assert.is(await f.call('fetch-plus-one', 5), 6);
});

jspiTest('a sync call while another is suspended sees its own deadline, lift budget and output; the suspended one keeps its own', async () => {
  // The slow function's call suspends for 60 ms under a 200 ms deadline; meanwhile calls of a
  // function with a 20 ms deadline run and fail on it. The slow call must not inherit their state.
  const slow = await load(async (x) => { await sleep(60); return x; }, { limits: { timeoutMs: 200 } });
  const spinning = await rt.load(`spin${n++}`, guest('spin'), { limits: { timeoutMs: 20 } });
  const pending = slow.call('fetch-then-spin', 1, 1000);
  const err = await rejection(spinning.call('spin'));
  assert.is(err.code, 'DEADLINE_EXCEEDED');
  assert.is(err.timeoutMs, 20);
  assert.type(await pending, 'number');
});

jspiTest('calls that run while one is suspended do not take its deadline away (per-thread call state is saved and restored)', async () => {
  // A's second host call never settles: only A's deadline (armed before its first suspension)
  // can end it. While A is suspended the first time, synchronous calls arm and disarm their own.
  let started;
  const firstSuspension = new Promise((r) => { started = r; });
  const a = await load(async (x) => { if (x === 0) { started(); await sleep(20); return 0; } return new Promise(() => {}); }, { limits: { timeoutMs: 150 } });
  const sync = await load((x) => x, { limits: { timeoutMs: null } });
  const pending = rejection(a.call('fetch-sum', 2));
  await firstSuspension;
  for (let i = 0; i < 3; i++) assert.is(await sync.call('fetch-plus-one', i), i + 1);
  const err = await Promise.race([pending, sleep(2_000).then(() => new Error('still pending after 2 s'))]);
  assert.is(err.code, 'DEADLINE_EXCEEDED', err.message);
});

jspiTest('deadline during suspension: a host promise still pending at the deadline fails the call DEADLINE_EXCEEDED then, and the instance is discarded', async () => {
  let resolveLate;
  const f = await load((x) => new Promise((r) => { resolveLate = () => r(x); }), { limits: { timeoutMs: 50 } });
  const fAsync = await load(async () => new Promise(() => {}), { limits: { timeoutMs: 50 } });
  for (const fn of [fAsync]) {
    const t0 = performance.now();
    const err = await rejection(fn.call('fetch-plus-one', 1));
    const ms = performance.now() - t0;
    assert.is(err.code, 'DEADLINE_EXCEEDED');
    assert.is(err.timeoutMs, 50);
    assert.ok(ms >= 45 && ms < 500, `failed after ${ms} ms`);
    assert.is(fn.pool.size, 0, 'the instance is discarded');
  }
  // A plain function returning a promise is not async: the guest gets the promise object as a u32 (0).
  assert.is(await f.call('fetch-plus-one', 1), 1);
  resolveLate?.();
});

jspiTest('an import that never resolves holds the call only until the deadline; later calls are served', async () => {
  let hang = true;
  const f = await load(async (x) => (hang ? new Promise(() => {}) : x), { limits: { timeoutMs: 30 } });
  const err = await rejection(f.call('fetch-plus-one', 1));
  assert.is(err.code, 'DEADLINE_EXCEEDED');
  hang = false;
  assert.is(await f.call('fetch-plus-one', 1), 2);
});

jspiTest('an async import that rejects fails the call HOST_FUNCTION_ERROR and the instance is discarded', async () => {
  let fail = false;
  const f = await load(async (x) => { await sleep(1); if (fail) throw new Error('/secret/path: db down'); return x; });
  assert.is(await f.call('fetch-plus-one', 1), 2);
  assert.is(f.pool.size, 1);
  fail = true;
  const err = await rejection(f.call('fetch-plus-one', 1));
  assert.is(err.code, 'HOST_FUNCTION_ERROR');
  assert.is(err.importName, `${HOST}#fetch`);
  assert.is(f.pool.size, 0, 'the instance is discarded');
  // A non-Error rejection too.
  const g = await load(async () => { throw 42; }); // eslint-disable-line no-throw-literal
  assert.is((await rejection(g.call('fetch-plus-one', 1))).code, 'HOST_FUNCTION_ERROR');
  fail = false;
  assert.is(await f.call('fetch-plus-one', 1), 2);
});

jspiTest('fuel still holds across suspensions: work after a suspension is metered against the call', async () => {
  const f = await load(async (x) => { await sleep(2); return x; }, { limits: { fuel: 50_000, timeoutMs: null } });
  assert.type(await f.call('fetch-then-spin', 1, 10), 'number');
  const err = await rejection(f.call('fetch-then-spin', 1, 10_000_000));
  assert.is(err.code, 'FUEL_EXHAUSTED');
  const { stats } = await f.invoke('fetch-then-spin', [1, 100]);
  assert.ok(stats.fuelUsed > 100 && stats.fuelUsed <= 50_000, `fuelUsed ${stats.fuelUsed}`);
});

jspiTest('a deadline further away than a timer can wait holds the call open, not fails it at once', async () => {
  // ~35 days: past setTimeout's 2^31 - 1 ms, where Node fires after 1 ms instead.
  const f = await load(async (x) => { await sleep(30); return x; }, { limits: { timeoutMs: null } });
  const inv = await f.invoke('fetch-plus-one', [1], { deadlineAt: performance.now() + 3e9 });
  assert.is(inv.value, 2);
});

test.after(() => rt.close());
test.run();
