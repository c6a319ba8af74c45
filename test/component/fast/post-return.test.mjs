// Post-returns in a `reset` pool (lib/component/fast/bindings.ts `resetFollows`, reach.ts
// `postReturnPurity`): one that provably calls nothing outside its core module is skipped, since
// the reset restores all it could change (so its fuel is not counted); one that calls an import,
// or calls indirectly (it could reach an import through the table), runs as the Canonical ABI says.
// In `reuse` mode, and for calls on a handle's instance, every post-return runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planComponent } from '../../../dist/component/fast/index.js';
import { postReturnPurity } from '../../../dist/component/fast/reach.js';
import { createRuntime } from '../../../dist/index.js';

const WIT = `
package test:post;
world w {
  import note: func(x: u32);
  export pure: func(n: u32) -> string;
  export impure: func(n: u32) -> string;
  export indirect: func(n: u32) -> string;
}`;
// Each export keeps n at address 0 and returns "ok"; its post-return then spins n times (pure,
// or through call_indirect) or hands n to the host (impure).
const CORE = `(module
  (import "$root" "note" (func $note (param i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (type $t (func (param i32)))
  (table 1 funcref)
  (elem (i32.const 0) $spin)
  (data (i32.const 16) "ok")
  (func $ret (param i32) (result i32)
    (i32.store (i32.const 0) (local.get 0))
    (i32.store (i32.const 8) (i32.const 16))
    (i32.store (i32.const 12) (i32.const 2))
    (i32.const 8))
  (func $spin (param $n i32)
    (global.set $g (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (global.get $g) (local.get $n)))
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (br $l))))
  (func (export "pure") (param i32) (result i32) (call $ret (local.get 0)))
  (func (export "cabi_post_pure") (param i32) (call $spin (i32.load (i32.const 0))))
  (func (export "impure") (param i32) (result i32) (call $ret (local.get 0)))
  (func (export "cabi_post_impure") (param i32) (call $note (i32.load (i32.const 0))))
  (func (export "indirect") (param i32) (result i32) (call $ret (local.get 0)))
  (func (export "cabi_post_indirect") (param i32) (call_indirect (type $t) (i32.load (i32.const 0)) (i32.const 0))))`;

let bytes;
test.before(async () => {
  const jco = await import('@bytecodealliance/jco');
  bytes = await jco.componentNew(await jco.componentEmbed({ binary: await jco.parse(CORE), witSource: WIT, world: 'w' }));
});

test('purity: a post-return calling only its own functions is pure; one calling an import or through the table is not', () => {
  const plan = planComponent(bytes);
  assert.not.ok('unsupported' in plan, plan.unsupported);
  const pure = postReturnPurity(plan);
  const byName = Object.fromEntries(plan.exports.filter((e) => e.k === 'func').map((e) => [e.name, pure[e.lift]]));
  assert.equal(byName, { pure: true, impure: false, indirect: false });
});

async function load(mode, notes) {
  const rt = createRuntime({ cacheDir: false });
  const fn = await rt.load(`post-${mode}`, bytes, { imports: { note: (x) => { notes.push(x); } }, limits: { fuel: 100_000_000 }, pool: { mode } });
  assert.is(fn.glue.kind, 'fast');
  return { rt, fn };
}
const fuel = async (fn, name, n) => {
  const inv = await fn.invoke(name, [n]);
  assert.is(inv.value, 'ok');
  return inv.stats.fuelUsed;
};

test('reset pool: the pure post-return is skipped (its fuel is not counted); the others run', async () => {
  const notes = [];
  const { rt, fn } = await load('reset', notes);
  // The pure post-return's spin is the only work that grows with n: skipped, the fuel is the same.
  assert.is(await fuel(fn, 'pure', 100_000), await fuel(fn, 'pure', 1));
  // The indirect one runs (its spin is counted), and so does the one calling the host.
  assert.ok(await fuel(fn, 'indirect', 100_000) > (await fuel(fn, 'indirect', 1)) + 100_000);
  await fn.call('impure', 7);
  await fn.call('impure', 8);
  assert.equal(notes, [7, 8]);
  rt.close();
});

test('reuse pool: every post-return runs (the instance serves the next call as it is)', async () => {
  const notes = [];
  const { rt, fn } = await load('reuse', notes);
  assert.ok(await fuel(fn, 'pure', 100_000) > (await fuel(fn, 'pure', 1)) + 100_000);
  assert.ok(await fuel(fn, 'indirect', 100_000) > (await fuel(fn, 'indirect', 1)) + 100_000);
  await fn.call('impure', 9);
  assert.equal(notes, [9]);
  rt.close();
});

test('a call that runs no post-return leaves the next call on a fresh state: reset after the skip', async () => {
  const { rt, fn } = await load('reset', []);
  // `pure` leaves n at address 0 for its post-return; the reset restores the memory, so each call
  // starts from the same state and returns the same value whatever the previous n was.
  for (const n of [3, 1_000, 5]) assert.is(await fn.call('pure', n), 'ok');
  assert.is(await fuel(fn, 'pure', 2), await fuel(fn, 'pure', 1_000_000));
  rt.close();
});

test.run();
