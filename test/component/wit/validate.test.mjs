// Argument validation against WIT signatures: for every WIT type, values jco's mapping accepts pass
// and wrong ones are rejected with INVALID_ARGUMENT and a message naming argument, path, expected
// type and the value given.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWit } from '../../../dist/component/wit/parse.js';
import { resolveWorldExports } from '../../../dist/component/wit/resolve.js';
import { findExport } from '../../../dist/component/wit/find.js';
import { validateArgs } from '../../../dist/component/wit/validate.js';

const WIT = `
package test:val@1.0.0;

interface types {
  record point { x: s32, y-coord: s32 }
  type pt = point;
  variant shape { circle(u32), square(pt), empty }
  enum color { red, dark-green }
  flags perms { read, write-all }
  resource blob { constructor(); size: func() -> u32; }
}

world w {
  use types.{point, shape, color, perms, blob as b};
  export bool-fn: func(a: bool);
  export ints: func(a: u8, b: s8, c: u16, d: s16, e: u32, f: s32);
  export wide: func(a: u64, b: s64);
  export floats: func(a: f32, b: f64);
  export chr: func(c: char);
  export str: func(s: string);
  export bytes: func(b: list<u8>);
  export nums16: func(l: list<s16>);
  export big-list: func(l: list<u64>);
  export pts: func(l: list<point>);
  export fixed: func(l: list<u32, 3>);
  export opt: func(o: option<u32>);
  export opt2: func(o: option<option<u32>>);
  export res: func(r: result<u32, string>);
  export res-empty: func(r: result);
  export tup: func(t: tuple<u8, string>);
  export rec: func(p: point);
  export var: func(s: shape);
  export col: func(c: color);
  export perm: func(p: perms);
  export own-it: func(x: b);
  export borrow-it: func(x: borrow<b>);
  export nested: func(a: list<tuple<u8, option<point>>>);
  export none: func();
  export many: func(a: u8, b: u8, c: u8, d: u8, e: u8);
}
`;

const fns = resolveWorldExports(parseWit(WIT));
const fn = (name) => findExport(fns, name);

function accepts(name, args) {
  try {
    validateArgs(fn(name), args);
  } catch (err) {
    assert.unreachable(`${name}(${args.map(String).join(', ')}) was rejected: ${err.message}`);
  }
}

function rejects(name, args, pattern) {
  let err;
  try {
    validateArgs(fn(name), args);
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${name} accepted an invalid argument list`);
  assert.is(err.code, 'INVALID_ARGUMENT');
  assert.is(err.name, 'InvalidArgumentError');
  assert.match(err.message, pattern);
}

test('bool', () => {
  accepts('bool-fn', [true]);
  accepts('bool-fn', [false]);
  rejects('bool-fn', [1], /^boolFn: argument 1 \(`a`\): expected bool \(a boolean\), got number 1$/);
});

test('8/16/32-bit integers: integers in range only', () => {
  accepts('ints', [0, -128, 65535, -32768, 4294967295, -2147483648]);
  accepts('ints', [255, 127, 0, 32767, 0, 2147483647]);
  rejects('ints', [256, 0, 0, 0, 0, 0], /argument 1 \(`a`\): expected u8 \(an integer in \[0, 255\]\), got number 256/);
  rejects('ints', [0, -129, 0, 0, 0, 0], /argument 2 \(`b`\): expected s8 .*got number -129/);
  rejects('ints', [0, 0, 1.5, 0, 0, 0], /argument 3 \(`c`\): expected u16 .*got number 1.5/);
  rejects('ints', [0, 0, 0, 32768, 0, 0], /argument 4 \(`d`\): expected s16/);
  rejects('ints', [0, 0, 0, 0, -1, 0], /argument 5 \(`e`\): expected u32 \(an integer in \[0, 4294967295\]\), got number -1/);
  rejects('ints', [0, 0, 0, 0, 0, 2 ** 31], /argument 6 \(`f`\): expected s32 .*got number 2147483648/);
  rejects('ints', [0, 0, 0, 0, '7', 0], /argument 5 .*got string "7"/);
  rejects('ints', [0, 0, 0, 0, 7n, 0], /argument 5 .*got bigint 7n/);
  rejects('ints', [0, 0, 0, 0, NaN, 0], /argument 5 .*got number NaN/);
});

test('u64/s64: bigint in range, or a safe-integer number', () => {
  accepts('wide', [0n, -(2n ** 63n)]);
  accepts('wide', [2n ** 64n - 1n, 2n ** 63n - 1n]);
  accepts('wide', [Number.MAX_SAFE_INTEGER, -5]);
  rejects('wide', [2n ** 64n, 0n], /argument 1 \(`a`\): expected u64 .*got bigint 18446744073709551616n/);
  rejects('wide', [-1n, 0n], /argument 1 .*u64.*got bigint -1n/);
  rejects('wide', [0n, 2n ** 63n], /argument 2 \(`b`\): expected s64/);
  rejects('wide', [2 ** 53, 0n], /argument 1 .*got number 9007199254740992/);
  rejects('wide', [0.5, 0n], /argument 1 .*got number 0.5/);
});

test('f32/f64: any number', () => {
  accepts('floats', [1.5, -0]);
  accepts('floats', [NaN, Infinity]);
  rejects('floats', [1, '1'], /argument 2 \(`b`\): expected f64 \(a number\), got string "1"/);
  rejects('floats', [1n, 1], /argument 1 \(`a`\): expected f32 .*got bigint 1n/);
});

test('char: exactly one Unicode scalar value', () => {
  accepts('chr', ['a']);
  accepts('chr', ['😀']); // two UTF-16 units, one code point
  rejects('chr', ['ab'], /expected char \(a string of one Unicode scalar value\), got string "ab"/);
  rejects('chr', [''], /expected char/);
  rejects('chr', ['\uD800'], /expected char/);
  rejects('chr', [97], /expected char.*got number 97/);
});

test('string: well-formed only', () => {
  accepts('str', ['héllo 😀']);
  accepts('str', ['']);
  rejects('str', ['bad \uDC00 surrogate'], /expected string \(well-formed UTF-16\), got string .*\(contains a lone surrogate\)/);
  rejects('str', [null], /argument 1 \(`s`\): expected string .*got null/);
});

test('list<u8>: Uint8Array, Buffer or array of u8', () => {
  accepts('bytes', [new Uint8Array(4)]);
  accepts('bytes', [Buffer.from('abc')]);
  accepts('bytes', [[0, 255]]);
  rejects('bytes', [[0, 256]], /argument 1 \(`b`\) at \[1\]: expected u8 .*got number 256/);
  rejects('bytes', [new Uint16Array(2)], /expected list<u8> \(a Uint8Array or an array\), got Uint16Array of length 2/);
  rejects('bytes', [new ArrayBuffer(2)], /got ArrayBuffer of 2 bytes/);
  rejects('bytes', ['abc'], /got string "abc"/);
});

test('numeric lists: the matching typed array or an array of valid elements', () => {
  accepts('nums16', [new Int16Array([1, -1])]);
  accepts('nums16', [[-32768, 32767]]);
  rejects('nums16', [new Uint16Array(1)], /expected list<s16> \(an Int16Array or an array\), got Uint16Array of length 1/);
  rejects('nums16', [[0, 40000]], /at \[1\]: expected s16/);
  accepts('big-list', [new BigUint64Array(2)]);
  accepts('big-list', [[1n, 2]]);
  rejects('big-list', [new BigInt64Array(1)], /\(a BigUint64Array or an array\), got BigInt64Array/);
});

test('list of records, fixed-size list', () => {
  accepts('pts', [[{ x: 1, yCoord: 2 }, { x: -1, yCoord: 0, extra: 'ignored' }]]);
  rejects('pts', [[{ x: 1, yCoord: 2 }, { x: 1, y_coord: 2 }]], /argument 1 \(`l`\) at \[1\]\.yCoord: expected s32 .*got undefined/);
  rejects('pts', [{ length: 0 }], /expected list<point> \(an array\), got object/);
  accepts('fixed', [[1, 2, 3]]);
  accepts('fixed', [new Uint32Array(3)]);
  rejects('fixed', [[1, 2]], /expected list<u32, 3> \(a Uint32Array or an array of length 3\), got length 2/);
});

test('option: undefined/null or the value; nested option needs tags for the outer level', () => {
  accepts('opt', [undefined]);
  accepts('opt', [null]);
  accepts('opt', [7]);
  rejects('opt', [-7], /expected u32 .*got number -7/);
  rejects('opt2', [undefined], /expected option<option<...>> \(\{ tag: 'none' \} or \{ tag: 'some', val \}\), got undefined/);
  accepts('opt2', [{ tag: 'none' }]);
  accepts('opt2', [{ tag: 'some', val: undefined }]);
  accepts('opt2', [{ tag: 'some', val: 3 }]);
  rejects('opt2', [3], /expected option<option<...>> .*got number 3/);
  rejects('opt2', [{ tag: 'some', val: 'x' }], /argument 1 \(`o`\) at \.val: expected u32 .*got string "x"/);
});

test('result: { tag: ok|err, val }', () => {
  accepts('res', [{ tag: 'ok', val: 1 }]);
  accepts('res', [{ tag: 'err', val: 'boom' }]);
  rejects('res', [{ tag: 'ok', val: 'x' }], /at \.val: expected u32/);
  rejects('res', [{ tag: 'err', val: 5 }], /at \.val: expected string/);
  rejects('res', [{ tag: 'maybe', val: 5 }], /expected result \(\{ tag: 'ok', val \} or \{ tag: 'err', val \}\), got tag string "maybe"/);
  rejects('res', [1], /expected result .*got number 1/);
  accepts('res-empty', [{ tag: 'ok' }]);
  accepts('res-empty', [{ tag: 'err', val: 'anything: no payload type' }]);
});

test('tuple: array of exact length', () => {
  accepts('tup', [[1, 'a']]);
  rejects('tup', [[1]], /expected tuple of 2 \(an array of length 2\), got array of length 1/);
  rejects('tup', [[1, 2]], /at \[1\]: expected string .*got number 2/);
});

test('record: camelCase fields, through an alias', () => {
  accepts('rec', [{ x: 0, yCoord: -1 }]);
  rejects('rec', [{ x: 0, 'y-coord': 1 }], /at \.yCoord: expected s32/);
  rejects('rec', [[0, 1]], /expected record point \(an object with x, yCoord\), got array of length 2/);
  rejects('rec', [null], /expected record point .*got null/);
});

test('variant: { tag, val } with the payload checked', () => {
  accepts('var', [{ tag: 'circle', val: 3 }]);
  accepts('var', [{ tag: 'square', val: { x: 1, yCoord: 1 } }]);
  accepts('var', [{ tag: 'empty' }]);
  rejects('var', [{ tag: 'circle', val: -3 }], /at \.val: expected u32/);
  rejects('var', [{ tag: 'square', val: { x: 1 } }], /at \.val\.yCoord: expected s32/);
  rejects('var', [{ tag: 'triangle' }], /expected variant shape .*"circle", "square", "empty".*got tag string "triangle"/);
  rejects('var', ['circle'], /expected variant shape .*got string "circle"/);
});

test('enum: case name string', () => {
  accepts('col', ['red']);
  accepts('col', ['dark-green']);
  rejects('col', ['darkGreen'], /expected color \(one of "red", "dark-green"\), got string "darkGreen"/);
  rejects('col', [0], /expected color/);
});

test('flags: object of booleans with camelCase names; unknown keys rejected', () => {
  accepts('perm', [{}]);
  accepts('perm', [{ read: true, writeAll: false }]);
  rejects('perm', [{ read: true, write: true }], /unknown flag `write` for flags perms \(an object with optional booleans read, writeAll\)/);
  rejects('perm', [{ read: 1 }], /at \.read: expected a boolean flag, got number 1/);
  rejects('perm', [['read']], /expected flags perms .*got array/);
});

test('resources: objects', () => {
  class Blob {}
  accepts('own-it', [new Blob()]);
  accepts('borrow-it', [new Blob()]);
  rejects('own-it', [42], /argument 1 \(`x`\): expected blob \(a resource object\), got number 42/);
  rejects('borrow-it', [null], /expected borrow<blob> \(a resource object\), got null/);
});

test('deep path in nested types', () => {
  accepts('nested', [[[1, undefined], [2, { x: 1, yCoord: 2 }]]]);
  rejects('nested', [[[1, undefined], [2, { x: 1, yCoord: 2.5 }]]], /argument 1 \(`a`\) at \[1\]\[1\]\.yCoord: expected s32 .*got number 2.5/);
});

test('argument count is exact', () => {
  accepts('none', []);
  rejects('none', [1], /^none: expected 0 arguments \(\), got 1$/);
  rejects('bool-fn', [], /^boolFn: expected 1 argument \(a\), got 0$/);
  rejects('ints', [0, 0, 0, 0, 0], /^ints: expected 6 arguments \(a, b, c, d, e, f\), got 5$/);
  accepts('many', [1, 2, 3, 4, 5]);
  rejects('many', [1, 2, 3, 4, 5, 6], /expected 5 arguments/);
  rejects('many', [1, 2, 3, 4, 256], /argument 5 \(`e`\)/);
});

test('resource methods: label names the class; params exclude self', () => {
  const doc = parseWit(`package a:b;
interface i { resource counter { constructor(start: u32); add: func(n: u32) -> u32; make: static func(n: u32) -> counter; } }
world w { export i; }`);
  const all = resolveWorldExports(doc);
  const add = findExport(all, 'i#[method]counter.add');
  assert.is(add.params.length, 1);
  let err;
  try { validateArgs(add, [-1]); } catch (e) { err = e; }
  assert.match(err.message, /^Counter\.add: argument 1 \(`n`\): expected u32/);
  try { validateArgs(findExport(all, ['a:b/i', '[constructor]counter']), ['x']); } catch (e) { err = e; }
  assert.match(err.message, /^Counter: argument 1 \(`start`\)/);
});

test.run();
