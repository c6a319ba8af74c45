// Confirms the JavaScript shapes the validator assumes by calling real components through jco's
// own generated bindings (jco 1.35 transpile, no sfirt runtime involved): values the validator
// accepts are the ones the guests receive correctly, and jco itself does not reject the bad
// values we reject (it silently converts them), which is why validation exists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpile, parse } from '@bytecodealliance/jco';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { addInterfacesFromBinary, witFromComponent } from '../../../dist/component/wit/from-component.js';
import { parseWit } from '../../../dist/component/wit/parse.js';
import { resolveWorldExports, resolveWorldImports } from '../../../dist/component/wit/resolve.js';
import { findExport } from '../../../dist/component/wit/find.js';
import { validateArgs } from '../../../dist/component/wit/validate.js';
import { testUnless } from '../../helpers.mjs';

const sharedDir = fileURLToPath(new URL('../../../../shared/components/', import.meta.url));
const hasShared = existsSync(sharedDir);
/** Tests of the third-party components in ../shared: skipped (visibly) without it. */
const sharedTest = testUnless(hasShared ? undefined : `${sharedDir} is absent`);
const work = mkdtempSync(join(tmpdir(), 'sfirt-wit-'));

/** Transpiles `bytes` with jco and returns a factory of fresh instances plus the resolved exports. */
async function load(name, bytes) {
  const out = await transpile(bytes, { name: 'c', instantiation: { tag: 'async' } });
  const dir = join(work, name);
  for (const [file, content] of Object.entries(out.files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  const glue = await import(pathToFileURL(join(dir, 'c.js')).href);
  const doc = await witFromComponent(bytes);
  const modules = new Map();
  const getCoreModule = (f) => {
    if (!modules.has(f)) modules.set(f, new WebAssembly.Module(readFileSync(join(dir, f))));
    return modules.get(f);
  };
  const imports = hostImports(doc);
  return {
    fns: resolveWorldExports(doc),
    instantiate: () => glue.instantiate(getCoreModule, imports),
  };
}

/**
 * WASI from preview2-shim, sandboxed; the component's `test:*` host interfaces get functions that
 * fail loudly (these tests never call the exports that would reach them).
 */
function hostImports(doc) {
  const imports = new WASIShim({ sandbox: { env: {}, args: [], preopens: {}, enableNetwork: false } }).getImportObject();
  for (const iface of resolveWorldImports(doc)) {
    if (iface.id.startsWith('wasi:')) continue;
    const obj = {};
    for (const f of iface.functions) {
      if (f.kind !== 'freestanding') continue;
      obj[f.jsName] = () => { throw new Error(`host import ${f.qualifiedName} is not used by this test`); };
    }
    for (const r of iface.resources) {
      const cls = iface.functions.find((f) => f.resource === r)?.resourceJsName ?? r;
      obj[cls] = class { constructor() { throw new Error(`host resource ${r} is not used by this test`); } };
    }
    imports[iface.jsKey] = iface.isFunction ? { default: obj[iface.functions[0].jsName] } : obj;
  }
  return imports;
}

/** Every export's `jsPath` leads to a function (or class) on the instantiated exports object. */
function assertPaths(ctx, root) {
  for (const f of ctx.fns) {
    const target = f.jsPath.reduce((o, k) => (o == null ? o : o[k]), root);
    assert.type(target, 'function', `${f.qualifiedName} at ${f.jsPath.join('.')}`);
  }
}

/** Asserts the validator accepts `args` for `spec`, then makes the real call through jco. */
function call(ctx, spec, target, args) {
  validateArgs(findExport(ctx.fns, spec), args);
  return target(...args);
}

function accepts(ctx, spec, args) {
  validateArgs(findExport(ctx.fns, spec), args);
}

function rejected(ctx, spec, args) {
  try {
    validateArgs(findExport(ctx.fns, spec), args);
  } catch (e) {
    return e.code;
  }
  return 'accepted';
}

test('nested option and variant shapes (hand-written component)', async () => {
  const bytes = await parse(readFileSync(new URL('./fixtures/shapes.wat', import.meta.url), 'utf8'));
  const ctx = await load('shapes', bytes);
  const root = await ctx.instantiate();
  assertPaths(ctx, root);
  const { api } = root;
  // option<option<u32>>: the outer level must be a { tag } object because the inner one is nullable.
  assert.is(call(ctx, 'api#nested', api.nested, [{ tag: 'none' }]), 0);
  assert.is(call(ctx, 'api#nested', api.nested, [{ tag: 'some', val: undefined }]), 1);
  assert.is(call(ctx, 'api#nested', api.nested, [{ tag: 'some', val: null }]), 1);
  assert.is(call(ctx, 'api#nested', api.nested, [{ tag: 'some', val: 5 }]), 7);
  // jco's glue crashes on an untagged outer none and rejects a bare value; we reject both first.
  assert.throws(() => api.nested(undefined), TypeError);
  assert.is(rejected(ctx, 'api#nested', [undefined]), 'INVALID_ARGUMENT');
  assert.throws(() => api.nested(5), /invalid variant specified for option/);
  assert.is(rejected(ctx, 'api#nested', [5]), 'INVALID_ARGUMENT');
  // A tagged inner value is not an option<u32> payload: jco converts the object to 0; we reject.
  assert.is(api.nested({ tag: 'some', val: { tag: 'some', val: 5 } }), 2);
  assert.is(rejected(ctx, 'api#nested', [{ tag: 'some', val: { tag: 'some', val: 5 } }]), 'INVALID_ARGUMENT');
  // variant: { tag, val }.
  assert.is(call(ctx, 'pick', api.pick, [{ tag: 'nothing' }]), 1000);
  assert.is(call(ctx, 'pick', api.pick, [{ tag: 'num', val: 42 }]), 42);
  assert.is(rejected(ctx, 'pick', [{ tag: 'num', val: -1 }]), 'INVALID_ARGUMENT');
  assert.is(api.pick({ tag: 'num', val: -1 }), 4294967295); // what jco does unvalidated
});

sharedTest('adder: u32 wrap-around without validation', async () => {
  const ctx = await load('adder', readFileSync(join(sharedDir, 'adder.component.wasm')));
  const root = await ctx.instantiate();
  assertPaths(ctx, root);
  assert.is(call(ctx, 'add', root.add.add, [2, 3]), 5);
  assert.is(root['docs:adder/add@0.1.0'].add, root.add.add); // both keys, as recorded
  assert.is(root.add.add(-1, 2), 1);
  assert.is(root.add.add('x', 2), 2);
  assert.is(rejected(ctx, 'add', [-1, 2]), 'INVALID_ARGUMENT');
  assert.is(rejected(ctx, 'add', ['x', 2]), 'INVALID_ARGUMENT');
});

sharedTest('asmjs_bigint: s64 takes bigint, and numbers (which jco converts with BigInt)', async () => {
  const ctx = await load('bigint', readFileSync(join(sharedDir, 'asmjs_bigint.component.wasm')));
  const root = await ctx.instantiate();
  assert.is(call(ctx, 'add', root.add, [2n, 3n]), 5n);
  assert.is(call(ctx, 'add', root.add, [2, 3]), 5n);
  assert.is(root.add(2n ** 63n, 0n), -(2n ** 63n)); // jco wraps silently
  assert.is(rejected(ctx, 'add', [2n ** 63n, 0n]), 'INVALID_ARGUMENT');
});

sharedTest('flavorful: option, result, record, enum, list shapes reach the guest intact', async () => {
  const ctx = await load('flavorful', readFileSync(join(sharedDir, 'flavorful.component.wasm')));
  const root = await ctx.instantiate();
  assertPaths(ctx, root);
  const t = root.test;
  // The guest asserts a == Some("foo") and b == Err("bar").
  call(ctx, 'f-list-in-variant1', t.fListInVariant1, ['foo', { tag: 'err', val: 'bar' }]);
  assert.is(call(ctx, 'f-list-in-variant3', t.fListInVariant3, ['input3']), 'output3');
  assert.equal(call(ctx, 'f-list-in-record4', t.fListInRecord4, [{ a: 'input4' }]), { a: 'result4' });
  const [bytes, strs] = call(ctx, 'list-typedefs', t.listTypedefs, ['typedef1', ['typedef2']]);
  assert.equal([new TextDecoder().decode(bytes), strs], ['typedef3', ['typedef4']]);
  call(ctx, 'f-list-in-record1', t.fListInRecord1, [{ a: 'list_in_record1' }]);
  // A none where the guest (C: `assert(maybe_a != NULL)`) expects some: it traps, so `undefined`
  // really is none; likewise an `ok` where it asserts `is_err`.
  console.log('  (the guest prints two "Assertion failed" lines next: expected)');
  let fresh = (await ctx.instantiate()).test;
  assert.throws(() => fresh.fListInVariant1(undefined, { tag: 'err', val: 'bar' }), /unreachable/);
  fresh = (await ctx.instantiate()).test;
  assert.throws(() => fresh.fListInVariant1('foo', { tag: 'ok' }), /unreachable/);
  assert.is(rejected(ctx, 'f-list-in-variant1', ['foo', 'bar']), 'INVALID_ARGUMENT');
  assert.is(rejected(ctx, 'list-of-variants', [[true, false], [{ tag: 'ok' }], ['Success']]), 'INVALID_ARGUMENT');
  accepts(ctx, 'list-of-variants', [[true, false], [{ tag: 'ok' }, { tag: 'err' }], ['success', 'a']]);
});

sharedTest('records: flags objects, records with camelCase fields, tuples as arrays', async () => {
  const ctx = await load('records', readFileSync(join(sharedDir, 'records.component.wasm')));
  const { test: t } = await ctx.instantiate();
  assert.equal(call(ctx, 'roundtrip-flags1', t.roundtripFlags1, [{ a: true }]), { a: true, b: false });
  assert.equal(call(ctx, 'roundtrip-record1', t.roundtripRecord1, [{ a: 8, b: { b: true } }]), { a: 8, b: { a: false, b: true } });
  assert.equal(call(ctx, 'swap-tuple', t.swapTuple, [[1, 2]]), [2, 1]);
  // jco drops unknown flag names silently; we reject them.
  assert.equal(t.roundtripFlags1({ a: true, c: true }), { a: true, b: false });
  assert.is(rejected(ctx, 'roundtrip-flags1', [{ a: true, c: true }]), 'INVALID_ARGUMENT');
});

sharedTest('numbers: every scalar; jco wraps out-of-range values, we reject them', async () => {
  const ctx = await load('numbers', readFileSync(join(sharedDir, 'numbers.component.wasm')));
  const { test: t } = await ctx.instantiate();
  assert.is(call(ctx, 'roundtrip-u8', t.roundtripU8, [255]), 255);
  assert.is(call(ctx, 'roundtrip-s16', t.roundtripS16, [-32768]), -32768);
  assert.is(call(ctx, 'roundtrip-u64', t.roundtripU64, [2n ** 64n - 1n]), 2n ** 64n - 1n);
  assert.is(call(ctx, 'roundtrip-u64', t.roundtripU64, [7]), 7n);
  assert.is(call(ctx, 'roundtrip-f32', t.roundtripF32, [1.5]), 1.5);
  assert.is(call(ctx, 'roundtrip-char', t.roundtripChar, ['😀']), '😀');
  assert.is(t.roundtripU8(-1), 255);
  assert.is(rejected(ctx, 'roundtrip-u8', [-1]), 'INVALID_ARGUMENT');
  assert.is(t.roundtripU32(2.7), 2);
  assert.is(rejected(ctx, 'roundtrip-u32', [2.7]), 'INVALID_ARGUMENT');
});

sharedTest('resources: classes, constructors, methods and statics where jsPath says', async () => {
  const ctx = await load('resources', readFileSync(join(sharedDir, 'resources.component.wasm')));
  const root = await ctx.instantiate();
  assertPaths(ctx, root);
  const X = findExport(ctx.fns, 'exports#[constructor]x').jsPath.reduce((o, k) => o[k], root);
  validateArgs(findExport(ctx.fns, 'exports#[constructor]x'), [5]);
  const x = new X(5);
  validateArgs(findExport(ctx.fns, 'exports#[method]x.set-a'), [9]);
  x.setA(9);
  assert.is(x.getA(), 9);
  const addFn = findExport(ctx.fns, 'exports#[static]x.add');
  validateArgs(addFn, [x, 1]);
  assert.is(X.add(x, 1).getA(), 10);
  assert.is(rejected(ctx, 'exports#[static]x.add', [x, 2 ** 31]), 'INVALID_ARGUMENT');
  assert.is(rejected(ctx, 'exports#[constructor]x', ['5']), 'INVALID_ARGUMENT');
});

test('a component WIT text alone, with interfaces decoded separately, gives the same exports', async () => {
  const bytes = await parse(readFileSync(new URL('./fixtures/shapes.wat', import.meta.url), 'utf8'));
  const { componentWit } = await import('@bytecodealliance/jco');
  const doc = parseWit(await componentWit(bytes));
  assert.equal(resolveWorldExports(doc), []); // the text has no definition of test:shapes/api
  addInterfacesFromBinary(doc, bytes);
  assert.equal(resolveWorldExports(doc).map((f) => f.qualifiedName), ['test:shapes/api#nested', 'test:shapes/api#pick']);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
