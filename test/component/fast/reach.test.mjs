// Which host imports each export may reach (lib/component/fast/reach.ts): exports that cannot
// reach an async import stay plain under JSPI; anything the walk cannot see through (an indirect
// call, a function of another core instance) counts as reaching every import. Hostile: a guest that
// hides its import call behind a table must still be promising, or it would trap on suspension.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { planComponent } from '../../../dist/component/fast/index.js';
import { exportReach } from '../../../dist/component/fast/reach.js';
import { createRuntime } from '../../../dist/index.js';
import { guest, testUnless } from '../../helpers.mjs';

const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const jspiTest = testUnless(HAS_JSPI ? undefined : `no JSPI on Node ${process.versions.node} (needs Node 24+)`);

const WIT = `
package test:reach;
world w {
  import host-fn: func(x: u32) -> u32;
  export direct: func(x: u32) -> u32;
  export nested: func(x: u32) -> u32;
  export through-table: func(x: u32) -> u32;
  export pure: func(x: u32) -> u32;
}`;
// `nested` reaches the import two calls down; `through-table` only through call_indirect.
const CORE = `(module
  (import "$root" "host-fn" (func $h (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $h)
  (type $t (func (param i32) (result i32)))
  (func $inner (param i32) (result i32) local.get 0 call $h)
  (func $middle (param i32) (result i32) local.get 0 call $inner)
  (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
  (func (export "direct") (param i32) (result i32) local.get 0 call $h)
  (func (export "nested") (param i32) (result i32) local.get 0 call $middle)
  (func (export "through-table") (param i32) (result i32) local.get 0 i32.const 0 call_indirect (type $t))
  (func (export "pure") (param i32) (result i32) local.get 0 call $double))`;

let bytes;
test.before(async () => {
  const jco = await import('@bytecodealliance/jco');
  bytes = await jco.componentNew(await jco.componentEmbed({ binary: await jco.parse(CORE), witSource: WIT, world: 'w' }));
});

/** Export name → reach, as sets turned into sorted arrays. */
function reachByName(componentBytes) {
  const plan = planComponent(componentBytes);
  assert.not.ok('unsupported' in plan, plan.unsupported);
  const reach = exportReach(plan);
  const out = {};
  for (const e of plan.exports) if (e.k === 'func') out[e.name] = reach[e.lift] === 'any' ? 'any' : [...reach[e.lift]].sort();
  return out;
}

test('direct and nested calls reach the import; an indirect call reaches anything; a pure export reaches nothing', () => {
  const r = reachByName(bytes);
  assert.equal(r.direct, [0]);
  assert.equal(r.nested, [0]);
  assert.is(r['through-table'], 'any');
  assert.equal(r.pure, []);
});

test('the async-host guest: the fetch exports reach its import, add reaches nothing', () => {
  const r = reachByName(readFileSync(guest('async-host')));
  assert.equal(r['fetch-plus-one'], [0]);
  assert.equal(r['fetch-sum'], [0]);
  assert.equal(r.add, []);
});

jspiTest('with an async import, every export that may reach it suspends correctly and the pure one stays plain', async () => {
  const rt = createRuntime({ cacheDir: false });
  const fn = await rt.load('reach', bytes, { imports: { 'host-fn': async (x) => { await new Promise((r) => setTimeout(r, 1)); return x + 1; } } });
  assert.is(await fn.call('direct', 1), 2);
  assert.is(await fn.call('nested', 2), 3);
  assert.is(await fn.call('through-table', 3), 4); // would trap (SuspendError) if it were plain
  assert.is(await fn.call('pure', 4), 8);
  rt.close();
});

test.run();
