// JSON ⇄ component values for `sfirt call`, shaped by WIT types.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromJson, parseArgument, toJson } from '../../dist/cli/values.js';

const p = (name) => ({ kind: 'primitive', name });

test('arguments: JSON, else the text as a string', () => {
  assert.is(parseArgument('42'), 42);
  assert.is(parseArgument('"42"'), '42');
  assert.is(parseArgument('world'), 'world');
  assert.equal(parseArgument('{"a":1}'), { a: 1 });
});

test('WIT shapes: u64 exact, typed lists, records camelCased, option null, nested results', () => {
  assert.is(fromJson('18446744073709551615', p('u64'), 'n'), 18446744073709551615n);
  assert.is(fromJson(7, p('s64'), 'n'), 7n);
  assert.throws(() => fromJson(2 ** 60, p('u64'), 'n'), /pass it as a string/);
  assert.equal(fromJson([1, 2], { kind: 'list', element: p('u8') }, 'b'), new Uint8Array([1, 2]));
  assert.equal(fromJson('hé', { kind: 'list', element: p('u8') }, 'b'), new TextEncoder().encode('hé'));
  assert.equal(fromJson([1.5], { kind: 'list', element: p('f32') }, 'b'), new Float32Array([1.5]));
  const rec = { kind: 'record', fields: [{ name: 'big-id', type: p('u64') }, { name: 'tags', type: { kind: 'list', element: p('string') } }] };
  assert.equal(fromJson({ 'big-id': 5, tags: ['a'] }, rec, 'r'), { bigId: 5n, tags: ['a'] });
  assert.is(fromJson(null, { kind: 'option', some: p('u32') }, 'o'), undefined);
  const res = { kind: 'result', ok: p('u64'), err: p('string') };
  assert.equal(fromJson({ tag: 'ok', val: 3 }, res, 'x'), { tag: 'ok', val: 3n });
});

test('results: BigInt exact, typed arrays as arrays, undefined as null', () => {
  assert.is(toJson(2n ** 64n - 1n), '18446744073709551615');
  assert.is(toJson({ a: [1n, -2n], b: new Uint8Array([1, 2]), c: undefined }), '{"a":[1,-2],"b":[1,2],"c":null}');
  assert.is(toJson(new BigInt64Array([-5n])), '[-5]');
  assert.is(toJson(undefined), 'null');
  assert.is(toJson('a "bigint:" string'), '"a \\"bigint:\\" string"');
});

test.run();
