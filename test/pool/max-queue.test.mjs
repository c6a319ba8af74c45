// `pool.maxQueue` in-thread, through the runtime. A guest call runs to completion synchronously
// once it has an instance, so calls only find the pool at `max` while resource handles pin its
// instances (lib/invoke/handles.ts); then calls beyond `max` queue, up to `maxQueue`, in order,
// and the rest fail at once with OVERLOADED. The queued ones run when a pinned instance is freed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';

const I = 'sfirt:counter/counters#';
const NEW = `${I}[constructor]counter`;
const LIVE = `${I}live`;
const rt = createRuntime({ cacheDir: tempCache() });
const settle = (p) => p.then((value) => ({ value }), (err) => ({ code: err.code }));

for (const mode of ['reset', 'fresh', undefined]) {
  test(`${mode ?? 'default'}: at max, calls queue up to maxQueue; the rest are OVERLOADED; the queue drains in order`, async () => {
    const fn = await rt.load(`mq-${mode}`, guest('counter'), { pool: { ...(mode ? { mode } : {}), min: 0, max: 1, maxQueue: 2 } });
    const pin = await fn.call(NEW, 1); // the pool's only instance is now leased to this handle
    assert.is(fn.pool.busyCount, 1);
    const order = [];
    const calls = Array.from({ length: 6 }, (_, i) => settle(fn.call(LIVE).then((v) => { order.push(i); return v; })));
    await new Promise((r) => setImmediate(r));
    assert.is(fn.pool.queued, 2, 'two calls wait');
    pin.drop(); // frees the instance: the queued calls run on it, one after the other
    const results = await Promise.all(calls);
    assert.equal(results, [{ value: 0 }, { value: 0 }, { code: 'OVERLOADED' }, { code: 'OVERLOADED' }, { code: 'OVERLOADED' }, { code: 'OVERLOADED' }]);
    assert.equal(order, [0, 1]);
    assert.is(fn.pool.queued, 0);
    assert.is(await fn.call(LIVE), 0, 'the pool serves again');
  });
}

test('without pinned instances, calls never wait: six calls on max 1, maxQueue 0 all run', async () => {
  const fn = await rt.load('mq-sync', guest('counter'), { pool: { max: 1, maxQueue: 0 } });
  const results = await Promise.all(Array.from({ length: 6 }, () => settle(fn.call(LIVE))));
  assert.equal(results, Array(6).fill({ value: 0 }));
});

test.after(() => rt.close());
test.run();
