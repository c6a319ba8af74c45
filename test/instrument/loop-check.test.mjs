// addLoopChecks: which loops get a stop check, that checked code behaves as before while the flag
// is clear and traps once it is set, and that indices, exports and other sections stay valid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from '@bytecodealliance/jco';
import { addLoopChecks, STOP_FLAG_EXPORT } from '../../dist/instrument/loop-check.js';
import { InvalidModuleError } from '../../dist/instrument/index.js';

const FLAG = 1024;

/** Instantiates the rewritten module with the flag at address FLAG; `set(v)` writes the flag. */
async function checked(wat, imports = {}) {
  const original = await parse(wat);
  const result = addLoopChecks(original);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(result.bytes), imports);
  exports[STOP_FLAG_EXPORT].value = FLAG;
  const bytes = new Uint8Array(exports.memory.buffer);
  return { result, original, exports, set: (v) => { bytes[FLAG] = v; } };
}

const trapsUnreachable = (fn) => {
  try {
    fn();
  } catch (err) {
    assert.instance(err, WebAssembly.RuntimeError);
    assert.match(err.message, /unreachable/);
    return;
  }
  assert.unreachable('did not trap');
};

const LOOPS = `(module
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 7))
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  ;; an innermost loop without calls: never checked
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
  ;; a loop that calls: checked
  (func (export "calls") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (call $leaf (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s))
  ;; nested loops: the outer one is checked, the inner (no call) is not
  (func (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
    (block $o (loop $lo
      (br_if $o (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $x (loop $li
        (br_if $x (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $li)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $lo)))
    (local.get $s))
  ;; a loop with a parameter (multi-value): the check sits on top of its operand
  (type $t (func (param i32) (result i32)))
  (func (export "param-loop") (param $n i32) (result i32)
    (local.get $n)
    (loop $l (type $t)
      (call $leaf)
      (local.tee $n)
      (br_if $l (i32.lt_u (local.get $n) (i32.const 10)))))
  (func (export "global") (result i32) (global.get $g)))`;

test('checks loops that call or contain loops, not innermost call-free loops', async () => {
  const { result } = await checked(LOOPS);
  assert.is(result.loops, 5);
  assert.is(result.checked, 3); // calls, the outer loop of nested, param-loop
});

test('with the flag clear every function computes what it did before', async () => {
  const { exports, original } = await checked(LOOPS);
  const plain = new WebAssembly.Instance(new WebAssembly.Module(original)).exports;
  for (const [name, arg] of [['count', 1000], ['calls', 1000], ['nested', 30], ['param-loop', 0], ['global', undefined]]) {
    assert.is(exports[name](arg), plain[name](arg), name);
  }
});

test('with the flag set, checked loops trap at their next iteration; unchecked code runs on', async () => {
  const { exports, set } = await checked(LOOPS);
  set(1);
  trapsUnreachable(() => exports.calls(10));
  trapsUnreachable(() => exports.nested(10));
  trapsUnreachable(() => exports['param-loop'](0));
  assert.is(exports.count(1000), 1000, 'innermost loops without calls are not checked');
  assert.is(exports.global(), 7, 'the module\'s own globals keep their indices');
  set(0);
  assert.is(exports.calls(10), 10);
});

test('a flag set by another thread stops a long-running loop', async () => {
  const wat = `(module
    (import "env" "mem" (memory 1 1 shared))
    (func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func (export "forever") (local $s i32)
      (loop $l (local.set $s (call $step (local.get $s))) (br $l))))`;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const result = addLoopChecks(await parse(wat));
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(result.bytes), { env: { mem: memory } });
  exports[STOP_FLAG_EXPORT].value = FLAG;
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(`const { workerData } = require('node:worker_threads');
    const i32 = new Int32Array(new SharedArrayBuffer(4)); Atomics.wait(i32, 0, 0, 50);
    Atomics.store(new Uint8Array(workerData.buffer), ${FLAG}, 1);`, { eval: true, workerData: memory });
  const t0 = performance.now();
  trapsUnreachable(() => exports.forever());
  const ms = performance.now() - t0;
  await worker.terminate();
  assert.ok(ms >= 40 && ms < 5000, `stopped after ${ms.toFixed(1)} ms`);
});

test('modules without globals, exports or loops are extended in place', async () => {
  const { result, exports } = await checked('(module (memory (export "memory") 1) (func (export "f") (result i32) (i32.const 3)))');
  assert.is(result.loops, 0);
  assert.is(exports.f(), 3);
  const bare = addLoopChecks(await parse('(module (memory 1))'));
  const names = WebAssembly.Module.exports(new WebAssembly.Module(bare.bytes)).map((e) => e.name);
  assert.equal(names, [STOP_FLAG_EXPORT]);
});

test('unreadable bytes are InvalidModuleError', () => {
  for (const bytes of [new Uint8Array(0), Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 10, 50, 1)]) {
    try {
      addLoopChecks(bytes);
      assert.unreachable('accepted garbage');
    } catch (err) {
      assert.instance(err, InvalidModuleError);
    }
  }
});

test.run();
