// Resources the component defines, through call()/invoke(): handles given and taken, own and
// borrow, drop running the destructor, typed errors for every misuse, and how handles pin their
// instance in each pool mode. On both glues. The guest is guests/counter (a hand-written WAT
// component: resource `counter` with constructor, methods, a static taking own + borrow, a method
// that traps, and `live()` counting counters whose destructor has not run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRuntime, ResourceHandle } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';

const I = 'sfirt:counter/counters#';
const NEW = `${I}[constructor]counter`;
const ADD = `${I}[method]counter.add`;
const GET = `${I}[method]counter.get`;
const MERGE = `${I}[static]counter.merge`;
const FAIL = `${I}[method]counter.fail`;
const LIVE = `${I}live`;

const rt = createRuntime({ cacheDir: tempCache() });
const load = (glue, pool = {}, name = `counter-${glue}-${pool.mode ?? 'reuse'}`) =>
  // These tests are about each mode explicitly; without one, `reuse` (one instance for every call).
  rt.load(name, guest('counter'), { glue, pool: { mode: 'reuse', ...pool }, limits: { fuel: 1e7 }, replace: true });

for (const glue of ['fast', 'jco']) {
  test(`${glue}: constructors give handles, methods and statics take them, own moves and borrow lends`, async () => {
    const fn = await load(glue);
    assert.is(fn.glue.kind, glue);
    const c = await fn.call(NEW, 5);
    assert.ok(c instanceof ResourceHandle);
    assert.is(c.resource, 'sfirt:counter/counters#counter');
    assert.ok(c.alive);
    assert.is(JSON.stringify(c), '{}', 'opaque: no enumerable state');
    assert.is(await fn.call(ADD, c, 3), 8);
    assert.is(await fn.call(GET, c), 8);
    const d = await fn.call(NEW, 10);
    assert.is(await fn.call(LIVE), 2);
    const m = await fn.call(MERGE, c, d); // c: own (moved, dropped by the guest), d: borrow
    assert.is(await fn.call(GET, m), 18);
    assert.not.ok(c.alive);
    assert.ok(d.alive);
    assert.is(await fn.call(LIVE), 2, 'merge dropped c, made m');
    const moved = await rejection(fn.call(GET, c));
    assert.is(moved.code, 'INVALID_HANDLE');
    assert.is(moved.reason, 'moved');
    d.drop();
    assert.is(await fn.call(LIVE), 1, 'drop ran the destructor');
    const dropped = await rejection(fn.call(GET, d));
    assert.is(dropped.reason, 'dropped');
    assert.is((await rejection(Promise.resolve().then(() => d.drop()))).code, 'INVALID_HANDLE');
    d[Symbol.dispose](); // idempotent
    m[Symbol.dispose]();
    assert.is(await fn.call(LIVE), 0);
    assert.equal(fn.exportNames(), [NEW, ADD, GET, MERGE, FAIL, LIVE]);
  });

  test(`${glue}: wrong arguments where a handle goes are typed errors, before the guest runs`, async () => {
    const fn = await load(glue);
    const other = await load(glue, {}, `counter-other-${glue}`);
    const c = await fn.call(NEW, 1);
    for (const bad of [undefined, 5, {}, { resource: c.resource }]) {
      assert.is((await rejection(fn.call(GET, bad))).code, 'INVALID_ARGUMENT');
    }
    assert.is((await rejection(fn.call(GET))).code, 'INVALID_ARGUMENT', 'no self');
    assert.is((await rejection(fn.call(ADD, c))).code, 'INVALID_ARGUMENT', 'missing argument');
    assert.is((await rejection(fn.call(ADD, c, -1))).code, 'INVALID_ARGUMENT', 'bad argument');
    const foreign = await rejection(other.call(GET, c));
    assert.is(foreign.code, 'INVALID_HANDLE');
    assert.is(foreign.reason, 'other-function');
    assert.is((await rejection(fn.call(MERGE, c, c))).code, 'INVALID_ARGUMENT', 'own and borrow of one handle');
    assert.ok(c.alive, 'refused calls leave the handle alone');
    assert.is(await fn.call(GET, c), 1);
    const refused = await rejection(fn.invoke(NEW, [1], { handles: false }));
    assert.is(refused.code, 'INVALID_ARGUMENT', 'callers that cannot keep handles (workers) are refused');
    c.drop();
  });

  test(`${glue}: a failure on the handle's instance invalidates every handle of that instance`, async () => {
    const fn = await load(glue, { mode: 'fresh' });
    const a = await fn.call(NEW, 1);
    const b = (await fn.invoke(NEW, [2], { on: a })).value;
    const elsewhere = await fn.call(NEW, 3);
    const err = await rejection(fn.call(FAIL, a));
    assert.is(err.code, 'TRAP');
    for (const h of [a, b]) {
      assert.not.ok(h.alive);
      assert.is((await rejection(fn.call(GET, h))).reason, 'instance-gone');
    }
    assert.is(await fn.call(GET, elsewhere), 3, 'handles of other instances live on');
    elsewhere.drop();
    assert.is(fn.pool.busyCount, 0);
  });

  test(`${glue}: fresh and reset pools keep a handle's instance leased until its last handle is gone`, async () => {
    for (const mode of ['fresh', 'reset']) {
      const fn = await load(glue, { mode, max: 2, maxQueue: 0 });
      const c = await fn.call(NEW, 7);
      assert.is(fn.pool.busyCount, 1, `${mode}: pinned`);
      // Calls without handles get other instances: a never-used one (fresh) or the snapshot (reset).
      assert.is(await fn.call(LIVE), 0, `${mode}: other calls see a clean instance`);
      assert.is((await fn.invoke(LIVE, [], { on: c })).value, 1, `${mode}: \`on\` runs on the handle's instance`);
      const d = (await fn.invoke(NEW, [1], { on: c })).value;
      assert.is(await fn.call(GET, (await fn.call(MERGE, d, c))), 8);
      // Pinned instances count toward max: with both slots pinned, a third call is refused.
      const e = await fn.call(NEW, 0);
      assert.is(fn.pool.busyCount, 2);
      assert.is((await rejection(fn.call(LIVE))).code, 'OVERLOADED');
      e.drop();
      c.drop();
      assert.is(fn.pool.busyCount, 1, `${mode}: merged counter still pins`);
      fn.close();
      assert.is((await rejection(Promise.resolve().then(() => fn.call(LIVE)))).code, 'CLOSED');
    }
  });

  test(`${glue}: a reuse pool keeps serving a handle's instance, and the idle timeout spares it`, async () => {
    const fn = await load(glue, { mode: 'reuse', min: 0, idleTimeoutMs: 20 });
    const c = await fn.call(NEW, 4);
    assert.is(fn.pool.busyCount, 0);
    assert.is(await fn.call(LIVE), 1, 'the next call sees the same instance, as one jco instance would');
    await new Promise((r) => setTimeout(r, 80));
    assert.is(fn.pool.idleCount, 1, 'not released while a handle lives');
    assert.is(await fn.call(GET, c), 4);
    c.drop();
    await new Promise((r) => setTimeout(r, 80));
    assert.is(fn.pool.idleCount, 0, 'released once no handle pins it');
    fn.close();
  });

  test(`${glue}: closing the function invalidates its handles`, async () => {
    const fn = await load(glue, { mode: 'fresh' }, `counter-close-${glue}`);
    const c = await fn.call(NEW, 1);
    fn.close();
    assert.not.ok(c.alive);
    assert.is((await rejection(Promise.resolve().then(() => c.drop()))).reason, 'closed');
  });
}

test('a handle collected without drop() unpins its instance, which is then discarded', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const fn = await load('fast', { mode: 'fresh' }, 'counter-gc');
  await (async () => { await fn.call(NEW, 1); })(); // the handle is garbage at once
  assert.is(fn.pool.busyCount, 1);
  for (let i = 0; i < 20 && fn.pool.busyCount > 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.is(fn.pool.busyCount, 0);
  fn.close();
});

test.after(() => rt.close());
test.run();
