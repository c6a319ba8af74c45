import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';

const rt = createRuntime({ cacheDir: tempCache() });
const tick = () => new Promise((r) => setImmediate(r));

test('reuse keeps state between calls', async () => {
  const fn = await rt.load('reuse', guest('state'), { pool: { mode: 'reuse' } });
  assert.is(await fn.call('incr'), 1);
  assert.is(await fn.call('incr'), 2);
  await fn.call('put', 'kept');
  assert.is(await fn.call('get'), 'kept');
});

test('fresh never reuses an instance, and spares are made off the call path', async () => {
  const fn = await rt.load('fresh', guest('state'), { pool: { mode: 'fresh', min: 1 } });
  for (let i = 0; i < 5; i++) {
    await tick(); // let the background refill run
    const inv = await fn.invoke('incr');
    assert.is(inv.value, 1, 'every call starts from a new instance');
    assert.is(inv.stats.coldStart, false, 'a spare was ready');
  }
  await fn.call('put', 'secret');
  assert.is(await fn.call('get'), '');
});

test('fresh without a ready spare is a cold start', async () => {
  const fn = await rt.load('fresh-cold', guest('state'), { pool: { mode: 'fresh', min: 1 } });
  await fn.call('incr'); // consumes the prewarmed spare; the refill is scheduled but has not run
  const inv = await fn.invoke('incr');
  assert.is(inv.stats.coldStart, true);
  assert.ok(inv.stats.instantiateUs > 0);
});

test('reset restores every call to the post-initialisation state, at pool-hit cost', async () => {
  const fn = await rt.load('reset', guest('state'), { pool: { mode: 'reset', min: 1 } });
  for (let i = 0; i < 5; i++) {
    const inv = await fn.invoke('incr');
    assert.is(inv.value, 1, 'globals restored');
    assert.is(inv.stats.coldStart, false, 'the same warm instance');
  }
  await fn.call('put', 'secret-in-heap-and-global');
  assert.is(await fn.call('get'), '', 'a secret written in call N is not readable in call N+1');
  await fn.call('dirty', 1);
  assert.is(await fn.call('get'), '');
  assert.is(fn.pool.size, 1, 'one instance served every call');
});

test('reset: a secret written before a trap is never readable afterwards', async () => {
  const fn = await rt.load('reset-trap', guest('state'), { pool: { mode: 'reset' } });
  const err = await rejection(fn.call('put-then-trap', 'leaked?'));
  assert.is(err.code, 'TRAP');
  assert.is(await fn.call('get'), '');
  assert.is(await fn.call('incr'), 1);
});

test('reset: an instance whose memory grew is replaced, not reused', async () => {
  const fn = await rt.load('reset-grow', guest('state'), { pool: { mode: 'reset' } });
  await fn.call('dirty', 64); // grows memory past the snapshot
  const inv = await fn.invoke('incr');
  assert.is(inv.value, 1);
  assert.is(inv.stats.coldStart, true, 'the grown instance could not be reset and was discarded');
});

test('a trapped instance is never returned to the pool; the pool refills', async () => {
  const fn = await rt.load('trap-reuse', guest('state'), { pool: { mode: 'reuse' } });
  await fn.call('incr');
  await rejection(fn.call('put-then-trap', 'leaked?'));
  assert.is(await fn.call('get'), '', 'a new instance, not the trapped one');
  assert.is(await fn.call('incr'), 1);
});

test('invalid pool options are INVALID_ARGUMENT', async () => {
  const err = await rejection(rt.load('bad-pool', guest('state'), { pool: { min: 3, max: 1 } }));
  assert.is(err.code, 'INVALID_ARGUMENT');
});

test('idle instances above min are released after idleTimeoutMs', async () => {
  const fn = await rt.load('idle', guest('state'), { pool: { mode: 'reuse', min: 0, max: 4, idleTimeoutMs: 30 } });
  await fn.call('incr');
  assert.is(fn.pool.idleCount, 1);
  await new Promise((r) => setTimeout(r, 80));
  assert.is(fn.pool.idleCount, 0);
});

test.run();
