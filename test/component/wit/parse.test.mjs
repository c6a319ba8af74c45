// The WIT parser and resolver on hand-written WIT covering what `componentWit` prints: nested
// packages, `use` across interfaces and packages (with `as`), aliases, resources, gates, doc
// comments, `%` identifiers, async funcs, fixed-size lists; and parse errors with positions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWit, interfaceId } from '../../../dist/component/wit/parse.js';
import { resolveWorldExports, resolveWorldImports, missingInterfaces } from '../../../dist/component/wit/resolve.js';
import { findExport } from '../../../dist/component/wit/find.js';
import { witFromComponent } from '../../../dist/component/wit/from-component.js';
import { decodeComponentInterfaces } from '../../../dist/component/wit/decode.js';
import { typeToString } from '../../../dist/component/wit/types.js';

const WIT = `
package root:component;

/// The world.
world root {
  import wasi:io/streams@0.2.0;
  import host-log: func(msg: string);
  use my:lib/types@1.2.3.{shape as sh};
  @since(version = 0.2.0)
  export greet: func(name: string) -> string;
  export %type: func(x: sh) -> option<sh>;
  export my:lib/api@1.2.3;
  export inline: interface {
    use my:lib/types@1.2.3.{shape};
    area: func(s: shape) -> f64;
  }
  @unstable(feature = fancy)
  export later: async func() -> u32;
}

package my:lib@1.2.3 {
  interface types {
    /** A point, with a block doc comment /* nested */ inside. */
    record point { x: f64, y: f64, }
    type pt = point;
    type pts = list<pt>;
    variant shape {
      circle(tuple<pt, f64>),
      poly(pts),
      %none,
    }
    enum %enum { a, b }
    flags mode { r, w }
    resource handle {
      constructor(path: string);
      read: func(n: u32) -> result<list<u8, 4>, string>;
      open: static func(path: string) -> result<handle>;
    }
  }
  interface api {
    use types.{point, shape, handle, %enum as kind};
    type alias-of-alias = point;
    scale: func(p: alias-of-alias, by: f32) -> point;
    classify: func(s: shape) -> kind;
    use-handle: func(h: borrow<handle>, owned: handle) -> tuple<>;
  }
}

package wasi:io@0.2.0 {
  interface streams {
    resource output-stream { write: func(b: list<u8>) -> result<_, stream-error>; }
    variant stream-error { closed }
  }
}
`;

const doc = parseWit(WIT);

test('packages, interfaces and worlds are all parsed', () => {
  assert.equal(doc.packages.map((p) => p.id), ['root:component', 'my:lib@1.2.3', 'wasi:io@0.2.0']);
  assert.equal([...doc.packages[1].interfaces.keys()], ['types', 'api']);
  assert.is(doc.packages[1].interfaces.get('api').id, 'my:lib/api@1.2.3');
  assert.is(interfaceId('my:lib@1.2.3', 'api'), 'my:lib/api@1.2.3');
  const world = doc.packages[0].worlds.get('root');
  assert.equal(world.items.map((i) => `${i.direction} ${i.kind}`), [
    'import interface-ref', 'import function', 'export function', 'export function', 'export interface-ref',
    'export interface', 'export function',
  ]);
  assert.equal(missingInterfaces(doc), []);
});

test('exports: jco names, qualified names, and fully resolved types', () => {
  const ex = resolveWorldExports(doc);
  const names = ex.map((f) => f.qualifiedName);
  // In world order.
  assert.equal(names, ['greet', 'type', 'my:lib/api@1.2.3#scale', 'my:lib/api@1.2.3#classify',
    'my:lib/api@1.2.3#use-handle', 'inline#area', 'later']);

  const greet = findExport(ex, 'greet');
  assert.is(greet.interfaceId, undefined);
  assert.is(greet.jsName, 'greet');
  assert.is(typeToString(greet.params[0].type), 'string');
  assert.is(typeToString(greet.result), 'string');

  const ty = findExport(ex, 'type');
  // `use ... {shape as sh}` at world level: resolved to the variant with its origin.
  assert.is(ty.params[0].type.kind, 'variant');
  assert.equal(ty.params[0].type.origin, { scope: 'my:lib/types@1.2.3', name: 'shape' });
  assert.is(typeToString(ty.result), 'option<shape>');
  const circle = ty.params[0].type.cases[0];
  assert.is(typeToString(circle.type), 'tuple<point, f64>');
  assert.is(circle.type.elements[0].kind, 'record'); // alias `pt` followed
  const poly = ty.params[0].type.cases[1];
  assert.is(typeToString(poly.type), 'list<point>'); // alias `pts` followed
  assert.is(ty.params[0].type.cases[2].name, 'none'); // `%none`

  const later = findExport(ex, 'later');
  assert.is(later.async, true);

  const scale = findExport(ex, 'my:lib/api@1.2.3#scale');
  assert.is(scale.interfaceJsName, 'api');
  assert.is(scale.params[0].type.kind, 'record'); // alias of a `use`d name
  assert.equal(scale.params[0].type.fields.map((f) => f.name), ['x', 'y']);
  assert.is(typeToString(scale.params[1].type), 'f32');

  const classify = findExport(ex, ['my:lib/api', 'classify']);
  assert.equal(classify.result.cases, ['a', 'b']);
  assert.is(classify.result.origin.name, 'enum');

  const useHandle = findExport(ex, 'api#useHandle');
  assert.is(useHandle.jsName, 'useHandle');
  assert.is(useHandle.params[0].type.kind, 'borrow');
  assert.is(useHandle.params[1].type.kind, 'own'); // a bare resource name is an owned handle
  assert.is(useHandle.params[1].type.resource.origin.name, 'handle');
  assert.equal(useHandle.result, { kind: 'tuple', elements: [] });

  const area = findExport(ex, 'inline#area');
  assert.is(area.interfaceId, 'inline');
  assert.is(area.params[0].type.kind, 'variant');
});

test('resources: constructor, methods and statics with jco names', () => {
  const d = parseWit(`package a:b;
interface i {
  resource kebab-case {
    constructor(a: u32);
    get-a: func() -> u32;
    take-owned: static func(k: kebab-case) -> u32;
  }
}
world w { export i; }`);
  const ex = resolveWorldExports(d);
  assert.equal(ex.map((f) => [f.qualifiedName, f.kind, f.resourceJsName, f.jsName]), [
    ['a:b/i#[constructor]kebab-case', 'constructor', 'KebabCase', 'constructor'],
    ['a:b/i#[method]kebab-case.get-a', 'method', 'KebabCase', 'getA'],
    ['a:b/i#[static]kebab-case.take-owned', 'static', 'KebabCase', 'takeOwned'],
  ]);
  assert.is(ex[2].params[0].type.kind, 'own');
});

test('imports: grouped by interface, world-level functions separate', () => {
  const im = resolveWorldImports(doc);
  assert.equal(im.map((i) => [i.id, i.isFunction, i.functions.map((f) => f.qualifiedName)]), [
    ['wasi:io/streams@0.2.0', false, ['wasi:io/streams@0.2.0#[method]output-stream.write']],
    ['host-log', true, ['host-log']],
  ]);
  assert.equal(im[0].resources, ['output-stream']);
  const write = im[0].functions[0];
  assert.is(typeToString(write.result), 'result<_, stream-error>');
  assert.is(write.params[0].type.kind, 'list');
});

test('fixed-size lists and results with omitted parts', () => {
  const d = parseWit(`package a:b;
world w {
  export f: func(a: list<u8, 4>, b: result, c: result<u32>, d: result<_, string>, e: stream<u8>, f: future);
}`);
  const [f] = resolveWorldExports(d);
  assert.equal(f.params.map((p) => typeToString(p.type)), [
    'list<u8, 4>', 'result<_, _>', 'result<u32, _>', 'result<_, string>', 'stream<u8>', 'future',
  ]);
});

test('interfaces referenced but not printed are reported, and `use` of them stays unknown', () => {
  const d = parseWit(`package root:component;
world root {
  import test:x/test;
  use test:x/test.{thing};
  export f: func(a: thing);
  export test:y/other@1.0.0;
}`);
  assert.equal(missingInterfaces(d), ['test:x/test', 'test:y/other@1.0.0']);
  const ex = resolveWorldExports(d);
  assert.equal(ex.map((f) => f.qualifiedName), ['f']);
  assert.equal(ex[0].params[0].type, { kind: 'unknown', origin: { scope: 'test:x/test', name: 'thing' } });
});

test('syntax errors carry line:column', () => {
  assert.throws(() => parseWit('package a:b;\nworld w {\n  export f: func(a: u32;\n}'), (e) =>
    e.code === 'INVALID_COMPONENT' && /WIT parse error at 3:24: expected `\)`, got `;`/.test(e.message));
  // The unknown type is found when resolving, not when parsing.
  assert.throws(() => resolveWorldExports(parseWit('package a:b;\nworld w { export f: func() -> nope; }')), (e) =>
    e.code === 'INVALID_COMPONENT' && /unknown type `nope` in world:w/.test(e.message));
  assert.throws(() => parseWit('package a:b; world w { $ }'), (e) => /unexpected character "\$" at 1:24/.test(e.message));
  assert.throws(() => parseWit('/* never closed'), (e) => /unterminated block comment/.test(e.message));
});

test('bytes that are not a component are refused with INVALID_COMPONENT', async () => {
  const core = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  for (const bytes of [new Uint8Array(0), core, new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 7, 200])]) {
    let err;
    try { await witFromComponent(bytes); } catch (e) { err = e; }
    assert.is(err?.code, 'INVALID_COMPONENT');
    assert.throws(() => decodeComponentInterfaces(bytes), (e) => e.code === 'INVALID_COMPONENT');
  }
});

test('findExport: naming scheme and errors', () => {
  const d = parseWit(`package root:component;
world root {
  export top-level: func();
  export docs:adder/add@0.1.0;
  export docs:other/add@0.2.0;
}
package docs:adder@0.1.0 { interface add { add: func(x: u32, y: u32) -> u32; } }
package docs:other@0.2.0 { interface add { add: func(x: u32) -> u32; sub: func(x: u32) -> u32; } }`);
  const ex = resolveWorldExports(d);
  assert.is(findExport(ex, 'topLevel').qualifiedName, 'top-level');
  assert.is(findExport(ex, 'top-level').qualifiedName, 'top-level');
  assert.is(findExport(ex, 'docs:adder/add@0.1.0#add').params.length, 2);
  assert.is(findExport(ex, ['docs:other/add@0.2.0', 'add']).params.length, 1);
  assert.is(findExport(ex, 'docs:other/add#add').params.length, 1); // version may be omitted
  assert.is(findExport(ex, 'sub').qualifiedName, 'docs:other/add@0.2.0#sub'); // unique bare name
  assert.is(findExport(ex, 'add#sub').qualifiedName, 'docs:other/add@0.2.0#sub'); // interface by WIT name
  assert.throws(() => findExport(ex, 'add'), (e) => e.code === 'INVALID_ARGUMENT' && /ambiguous/.test(e.message));
  assert.throws(() => findExport(ex, 'mul'), (e) => e.code === 'UNKNOWN_EXPORT' && e.exportName === 'mul' &&
    /available: top-level, docs:adder\/add@0\.1\.0#add/.test(e.message));
  assert.throws(() => findExport(ex, 'docs:adder/add@0.1.0#sub'), (e) => e.code === 'UNKNOWN_EXPORT');
  assert.throws(() => findExport(ex, 42), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => findExport(ex, null), (e) => e.code === 'INVALID_ARGUMENT');
  // Two interfaces are named `add`: naming only the interface's short name is ambiguous.
  assert.throws(() => findExport(ex, ['add', 'add']), (e) => e.code === 'INVALID_ARGUMENT' && /ambiguous/.test(e.message));
});

test.run();
