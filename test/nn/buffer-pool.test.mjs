import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BufferPool } from '../../dist/nn/buffer-pool.js';

test('a given-back buffer is handed out again for the same size only', () => {
  const pool = new BufferPool();
  const a = pool.take(4096);
  assert.is(a.byteLength, 4096);
  pool.give(a);
  assert.is(pool.pooledBytes, 4096);
  assert.is.not(pool.take(8192), a);
  assert.is(pool.take(4096), a);
  assert.is(pool.pooledBytes, 0);
  assert.is.not(pool.take(4096), a, 'a taken buffer is not handed out twice');
});

test('small buffers are not kept, and the caps hold', () => {
  const pool = new BufferPool(10_000, 2);
  pool.give(new Uint8Array(64));
  assert.is(pool.pooledBytes, 0);
  for (let i = 0; i < 3; i++) pool.give(new Uint8Array(1000));
  assert.is(pool.pooledBytes, 2000, 'at most maxPerSize buffers of one size');
  pool.give(new Uint8Array(9000));
  assert.is(pool.pooledBytes, 2000, 'never above maxPooledBytes');
  pool.give(new Uint8Array(8000));
  assert.is(pool.pooledBytes, 10_000);
});

test.run();
