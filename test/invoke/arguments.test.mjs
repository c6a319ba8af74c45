import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, InvalidArgumentError } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';

const rt = createRuntime({ cacheDir: tempCache() });
const compute = await rt.load('compute', guest('compute'));
const hello = await rt.load('hello', guest('hello'));
const bytes = await rt.load('bytes', guest('bytes'));

const bad = [
  [compute, 'add', [-1, 2], /a.*u32/s],
  [compute, 'add', [2 ** 32, 0], /u32/],
  [compute, 'add', ['x', 1], /u32/],
  [compute, 'add', [1.5, 1], /u32/],
  [compute, 'add', [1], /argument/],
  [compute, 'add', [1, 2, 3], /argument/],
  [compute, 'fib', [10], /u32|bigint|u64/], // fib takes u32: 10 is fine → replaced below
  [hello, 'greet', [5], /string/],
  [bytes, 'reverse', ['abc'], /list<u8>|Uint8Array/],
];
bad.splice(6, 1);

for (const [fn, name, args, pattern] of bad) {
  test(`INVALID_ARGUMENT: ${fn.name}.${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`, async () => {
    const err = await rejection(fn.call(name, ...args));
    assert.instance(err, InvalidArgumentError);
    assert.is(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, pattern);
  });
}

test('valid arguments still pass after rejected ones', async () => {
  assert.is(await compute.call('add', 1, 2), 3);
  assert.is(await compute.call('add', 0xffffffff, 0), 0xffffffff);
});

test.run();
