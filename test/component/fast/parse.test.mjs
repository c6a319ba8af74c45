// The component decoder and planner: what they accept, what they refuse (with a reason), and that
// no input — truncated, corrupted or not a component — makes them throw instead of answering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planComponent } from '../../../dist/component/fast/index.js';
import { parseComponent } from '../../../dist/component/fast/parse.js';
import { testUnless } from '../../helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const guest = (name) => readFileSync(join(root, 'guests', 'dist', `${name}.wasm`));

test('hello: one core module, one lifted export with memory, realloc, post-return', () => {
  const plan = planComponent(guest('hello'));
  assert.ok(!('unsupported' in plan), plan.unsupported);
  assert.is(plan.modules.length, 1);
  assert.equal(plan.steps, [{ module: 0, args: [] }]);
  assert.equal(plan.exports, [{ name: 'greet', k: 'func', lift: 0 }]);
  const lift = plan.lifts[0];
  assert.equal(lift.type, { params: [{ name: 'name', type: { kind: 'string' } }], result: { kind: 'string' } });
  assert.equal(lift.core, { k: 'export', step: 0, name: 'greet' });
  assert.equal(lift.memory, { k: 'export', step: 0, name: 'memory' });
  assert.equal(lift.realloc, { k: 'export', step: 0, name: 'cabi_realloc' });
  assert.equal(lift.postReturn, { k: 'export', step: 0, name: 'cabi_post_greet' });
});

test('kv: shim, main and fixup modules in order; lowered imports typed from the import instance types', () => {
  const plan = planComponent(guest('kv'));
  assert.ok(!('unsupported' in plan), plan.unsupported);
  assert.equal(plan.imports, ['sfirt:kv/store', 'sfirt:kv/log']);
  assert.is(plan.steps.length, 3);
  // main imports the shim's indirect functions through inline export bags
  const main = plan.steps[1];
  assert.equal(main.args.map(([n]) => n), ['sfirt:kv/store', 'sfirt:kv/log']);
  const get = plan.lowers.find((l) => l.name === 'get');
  assert.equal(get.type.result, { kind: 'option', type: { kind: 'string' } });
  assert.ok(get.realloc, 'get lowers a string result: needs realloc');
  const fixup = plan.steps[2];
  assert.equal(fixup.args.map(([n]) => n), ['actual', 'shim']);
  assert.ok(fixup.args[0][1].items.every(([, item]) => item.k === 'lower'));
});

const adderPath = join(process.env.SFIRT_SHARED_DIR ?? join(root, '..', 'shared'), 'components', 'adder.component.wasm');
testUnless(existsSync(adderPath) ? undefined : `${adderPath} is absent`)('adder: an interface exported through a nested shim component is flattened', () => {
  const path = adderPath;
  const plan = planComponent(readFileSync(path));
  assert.ok(!('unsupported' in plan), plan.unsupported);
  assert.equal(plan.exports, [{ name: 'docs:adder/add@0.1.0', k: 'instance', funcs: [['add', 0]], resources: [] }]);
});

test('components outside the fast path are refused with a reason', async () => {
  // Resources, imported (WASI streams) and in exported signatures (wasi:http), are supported.
  assert.not.ok('unsupported' in planComponent(guest('wasi-probe')));
  assert.not.ok('unsupported' in planComponent(guest('http-hello')));
  // Handle tables are per component instance: resources a nested component defines are refused.
  const { parse } = await import('@bytecodealliance/jco');
  const nested = await parse(`(component
    (component $inner (type $r (resource (rep i32))) (export "r" (type $r)))
    (instance $i (instantiate $inner))
    (export "x" (instance $i)))`);
  assert.match(planComponent(nested).unsupported, /resources defined in a nested component/);
  const core = readFileSync(join(root, 'guests', 'dist', 'hello.wasm')).subarray(0, 8);
  core[4] = 1; core[6] = 0; // a core module header
  assert.match(planComponent(core).unsupported, /not a component/);
  assert.match(planComponent(new Uint8Array(0)).unsupported, /not a component/);
});

test('every truncation and many corruptions of a component are answered, never thrown', () => {
  const bytes = guest('kv');
  let refused = 0;
  for (let n = 0; n < bytes.length; n += Math.max(1, bytes.length >> 9)) {
    const r = planComponent(bytes.subarray(0, n));
    if ('unsupported' in r) refused++;
  }
  assert.ok(refused > 0);
  let s = 12345;
  for (let i = 0; i < 400; i++) {
    const copy = Uint8Array.from(bytes);
    for (let k = 0; k < 4; k++) {
      s = (s * 1103515245 + 12345) >>> 0;
      copy[8 + (s % (copy.length - 8))] = s >>> 24;
    }
    const r = planComponent(copy);
    assert.ok(r && (('unsupported' in r) || Array.isArray(r.modules)));
  }
});

test('parseComponent reads the sections of every built guest completely', () => {
  for (const name of ['hello', 'bytes', 'compute', 'kv', 'state', 'trap', 'wat-add']) {
    const parsed = parseComponent(guest(name));
    assert.ok(parsed.definitions.some((d) => d.s === 'coreModule'), name);
    assert.ok(parsed.definitions.some((d) => d.s === 'export'), name);
  }
});

test.run();
