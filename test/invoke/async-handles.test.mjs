// Resource handles and calls that suspend (JSPI): a call given a handle runs on the handle's
// instance, so two calls on one handle must not interleave while the first is suspended (a lost
// update would show), and the resource cannot be dropped under a suspended call. Hostile guest:
// `slow-add` reads its counter, suspends in the host, then writes: interleaving loses an add.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { rejection, testUnless } from '../helpers.mjs';

const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const jspiTest = testUnless(HAS_JSPI ? undefined : `no JSPI on Node ${process.versions.node} (needs Node 24+)`);

const WIT = `package test:ar;
interface api {
  resource counter { constructor(start: u32); slow-add: func(n: u32) -> u32; get: func() -> u32; }
}
world w { import host-fn: func(x: u32) -> u32; export api; }`;
// A counter's rep is its slot in memory (value at rep * 4). slow-add: value := value + host-fn(n),
// with the old value read before the host call.
const CORE = `(module
  (import "$root" "host-fn" (func $h (param i32) (result i32)))
  (import "[export]test:ar/api" "[resource-new]counter" (func $new (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1))
  (func (export "test:ar/api#[constructor]counter") (param i32) (result i32) (local $r i32)
    global.get $next local.tee $r i32.const 1 i32.add global.set $next
    local.get $r i32.const 4 i32.mul local.get 0 i32.store
    local.get $r call $new)
  (func (export "test:ar/api#[method]counter.slow-add") (param $rep i32) (param $n i32) (result i32)
    local.get $rep i32.const 4 i32.mul
    local.get $rep i32.const 4 i32.mul i32.load
    local.get $n call $h i32.add
    i32.store
    local.get $rep i32.const 4 i32.mul i32.load)
  (func (export "test:ar/api#[method]counter.get") (param $rep i32) (result i32)
    local.get $rep i32.const 4 i32.mul i32.load)
  (func (export "test:ar/api#[dtor]counter") (param i32)))`;
const CTOR = 'test:ar/api#[constructor]counter';
const SLOW_ADD = 'test:ar/api#[method]counter.slow-add';
const GET = 'test:ar/api#[method]counter.get';

let bytes;
test.before(async () => {
  const jco = await import('@bytecodealliance/jco');
  bytes = await jco.componentNew(await jco.componentEmbed({ binary: await jco.parse(CORE), witSource: WIT, world: 'w' }));
});
const rt = createRuntime({ cacheDir: false });
test.after(() => rt.close());
const slowHost = async (x) => { await new Promise((r) => setTimeout(r, 20)); return x; };

for (const mode of ['reuse', 'fresh', 'reset']) {
  jspiTest(`${mode} pool: two calls on one handle run one after the other (no lost update)`, async () => {
    const fn = await rt.load(`c-${mode}`, bytes, { pool: { mode }, imports: { 'host-fn': slowHost } });
    const h = await fn.call(CTOR, 10);
    const [a, b, c] = await Promise.all([fn.call(SLOW_ADD, h, 1), fn.call(SLOW_ADD, h, 2), fn.call(SLOW_ADD, h, 4)]);
    assert.equal([a, b, c], [11, 13, 17]);
    assert.is(await fn.call(GET, h), 17);
    h.drop();
  });
}

jspiTest('a handle cannot be dropped while a call on its instance is suspended (INVALID_HANDLE busy); later it can', async () => {
  const fn = await rt.load('c-drop', bytes, { imports: { 'host-fn': slowHost } });
  const h = await fn.call(CTOR, 1);
  const pending = fn.call(SLOW_ADD, h, 1);
  await new Promise((r) => setTimeout(r, 5));
  const err = await rejection((async () => h.drop())());
  assert.is(err.code, 'INVALID_HANDLE');
  assert.is(err.reason, 'busy');
  assert.ok(h.alive);
  assert.is(await pending, 2);
  h.drop();
  assert.not.ok(h.alive);
});

jspiTest('a call waiting for a handle whose suspended call fails gets INVALID_HANDLE (the instance is gone)', async () => {
  let fail = true;
  const fn = await rt.load('c-fail', bytes, { imports: { 'host-fn': async (x) => { await new Promise((r) => setTimeout(r, 10)); if (fail) throw new Error('down'); return x; } } });
  const h = await fn.call(CTOR, 1);
  const first = rejection(fn.call(SLOW_ADD, h, 1));
  const second = rejection(fn.call(SLOW_ADD, h, 1));
  assert.is((await first).code, 'HOST_FUNCTION_ERROR');
  const err = await second;
  assert.is(err.code, 'INVALID_HANDLE');
  assert.is(err.reason, 'instance-gone');
  fail = false;
  const h2 = await fn.call(CTOR, 5);
  assert.is(await fn.call(SLOW_ADD, h2, 1), 6);
});

test.run();
