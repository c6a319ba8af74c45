// InstancePool bounds, directly: `max` live instances, FIFO queue up to `maxQueue`, then OVERLOADED.
// (In-thread guest calls are synchronous, so through createRuntime() a lease is never held across
// an await; the worker runtime and any caller holding leases rely on these bounds.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InstancePool } from '../../dist/pool/pool.js';
import { OverloadedError } from '../../dist/index.js';

function fakeInstance(id) {
  return { id, broken: false, lastUsedAt: 0, uses: 0, disposed: false, dispose() { this.disposed = true; } };
}

test('at most `max` instances; callers beyond wait in order; beyond `maxQueue` OVERLOADED', async () => {
  let made = 0;
  const pool = new InstancePool(() => fakeInstance(++made), { mode: 'reuse', min: 0, max: 2, maxQueue: 2 });
  const a = pool.tryAcquire();
  const b = pool.tryAcquire();
  assert.ok(a && b);
  assert.is(pool.tryAcquire(), undefined, 'no third instance');
  assert.is(made, 2);
  const order = [];
  const w1 = pool.acquire().then((l) => { order.push('w1'); return l; });
  const w2 = pool.acquire().then((l) => { order.push('w2'); return l; });
  assert.is(pool.queued, 2);
  const err = await pool.acquire().catch((e) => e);
  assert.instance(err, OverloadedError);
  assert.is(err.code, 'OVERLOADED');
  pool.release(a.instance);
  const l1 = await w1;
  assert.is(l1.instance, a.instance, 'the released warm instance goes to the first waiter');
  assert.ok(l1.queueUs > 0);
  pool.release(b.instance);
  await w2;
  assert.equal(order, ['w1', 'w2']);
  assert.is(made, 2);
});

test('a broken instance frees its slot and is never handed out again', async () => {
  let made = 0;
  const pool = new InstancePool(() => fakeInstance(++made), { mode: 'reuse', min: 0, max: 1, maxQueue: 1 });
  const a = pool.tryAcquire();
  const waiting = pool.acquire();
  a.instance.broken = true;
  pool.release(a.instance);
  const next = await waiting;
  assert.is.not(next.instance, a.instance);
  assert.is(next.cold, true);
  assert.is(made, 2);
});

test('fresh mode never returns an instance to the pool', () => {
  let made = 0;
  const pool = new InstancePool(() => fakeInstance(++made), { mode: 'fresh', min: 0, max: 4 });
  const a = pool.tryAcquire();
  pool.release(a.instance);
  assert.is(pool.idleCount, 0);
  assert.is.not(pool.tryAcquire().instance, a.instance);
});

test.run();
