// The shim/fixup indirection wit-component puts around lowered imports: recognised, removed where
// the main module can import the host functions directly, kept where it cannot.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFastGlue, planComponent } from '../../../dist/component/fast/index.js';
import { elideImportShims, readFixup, readShim } from '../../../dist/component/fast/indirection.js';

const guest = (name) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../../guests/dist/${name}.wasm`, import.meta.url))));

test('the kv guest: shim and fixup recognised, only the main module is instantiated', () => {
  const plan = planComponent(guest('kv'));
  assert.is(plan.steps.length, 3);
  const shims = plan.modules.map(readShim).filter(Boolean);
  const fixups = plan.modules.map(readFixup).filter(Boolean);
  assert.is(shims.length, 1);
  assert.is(fixups.length, 1);
  assert.ok(shims[0].slots.size > 0);
  assert.is(fixups[0].slots.size, shims[0].slots.size);
  const elided = elideImportShims(plan);
  assert.is(elided.steps.length, 1);
  // Every import of the main module is now a host function (lower or drop), none a shim export.
  for (const [, src] of elided.steps[0].args) {
    assert.is(src.k, 'exports');
    for (const [, item] of src.items) assert.ok(item.k === 'lower' || item.k === 'drop', JSON.stringify(item));
  }
  assert.is(plan.steps.length, 3, 'the original plan is not modified');
});

test('the elided glue makes one core instance and calls the host directly', () => {
  const plan = planComponent(guest('kv'));
  const modules = plan.modules.map((m) => new WebAssembly.Module(m));
  const glue = createFastGlue(plan, modules);
  const store = new Map();
  const calls = [];
  const host = {
    get: (k) => { calls.push(['get', k]); return store.get(k); },
    set: (k, v) => { calls.push(['set', k]); store.set(k, v); },
    log: (level, message) => { calls.push(['log', level, message]); },
  };
  const imports = Object.fromEntries(glue.imports.map((k) => [k, host]));
  let instances = 0;
  const exports = glue.instantiate(imports, (m, i) => { instances++; return new WebAssembly.Instance(m, i); });
  assert.is(instances, 1);
  assert.is(exports.incr('a'), 1);
  assert.is(exports.incr('a'), 2);
  assert.is(store.get('a'), '2');
  assert.equal(calls.filter(([k]) => k === 'log'), [['log', 1, 'incr a = 1'], ['log', 1, 'incr a = 2']]);
  assert.is(exports.copy('a', 'b'), true);
  assert.is(store.get('b'), '2');
  assert.is(exports.copy('missing', 'c'), false);
});

test('modules of other shapes are not mistaken for shims or fixups', () => {
  const plan = planComponent(guest('hello'));
  for (const m of plan.modules) {
    assert.is(readShim(m), undefined);
    assert.is(readFixup(m), undefined);
  }
  assert.is(readShim(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), undefined);
  assert.is(readShim(new Uint8Array([1, 2, 3])), undefined);
  assert.is(readFixup(new Uint8Array([1, 2, 3])), undefined);
});

test.run();
