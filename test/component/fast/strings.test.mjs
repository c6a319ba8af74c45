// String encodings other than utf8 on the fast glue, through the runtime: a component whose export
// forwards a string to a host import and back, built in utf8, utf16 and latin1+utf16, answers the
// same in all three (latin1 and non-latin1 strings, lone code units beyond latin1 mid-string). jco
// cannot transpile latin1+utf16 (its bindgen panics, and then refuses every later transpile in the
// process), so such a component loads without jco glue, and later loads still work.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../../dist/index.js';
import { guest, rejection, tempCache } from '../../helpers.mjs';

const wat = (enc) => `(component
  (import "test:s/host" (instance $host (export "g" (func (param "s" string) (result string)))))
  (alias export $host "g" (func $g))
  (core module $libc
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 1024))
    ;; A bump allocator that honours alignment and copies on reallocation.
    (func (export "realloc") (param $old i32) (param $oldSize i32) (param $align i32) (param $size i32) (result i32) (local $p i32)
      global.get $bump
      local.get $align
      i32.add
      i32.const 1
      i32.sub
      i32.const 0
      local.get $align
      i32.sub
      i32.and
      local.tee $p
      local.get $size
      i32.add
      global.set $bump
      (if (local.get $old) (then
        local.get $p
        local.get $old
        local.get $oldSize
        local.get $size
        local.get $oldSize
        local.get $size
        i32.lt_u
        select
        memory.copy))
      local.get $p))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $gl (canon lower (func $g) (memory $mem) (realloc $realloc) string-encoding=${enc}))
  (core module $m
    (import "h" "g" (func $g (param i32 i32 i32)))
    (func (export "f") (param i32 i32) (result i32)
      local.get 0
      local.get 1
      i32.const 256
      call $g
      i32.const 256))
  (core instance $i (instantiate $m (with "h" (instance (export "g" (func $gl))))))
  (func $f (param "s" string) (result string) (canon lift (core func $i "f") (memory $mem) (realloc $realloc) string-encoding=${enc}))
  (export "f" (func $f)))`;

const INPUTS = ['', 'abc', 'héllo ÿ', '\u0080\u00ff', 'Ā', 'aĀb', 'mixed ÿ then 中文', '🌍 astral', 'x'.repeat(300), 'é'.repeat(257)];

test('utf8, utf16 and latin1+utf16 components answer alike on the fast glue', async () => {
  const jco = await import('@bytecodealliance/jco');
  const rt = createRuntime({ cacheDir: tempCache() });
  try {
    const answers = {};
    for (const enc of ['utf8', 'utf16', 'latin1+utf16']) {
      const seen = [];
      const fn = await rt.load(`s-${enc}`, await jco.parse(wat(enc)), {
        imports: { 'test:s/host': { g: (s) => { seen.push(s); return `${s}|${s.toUpperCase()}`; } } },
      });
      assert.is(fn.glue.kind, 'fast', `${enc}: ${fn.glue.fallbackReason}`);
      answers[enc] = [];
      for (const s of INPUTS) answers[enc].push(await fn.call('f', s));
      assert.equal(seen, INPUTS, `${enc}: the host saw the strings as given`);
    }
    assert.equal(answers.utf16, answers.utf8);
    assert.equal(answers['latin1+utf16'], answers.utf8);
    assert.equal(answers.utf8, INPUTS.map((s) => `${s}|${s.toUpperCase()}`));
    // No jco glue for latin1+utf16; asking for it is a typed refusal naming why.
    const err = await rejection(rt.load('s-jco', await jco.parse(wat('latin1+utf16')), { glue: 'jco', imports: { 'test:s/host': { g: (s) => s } } }));
    assert.is(err.code, 'INVALID_COMPONENT');
    assert.match(err.message, /latin1\+utf16/);
    // jco was never handed the component: it still transpiles others.
    const hello = await rt.load('hello-jco', guest('hello'), { glue: 'jco' });
    assert.is(await hello.call('greet', 'x'), 'Hello, x!');
  } finally {
    rt.close();
  }
});

test.run();
