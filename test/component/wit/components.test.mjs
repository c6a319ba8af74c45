// The WIT of every real component in ../shared/components and of this project's built guests
// (guests/dist): jco's `componentWit` text parses, the interface definitions it omits are decoded
// from the binary, and the resolved exports agree with what jco's own `transpile` generates
// (export keys, function and class names, parameter counts). Spot checks of fully resolved types
// for flavorful, records, lists, many-arguments and resources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { componentWit, transpile } from '@bytecodealliance/jco';
import { parseWit } from '../../../dist/component/wit/parse.js';
import { witFromComponent } from '../../../dist/component/wit/from-component.js';
import { resolveWorldExports, resolveWorldImports, missingInterfaces } from '../../../dist/component/wit/resolve.js';
import { findExport } from '../../../dist/component/wit/find.js';
import { typeToString } from '../../../dist/component/wit/types.js';
import { testUnless } from '../../helpers.mjs';

const dir = fileURLToPath(new URL('../../../../shared/components/', import.meta.url));
const guestsDir = fileURLToPath(new URL('../../../guests/dist/', import.meta.url));
const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.component.wasm')).sort() : [];
const guests = existsSync(guestsDir) ? readdirSync(guestsDir).filter((f) => f.endsWith('.wasm')).sort() : [];
/** Every component to check, as paths. */
const files = [...names.map((n) => dir + n), ...guests.map((n) => guestsDir + n)];
/** Tests over every component, and spot checks of ../shared's: skipped (visibly) when absent. */
const anyTest = testUnless(files.length ? undefined : `no components in ${dir} and no built guests in ${guestsDir}`);
const sharedTest = testUnless(names.length ? undefined : `no components in ${dir} (../shared is absent)`);

const docs = new Map();
/** `name` is a file name in ../shared/components or a full path. */
const load = async (name) => {
  if (!docs.has(name)) docs.set(name, await witFromComponent(readFileSync(name.startsWith('/') ? name : dir + name)));
  return docs.get(name);
};
const exportsOf = async (name) => resolveWorldExports(await load(name));
const sig = (f) => `(${f.params.map((p) => `${p.name}: ${typeToString(p.type)}`).join(', ')})${f.result ? ` -> ${typeToString(f.result)}` : ''}`;

anyTest(`all ${files.length} components: WIT text parses, every referenced interface is defined after decoding`, async () => {
  for (const name of files) {
    const bytes = readFileSync(name);
    const textOnly = parseWit(await componentWit(bytes));
    assert.ok(textOnly.packages[0].worlds.size >= 1, `${name}: no world`);
    const doc = await load(name);
    assert.equal(missingInterfaces(doc), [], `${name}: interfaces still missing`);
    resolveWorldImports(doc); // must not throw
    for (const f of resolveWorldExports(doc)) {
      for (const p of f.params) assert.not.match(JSON.stringify(p.type), /"kind":"unknown"/, `${name} ${f.qualifiedName}`);
    }
  }
});

anyTest('resolved exports match the names and arities in jco\'s generated bindings', async () => {
  for (const name of files) {
    const bytes = readFileSync(name);
    const out = await transpile(bytes, { name: 'c', instantiation: { tag: 'async' } });
    const fns = await exportsOf(name);
    // Top-level keys of jco's exports object: world functions by jsName, interfaces by short and full name.
    const expectedKeys = new Set();
    for (const f of fns) {
      if (f.interfaceId === undefined) expectedKeys.add(f.jsName);
      else {
        expectedKeys.add(f.interfaceJsName);
        if (f.interfaceId.includes(':')) expectedKeys.add(f.interfaceId);
      }
    }
    const jcoKeys = new Set(out.exports.map(([k]) => k));
    for (const k of expectedKeys) assert.ok(jcoKeys.has(k), `${name}: jco has no export key ${k} (has ${[...jcoKeys]})`);
    // The import object keys jco's glue reads are exactly our `jsKey`s of interfaces that have
    // functions or resources (one imported only for its types needs no key).
    const imports = resolveWorldImports(await load(name));
    const needed = imports.filter((i) => i.functions.length > 0 || i.resources.length > 0);
    assert.equal(needed.map((i) => i.jsKey).sort(), [...out.imports].sort(), `${name}: import keys`);
    for (const i of imports) for (const f of i.functions) assert.is(f.jsPath[0], i.jsKey);

    // Interface functions and resource classes against interfaces/*.d.ts (by its @module header).
    const dts = new Map();
    for (const [file, content] of Object.entries(out.files)) {
      if (!file.startsWith('interfaces/') || !file.endsWith('.d.ts')) continue;
      const text = new TextDecoder().decode(content);
      const m = /@module Interface (\S+) \*\*/.exec(text);
      if (m) dts.set(m[1], declaredFunctions(text));
    }
    const byIface = Map.groupBy ? Map.groupBy(fns.filter((f) => f.interfaceId), (f) => f.interfaceId) : group(fns.filter((f) => f.interfaceId));
    for (const [id, list] of byIface) {
      const declared = dts.get(id);
      assert.ok(declared, `${name}: jco generated no declarations for ${id}`);
      const ours = new Map(list.map((f) => [key(f), f.params.length]));
      assert.equal(ours, declared, `${name} ${id}: functions/arity differ from jco's`);
    }
  }
});

registerSharedSpotChecks();
test.run();

function registerSharedSpotChecks() {
  sharedTest('adder and asmjs_bigint', async () => {
    const adder = await exportsOf('adder.component.wasm');
    const add = findExport(adder, 'add');
    assert.is(add.qualifiedName, 'docs:adder/add@0.1.0#add');
    assert.is(add.interfaceJsName, 'add');
    assert.is(sig(add), '(x: u32, y: u32) -> u32');
    assert.is(findExport(adder, ['docs:adder/add@0.1.0', 'add']), add);
    assert.is(findExport(adder, 'add#add'), add);
    const big = findExport(await exportsOf('asmjs_bigint.component.wasm'), 'add');
    assert.is(sig(big), '(x: s64, y: s64) -> s64');
  });

  sharedTest('flavorful: options, results, records via aliases, enums, typed lists', async () => {
    const fns = await exportsOf('flavorful.component.wasm');
    const f = (n) => findExport(fns, `test:flavorful/test#${n}`);
    assert.is(sig(f('f-list-in-variant1')), '(a: option<string>, b: result<_, string>)');
    const rec4 = f('f-list-in-record4');
    assert.is(rec4.params[0].type.kind, 'record');
    assert.equal(rec4.params[0].type.fields.map((x) => [x.name, typeToString(x.type)]), [['a', 'string']]);
    assert.is(sig(f('errno-result')), '() -> result<_, my-errno>');
    assert.equal(f('errno-result').result.err.cases, ['success', 'a', 'b']);
    assert.is(sig(f('list-of-variants')),
      '(a: list<bool>, b: list<result<_, _>>, c: list<my-errno>) -> tuple<list<bool>, list<result<_, _>>, list<my-errno>>');
    assert.is(sig(f('list-typedefs')), '(a: string, c: list<string>) -> tuple<list<u8>, list<string>>');
    assert.is(findExport(fns, 'testImports').qualifiedName, 'test-imports');
    assert.is(findExport(fns, 'test#fListInVariant1'), f('f-list-in-variant1'));
  });

  sharedTest('imports decoded from the binary: WASI methods, defined vs re-exported resources', async () => {
    const im = resolveWorldImports(await load('flavorful.component.wasm'));
    const byId = new Map(im.map((i) => [i.id, i]));
    const streams = byId.get('wasi:io/streams@0.2.0');
    assert.equal(streams.resources.sort(), ['input-stream', 'output-stream']); // `error` is used, not defined
    const write = streams.functions.find((f) => f.qualifiedName === 'wasi:io/streams@0.2.0#[method]output-stream.write');
    assert.equal([write.kind, write.resourceJsName, write.jsName, sig(write)],
      ['method', 'OutputStream', 'write', '(contents: list<u8>) -> result<_, stream-error>']);
    assert.equal(byId.get('wasi:cli/stdout@0.2.0').resources, []);
    assert.is(sig(byId.get('wasi:cli/stdout@0.2.0').functions[0]), '() -> output-stream');
    assert.is(sig(byId.get('wasi:filesystem/preopens@0.2.0').functions[0]), '() -> list<tuple<descriptor, string>>');
    const test = byId.get('test:flavorful/test');
    assert.is(test.functions.length, 10);
    assert.is(sig(test.functions.find((f) => f.jsName === 'errnoResult')), '() -> result<_, my-errno>');
  });

  sharedTest('records: flags, tuples, records', async () => {
    const fns = await exportsOf('records.component.wasm');
    const f = (n) => findExport(fns, n);
    assert.is(sig(f('roundtrip-flags3')), '(a: flag8, b: flag16, c: flag32) -> tuple<flag8, flag16, flag32>');
    assert.is(f('roundtrip-flags3').params[2].type.flags.length, 32);
    assert.equal(f('roundtrip-flags1').params[0].type.flags, ['a', 'b']);
    const r1 = f('roundtrip-record1').params[0].type;
    assert.is(r1.kind, 'record');
    assert.equal(r1.fields.map((x) => [x.name, typeToString(x.type)]), [['a', 'u8'], ['b', 'f1']]);
    assert.equal(r1.fields[1].type.flags, ['a', 'b']);
    assert.is(sig(f('swap-tuple')), '(a: tuple<u8, u32>) -> tuple<u32, u8>');
    assert.is(sig(f('tuple1')), '(a: tuple<u8>) -> tuple<u8>');
  });

  sharedTest('lists: every numeric element type, nested lists, strings', async () => {
    const fns = await exportsOf('lists.component.wasm');
    const f = (n) => findExport(fns, n);
    assert.is(sig(f('list-minmax64')), '(a: list<u64>, b: list<s64>) -> tuple<list<u64>, list<s64>>');
    assert.is(sig(f('list-minmax-float')), '(a: list<f32>, b: list<f64>) -> tuple<list<f32>, list<f64>>');
    assert.is(sig(f('list-param4')), '(a: list<list<string>>)');
    assert.is(sig(f('list-param5')), '(a: list<tuple<u8, u32, u8>>)');
    assert.is(sig(f('allocated-bytes')), '() -> u32');
    assert.is(f('allocated-bytes').interfaceId, undefined);
  });

  sharedTest('many-arguments: 16 u64 parameters, world export and interface import', async () => {
    const doc = await load('many-arguments.component.wasm');
    const [fn] = resolveWorldExports(doc);
    assert.is(fn.jsName, 'manyArguments');
    assert.equal(fn.params.map((p) => p.name), Array.from({ length: 16 }, (_, i) => `a${i + 1}`));
    assert.ok(fn.params.every((p) => typeToString(p.type) === 'u64'));
    const imp = resolveWorldImports(doc).find((i) => i.id === 'imports');
    assert.is(imp.functions[0].params.length, 16);
  });

  sharedTest('resources: classes, constructors, methods, statics, own and borrow', async () => {
    const fns = await exportsOf('resources.component.wasm');
    const f = (n) => findExport(fns, n);
    const ctor = f('exports#[constructor]x');
    assert.equal([ctor.kind, ctor.resourceJsName, sig(ctor)], ['constructor', 'X', '(a: s32)']);
    const getA = f('exports#[method]kebab-case.get-a');
    assert.equal([getA.kind, getA.resourceJsName, getA.jsName, sig(getA)], ['method', 'KebabCase', 'getA', '() -> u32']);
    const takeOwned = f('exports#[static]kebab-case.take-owned');
    assert.is(takeOwned.params[0].type.kind, 'own');
    const add = f('exports#add');
    assert.is(sig(add), '(a: borrow<z>, b: borrow<z>) -> z');
    assert.is(add.result.kind, 'own');
    assert.is(sig(f('exports#test-imports')), '() -> result<_, string>');
    const imp = resolveWorldImports(await load('resources.component.wasm')).find((i) => i.id === 'imports');
    assert.equal(imp.resources, ['y']);
    assert.equal(imp.functions.map((x) => x.qualifiedName), ['imports#[constructor]y', 'imports#[method]y.get-a',
      'imports#[method]y.set-a', 'imports#[static]y.add']);
  });

  sharedTest('resource-import-and-export: world-level `use` of a resource from a decoded interface', async () => {
    const fns = await exportsOf('resource-import-and-export.component.wasm');
    const top = findExport(fns, 'toplevelExport');
    assert.is(top.params[0].type.kind, 'own');
    assert.is(top.params[0].type.resource.origin.name, 'thing');
    const baz = findExport(fns, 'test#[static]thing.baz');
    assert.is(sig(baz), '(a: thing, b: thing) -> thing');
  });

}

/** `Class.method` / `function` → parameter count, from a jco interface `.d.ts`. */
function declaredFunctions(text) {
  const out = new Map();
  let cls;
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^export function (\w+)\((.*)\):/.exec(line))) out.set(m[1], countParams(m[2]));
    else if ((m = /^export class (\w+) \{/.exec(line))) cls = m[1];
    else if (cls && line === '}') cls = undefined;
    else if (cls && (m = /^  (?:static )?(\w+)\((.*)\)/.exec(line))) out.set(`${cls}.${m[1]}`, countParams(m[2]));
  }
  return out;
}

function countParams(list) {
  let depth = 0;
  let n = list.trim() ? 1 : 0;
  for (const c of list) {
    if ('<([{'.includes(c)) depth++;
    else if ('>)]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) n++;
  }
  return n;
}

function key(f) {
  return f.resourceJsName ? `${f.resourceJsName}.${f.jsName}` : f.jsName;
}

function group(fns) {
  const m = new Map();
  for (const f of fns) m.set(f.interfaceId, [...(m.get(f.interfaceId) ?? []), f]);
  return m;
}
