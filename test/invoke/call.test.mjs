import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, TrapError } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';

const rt = createRuntime({ cacheDir: tempCache() });
const fns = {};
for (const name of ['hello', 'bytes', 'compute', 'alloc', 'trap', 'spin', 'recurse']) fns[name] = await rt.load(name, guest(name));
// `alloc` reads its memory size in a second call: a test of `reuse`, where memory persists.
fns.alloc = await rt.load('alloc', guest('alloc'), { pool: { mode: 'reuse' }, replace: true });

function adler32(data) {
  let a = 1, b = 0;
  for (const x of data) { a = (a + x) % 65521; b = (b + a) % 65521; }
  return ((b << 16) | a) >>> 0;
}

test('hello: string in, string out', async () => {
  assert.is(await fns.hello.call('greet', ''), 'Hello, !');
  const long = 'x'.repeat(100_000);
  assert.is(await fns.hello.call('greet', long), `Hello, ${long}!`);
});

test('bytes: list<u8> in and out', async () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 255);
  const reversed = await fns.bytes.call('reverse', data);
  assert.instance(reversed, Uint8Array);
  assert.equal([...reversed], [...data].reverse());
  assert.is(await fns.bytes.call('checksum', data), adler32(data));
  assert.equal([...(await fns.bytes.call('reverse', new Uint8Array()))], []);
});

test('compute: fib, add, echo', async () => {
  assert.is(await fns.compute.call('fib', 50), 12586269025n);
  assert.is(await fns.compute.call('fib-rec', 20), 6765n);
  assert.is(await fns.compute.call('add', 40, 2), 42);
  assert.is(await fns.compute.call('add', 0xffffffff, 1), 0);
  assert.is(await fns.compute.call('noop'), undefined);
  const sorted1 = await fns.compute.call('sort', 1000, 7);
  assert.is(await fns.compute.call('sort', 1000, 7), sorted1, 'deterministic');
  assert.type(await fns.compute.call('matmul', 8, 3), 'number');
  assert.type(await fns.compute.call('hash', new Uint8Array([1, 2, 3]), 2), 'number');
});

test('alloc: memory grows by what was asked', async () => {
  const got = await fns.alloc.call('grow', 3 * 65536);
  assert.is(got, 3 * 65536);
  const inv = await fns.alloc.invoke('memory-size');
  assert.ok(inv.value >= 3 * 65536);
  assert.is(inv.stats.memoryBytes, inv.value);
});

test('trap kinds are typed, and the next call on the same function works', async () => {
  const cases = [
    ['unreachable', [], 'unreachable'],
    ['divide', [1, 0], 'integer-divide-by-zero'],
    ['divide', [-2147483648, -1], 'integer-overflow'],
    ['out-of-bounds', [0xfffffff0], 'out-of-bounds-memory'],
  ];
  for (const [name, args, kind] of cases) {
    const err = await rejection(fns.trap.call(name, ...args));
    assert.instance(err, TrapError, `${name}: ${err}`);
    assert.is(err.code, 'TRAP');
    assert.is(err.trapKind, kind, `${name}(${args}) → ${err.message}`);
    assert.is(await fns.trap.call('divide', 7, 2), 3);
  }
});

test('recursion: bounded works, unbounded is a stack-overflow trap, then it recovers', async () => {
  assert.is(await fns.recurse.call('recurse', 1000), 1000);
  const err = await rejection(fns.recurse.call('forever'));
  assert.is(err.code, 'TRAP');
  assert.is(err.trapKind, 'stack-overflow');
  assert.is(await fns.recurse.call('recurse', 10), 10);
});

test('spin-for terminates with a value', async () => {
  const v = await fns.spin.call('spin-for', 1000n);
  assert.type(v, 'bigint');
});

test('a trapped instance is discarded, never reused', async () => {
  const before = fns.trap.pool.size;
  await rejection(fns.trap.call('unreachable'));
  const inv = await fns.trap.invoke('divide', [9, 3]);
  assert.is(inv.value, 3);
  assert.ok(fns.trap.pool.size <= Math.max(before, 1));
});

test('UNKNOWN_EXPORT lists what exists', async () => {
  const err = await rejection(fns.hello.call('nope'));
  assert.is(err.code, 'UNKNOWN_EXPORT');
  assert.match(err.message, 'greet');
});

test('call() and invoke() report every failure as a rejected promise, never a synchronous throw', async () => {
  const closed = await rt.load('closed-compute', guest('compute'));
  closed.close();
  const cases = [
    ['UNKNOWN_EXPORT', (f) => f('nope'), fns.hello],
    ['INVALID_ARGUMENT', (f) => f('add', 'x', 1), fns.compute],
    ['TRAP', (f) => f('unreachable'), fns.trap],
    ['CLOSED', (f) => f('add', 1, 2), closed],
  ];
  for (const [code, run, fn] of cases) {
    let viaCall, viaInvoke;
    assert.not.throws(() => { viaCall = run((name, ...args) => fn.call(name, ...args)); }, `call: ${code}`);
    assert.not.throws(() => { viaInvoke = run((name, ...args) => fn.invoke(name, args)); }, `invoke: ${code}`);
    assert.is((await rejection(viaCall)).code, code);
    assert.is((await rejection(viaInvoke)).code, code);
  }
});

test('a pool hit through call() gives the value; invoke() still gives output and stats', async () => {
  assert.is(await fns.compute.call('add', 2, 3), 5);
  const inv = await fns.compute.invoke('add', [2, 3]);
  assert.is(inv.value, 5);
  assert.is(inv.stats.coldStart, false);
  assert.ok(inv.stats.runUs >= 0 && inv.stats.memoryBytes > 0);
  assert.instance(inv.stdout, Uint8Array);
  assert.is(inv.stdout.length + inv.stderr.length, 0);
  assert.is(inv.truncated, false);
});

test('concurrent calls all complete with their own results', async () => {
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => fns.compute.call('add', i, i)));
  assert.equal(results, Array.from({ length: 50 }, (_, i) => 2 * i));
});

test.run();
