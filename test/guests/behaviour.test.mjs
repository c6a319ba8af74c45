// Runs every built guest through jco's sync instantiation and checks each export against the
// contract in its world.wit (and JS reference implementations), including that memory stays
// bounded over many calls on one instance, as a pooled instance would see.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { loadGuest } from './instantiate.mjs';
import * as ref from './reference.mjs';

const PAGE = 65536;
const guests = {};
for (const name of ['hello', 'bytes', 'compute', 'alloc', 'state', 'trap', 'spin', 'recurse', 'kv', 'wat-add']) {
  guests[name] = await loadGuest(name);
}

/** Calls `f` and returns what it threw (fails when it returns). */
function thrown(f) {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** Memory must not grow after warm-up: `call(i)` runs `count` times on one instance. */
function assertBoundedMemory(instance, count, call) {
  for (let i = 0; i < 100; i++) call(i);
  const warm = instance.memory().buffer.byteLength;
  for (let i = 0; i < count; i++) call(i);
  assert.is(instance.memory().buffer.byteLength, warm, `memory grew from ${warm} over ${count} calls`);
}

function randomBytes(length, seed) {
  const next = ref.xorshift32(seed);
  return Uint8Array.from({ length }, () => next() & 255);
}

test('hello: greet', () => {
  const { exports } = guests.hello();
  assert.is(exports.greet('world'), 'Hello, world!');
  assert.is(exports.greet(''), 'Hello, !');
  assert.is(exports.greet('wörld ✓ 😀'), 'Hello, wörld ✓ 😀!');
  const long = 'x'.repeat(100_000);
  assert.is(exports.greet(long), `Hello, ${long}!`);
});

test('hello: 3,000 calls with 10 KB names keep memory bounded', () => {
  const instance = guests.hello();
  const name = 'n'.repeat(10_000);
  assertBoundedMemory(instance, 3_000, () => instance.exports.greet(name));
});

test('bytes: reverse and Adler-32 against JS', () => {
  const { exports } = guests.bytes();
  for (const data of [new Uint8Array(), Uint8Array.of(7), randomBytes(1001, 5), new Uint8Array(100_000).fill(255)]) {
    const reversed = exports.reverse(data);
    assert.instance(reversed, Uint8Array);
    assert.equal([...reversed], [...data].reverse());
    assert.is(exports.checksum(data), ref.adler32(data), `checksum of ${data.length} bytes`);
  }
  assert.is(exports.checksum(new TextEncoder().encode('Wikipedia')), 0x11e60398);
});

test('bytes: memory bounded over 3,000 reverse + checksum calls', () => {
  const instance = guests.bytes();
  const data = randomBytes(4096, 9);
  assertBoundedMemory(instance, 3_000, () => {
    instance.exports.reverse(data);
    instance.exports.checksum(data);
  });
});

test('compute: fib and fib-rec', () => {
  const { exports } = guests.compute();
  assert.is(exports.fib(0), 0n);
  assert.is(exports.fib(1), 1n);
  assert.is(exports.fib(50), 12586269025n);
  assert.is(exports.fib(93), 12200160415121876738n);
  assert.is(exports.fib(1000), ref.fib(1000), 'wraps modulo 2^64');
  assert.is(exports.fibRec(20), 6765n);
  assert.is(exports.fibRec(25), ref.fib(25));
});

test('compute: sort, matmul, hash against JS references', () => {
  const { exports } = guests.compute();
  for (const [n, seed] of [[0, 1], [1, 0], [1000, 7], [20_000, 42]]) {
    assert.is(exports.sort(n, seed), ref.sortChecksum(n, seed), `sort(${n}, ${seed})`);
  }
  assert.is.not(exports.sort(1000, 7), exports.sort(1000, 8));
  for (const [n, seed] of [[1, 1], [8, 3], [40, 11]]) {
    assert.is(exports.matmul(n, seed), ref.matmul(n, seed), `matmul(${n}, ${seed})`);
  }
  assert.is(exports.matmul(0, 1), 0);
  const data = randomBytes(3000, 3);
  for (const rounds of [0, 1, 5]) assert.is(exports.hash(data, rounds), ref.fnv1a(data, rounds));
  assert.is(exports.hash(new Uint8Array(), 3), ref.FNV_OFFSET);
});

test('compute: add, noop, echo', () => {
  const instance = guests.compute();
  const { exports } = instance;
  assert.is(exports.add(40, 2), 42);
  assert.is(exports.add(0xffffffff, 1), 0);
  assert.is(exports.noop(), undefined);
  const data = randomBytes(777, 1);
  assert.equal([...exports.echo(data)], [...data]);
  assert.equal([...exports.echo(new Uint8Array())], []);
  assertBoundedMemory(instance, 2_000, (i) => {
    exports.echo(data);
    exports.hash(data, 1);
    exports.sort(64, i);
    exports.matmul(4, i);
  });
});

test('alloc: grow, grow-and-use, memory-size', () => {
  const instance = guests.alloc();
  const { exports } = instance;
  const start = exports.memorySize();
  assert.is(start, instance.memory().buffer.byteLength);
  assert.is(exports.grow(3 * PAGE), 3 * PAGE);
  assert.is(exports.grow(1), PAGE, 'rounds up to a page');
  assert.is(exports.grow(0), 0);
  assert.is(exports.memorySize(), start + 4 * PAGE);
  assert.is(exports.growAndUse(1 << 20), 1 << 20);
  assert.ok(exports.memorySize() >= start + 4 * PAGE + (1 << 20));
  assert.is(exports.memorySize(), instance.memory().buffer.byteLength);
  const size = exports.memorySize();
  for (let i = 0; i < 50; i++) exports.growAndUse(1 << 20);
  assert.is(exports.memorySize(), size, 'freed allocations are reused');
});

test('state: counter, secret in heap and globals, put-then-trap, dirty', () => {
  const instance = guests.state();
  const { exports } = instance;
  assert.is(exports.get(), '');
  assert.is(exports.incr(), 1);
  assert.is(exports.incr(), 2);
  exports.put('s3cret ✓');
  assert.is(exports.get(), 's3cret ✓');
  assert.is(exports.get(), 's3cret ✓', 'get does not consume');
  exports.put('');
  assert.is(exports.get(), '');
  exports.put('kept');
  exports.dirty(6);
  assert.ok(instance.memory().buffer.byteLength >= 6 * PAGE);
  const bytes = new Uint8Array(instance.memory().buffer);
  for (let page = 1; page < 6; page++) assert.is.not(bytes[page * PAGE], 0, `page ${page} written`);
  exports.dirty(2);
  assert.is(exports.get(), 'kept', 'dirty does not corrupt the heap');
  assert.is(exports.incr(), 3);

  const other = guests.state().exports;
  assert.is(other.incr(), 1, 'instances do not share state');
  assert.is(other.get(), '');
  const err = thrown(() => other.putThenTrap('leaked?'));
  assert.instance(err, WebAssembly.RuntimeError);
  assert.match(err.message, 'unreachable');
});

test('state: get traps when the heap no longer matches the globals', () => {
  const instance = guests.state();
  instance.exports.put('UNIQUE-MARKER-42');
  const bytes = new Uint8Array(instance.memory().buffer);
  const at = Buffer.from(bytes.buffer).indexOf('UNIQUE-MARKER-42');
  assert.ok(at > 0, 'the secret is in linear memory');
  bytes[at] = 'X'.charCodeAt(0); // as if memory were reset but not the globals
  const err = thrown(() => instance.exports.get());
  assert.instance(err, WebAssembly.RuntimeError);
  assert.match(err.message, 'unreachable');
});

test('state: a large secret grows the heap and dirty leaves it intact', () => {
  const { exports } = guests.state();
  const big = 'b'.repeat(200_000);
  exports.put(big);
  exports.dirty(12);
  assert.is(exports.get(), big);
});

test('state: memory bounded over 5,000 puts', () => {
  const instance = guests.state();
  assertBoundedMemory(instance, 5_000, (i) => instance.exports.put(`secret number ${i}`));
  assert.is(instance.exports.get(), 'secret number 4999');
});

test('trap: each kind is a WebAssembly.RuntimeError with its message', () => {
  const cases = [
    ['unreachable', [], /unreachable/],
    ['divide', [1, 0], /divide by zero/],
    ['divide', [-2147483648, -1], /integer overflow|unrepresentable/],
    ['outOfBounds', [0xfffffff0], /out of bounds memory access/],
    // V8 14 (Node 26) words both "indirect call type mismatch".
    ['callNull', [], /null function|indirect call type mismatch/],
    ['callIndirect', [2], /signature mismatch|indirect call type mismatch/],
    ['callIndirect', [100], /out of bounds table access|table index is out of bounds/],
  ];
  for (const [name, args, message] of cases) {
    const err = thrown(() => guests.trap().exports[name](...args));
    assert.instance(err, WebAssembly.RuntimeError, name);
    assert.match(err.message, message, `${name}(${args})`);
  }
  const { exports } = guests.trap();
  assert.is(exports.divide(7, 2), 3);
  assert.is(exports.divide(-7, 2), -3);
  assert.is(exports.divide(-2147483648, 1), -2147483648);
  assert.is(exports.outOfBounds(0), 0);
  assert.is(exports.callIndirect(1), 7);
});

test('spin: spin-for matches the JS reference; spin never returns', async () => {
  const { exports } = guests.spin();
  assert.is(exports.spinFor(0n), 0x9e3779b97f4a7c15n);
  assert.is(exports.spinFor(1000n), ref.spinFor(1000n));
  assert.is.not(exports.spinFor(1001n), exports.spinFor(1000n));
  // spin() in a worker: it must still be running when we stop it.
  const worker = new Worker(
    `import { instantiateFrom } from ${JSON.stringify(new URL('./instantiate.mjs', import.meta.url).href)};
     const { parentPort } = await import('node:worker_threads');
     const instance = (await instantiateFrom(${JSON.stringify(guests.spin.dir)}, 'spin'))();
     parentPort.postMessage('spinning');
     instance.exports.spin();
     parentPort.postMessage('returned');`,
    { eval: true },
  );
  const messages = [];
  worker.on('message', (m) => messages.push(m));
  await new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => setTimeout(resolve, 300));
  await worker.terminate();
  assert.equal(messages, ['spinning']);
});

test('recurse: bounded depth, then stack overflow, then usable again', () => {
  const { exports } = guests.recurse();
  assert.is(exports.recurse(0), 0);
  assert.is(exports.recurse(1000), 1000);
  const err = thrown(() => exports.forever());
  assert.instance(err, RangeError);
  assert.match(err.message, /call stack/);
  assert.is(exports.recurse(10), 10);
});

function kvHost() {
  const store = new Map();
  const calls = [];
  return {
    store,
    calls,
    imports: {
      'sfirt:kv/store': {
        get(key) { calls.push(['get', key]); return store.get(key); },
        set(key, value) { calls.push(['set', key, value]); store.set(key, value); },
      },
      'sfirt:kv/log': { log(level, message) { calls.push(['log', level, message]); } },
    },
  };
}

test('kv: incr and copy call the host in order', () => {
  const host = kvHost();
  const { exports } = guests.kv(host.imports);
  assert.is(exports.incr('visits'), 1);
  assert.is(exports.incr('visits'), 2);
  assert.equal(host.calls, [
    ['get', 'visits'], ['set', 'visits', '1'], ['log', 1, 'incr visits = 1'],
    ['get', 'visits'], ['set', 'visits', '2'], ['log', 1, 'incr visits = 2'],
  ]);
  host.store.set('n', '4294967294');
  assert.is(exports.incr('n'), 4294967295);
  assert.is(host.store.get('n'), '4294967295');
  host.store.set('junk', '12a');
  assert.is(exports.incr('junk'), 1, 'a non-decimal value counts as 0');
  assert.is(exports.incr('ключ ✓'), 1);
  assert.is(host.calls.at(-1)[2], 'incr ключ ✓ = 1');

  host.calls.length = 0;
  assert.is(exports.copy('visits', 'backup'), true);
  assert.is(host.store.get('backup'), '2');
  assert.equal(host.calls, [['get', 'visits'], ['set', 'backup', '2']]);
  host.calls.length = 0;
  assert.is(exports.copy('missing', 'x'), false);
  assert.equal(host.calls, [['get', 'missing']]);
  assert.not.ok(host.store.has('x'));
});

test('kv: memory bounded over 2,000 incr + copy calls', () => {
  const host = kvHost();
  host.store.set('big', 'v'.repeat(1000));
  const instance = guests.kv(host.imports);
  assertBoundedMemory(instance, 2_000, (i) => {
    instance.exports.incr(`key-${i % 100}`);
    instance.exports.copy('big', 'copy');
  });
});

test('wat-add: add', () => {
  const { exports } = guests['wat-add']();
  assert.is(exports.add(2, 3), 5);
  assert.is(exports.add(0xffffffff, 1), 0);
});

test.run();
