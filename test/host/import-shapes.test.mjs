// How host imports are given and told apart, on both glues: world-level function imports in any
// accepted shape (and the MISSING_IMPORT hint naming one), two versions of one interface kept
// apart on both sides (exports and imports), imports keyed with or without `@version`, and nested
// results returned by a host import arriving exactly as returned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { rejection, tempCache } from '../helpers.mjs';

const WIT = `
package test:main;
world w {
  import test:dep/test@0.1.0;
  import test:dep/test@0.2.0;
  import host-fn: func(x: u32) -> u32;
  import nested: func() -> result<result<_, string>, string>;
  export test:dep/test@0.1.0;
  export test:dep/test@0.2.0;
  export call-host: func(x: u32) -> u32;
  export call-nested: func() -> result<result<_, string>, string>;
}
package test:dep@0.1.0 { interface test { x: func() -> u32; y: func(a: u32) -> u32; } }
package test:dep@0.2.0 { interface test { x: func() -> u32; z: func(a: u32, b: u32) -> u32; } }
`;

// x() answers its version; y/z add the host's x of their own version.
const CORE = `(module
  (import "test:dep/test@0.1.0" "x" (func $x1 (result i32)))
  (import "test:dep/test@0.2.0" "x" (func $x2 (result i32)))
  (import "$root" "host-fn" (func $h (param i32) (result i32)))
  (import "$root" "nested" (func $n (param i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "test:dep/test@0.1.0#x") (result i32) i32.const 1)
  (func (export "test:dep/test@0.1.0#y") (param i32) (result i32) local.get 0 call $x1 i32.add)
  (func (export "test:dep/test@0.2.0#x") (result i32) i32.const 2)
  (func (export "test:dep/test@0.2.0#z") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add call $x2 i32.add)
  (func (export "call-host") (param i32) (result i32) local.get 0 call $h)
  (func (export "call-nested") (result i32) i32.const 64 call $n i32.const 64))`;

let bytes;
test.before(async () => {
  const jco = await import('@bytecodealliance/jco');
  bytes = await jco.componentNew(await jco.componentEmbed({ binary: await jco.parse(CORE), witSource: WIT, world: 'w' }));
});

const rt = createRuntime({ cacheDir: tempCache() });
test.after(() => rt.close());

let nestedAnswer;
const imports = (extra = {}) => ({
  'test:dep/test@0.1.0': { x: () => 100 },
  'test:dep/test@0.2.0': { x: () => 200 },
  'host-fn': (x) => x * 3,
  nested: () => nestedAnswer(),
  ...extra,
});

for (const glue of ['fast', 'jco']) {
  test(`${glue}: two versions of one interface stay apart, exports and imports`, async () => {
    const fn = await rt.load(`v-${glue}`, bytes, { glue, imports: imports() });
    assert.is(fn.glue.kind, glue);
    assert.is(await fn.call('test:dep/test@0.1.0#x'), 1);
    assert.is(await fn.call('test:dep/test@0.2.0#x'), 2);
    assert.is(await fn.call('test:dep/test@0.1.0#y', 5), 105);
    assert.is(await fn.call('test:dep/test@0.2.0#z', 1, 2), 203);
    // Every name the runtime lists is callable.
    for (const name of fn.exportNames()) {
      const err = await fn.call(name, 1, 2).catch((e) => e);
      assert.ok(err?.code !== 'UNKNOWN_EXPORT', `${name}: ${err?.message}`);
    }
    assert.is((await rejection(fn.call('test:dep/test#x'))).code, 'INVALID_ARGUMENT', 'ambiguous without the version');
    // Given without versions, both versions share the host's functions (as plain jco does).
    const shared = await rt.load(`v-shared-${glue}`, bytes, { glue, imports: { ...imports(), 'test:dep/test@0.1.0': undefined, 'test:dep/test@0.2.0': undefined, 'test:dep/test': { x: () => 7 } } });
    assert.is(await shared.call('test:dep/test@0.1.0#y', 1), 8);
    assert.is(await shared.call('test:dep/test@0.2.0#z', 1, 1), 9);
  });

  test(`${glue}: a world-level function import is given as a function, { default } or { name }`, async () => {
    for (const shape of [(x) => x + 1, { default: (x) => x + 1 }, { 'host-fn': (x) => x + 1 }, { hostFn: (x) => x + 1 }]) {
      const fn = await rt.load(`w-${glue}`, bytes, { glue, replace: true, imports: imports({ 'host-fn': shape }) });
      assert.is(await fn.call('call-host', 4), 5);
    }
    for (const shape of [undefined, {}, { other: () => 1 }]) {
      const err = await rejection(rt.load(`w-missing-${glue}`, bytes, { glue, replace: true, imports: imports({ 'host-fn': shape }) }));
      assert.is(err.code, 'MISSING_IMPORT');
      assert.match(err.message, /imports\['host-fn'\] as a function/);
    }
  });

  test(`${glue}: a host import's nested result arrives exactly as returned`, async () => {
    const fn = await rt.load(`n-${glue}`, bytes, { glue, imports: imports() });
    // result<result<_, string>, string>: the host returns the ok value, throws the err value.
    const cases = [
      [() => ({ tag: 'err', val: 'inner' }), { tag: 'ok', val: { tag: 'err', val: 'inner' } }],
      [() => ({ tag: 'ok' }), { tag: 'ok', val: { tag: 'ok', val: undefined } }],
      [() => { throw Object.assign(new Error('outer'), { payload: 'outer' }); }, { tag: 'err', val: 'outer' }],
    ];
    for (const [host, want] of cases) {
      nestedAnswer = host;
      assert.equal(await fn.call('call-nested'), want);
    }
  });
}

test.run();
