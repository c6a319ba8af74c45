// Fields built from Node's raw header list answer `get` straight from that list until something
// needs the entries: the answer must be exactly what the built entries give (forbidden, malformed
// and over-cap fields left out, names case-insensitive, values byte for byte).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Fields } from '../../dist/http/types.js';
import { MAX_FIELDS_ENTRIES } from '../../dist/http/header-policy.js';

const raw = [
  'Host', 'example.com', 'X-Name', 'Ada', 'x-name', 'Lovelace', 'X-NAME', 'bad\x01value', 'Connection', 'keep-alive',
  'Proxy-Authorization', 'secret', 'X-Sfirt-Error', 'spoof', 'X-Bytes', '\xff\xfe\x80 ok', 'Content-Length', '4', 'x-wide', 'caf\u00e9\u0101',
];
const names = ['x-name', 'X-Name', 'host', 'connection', 'proxy-authorization', 'x-sfirt-error', 'x-bytes', 'content-length', 'x-wide', 'missing', 'bad name', ''];

function both(list, name) {
  const direct = Fields.fromNode(list).get(name);
  const built = Fields.fromNode(list);
  built.entries(); // builds the entries
  return [direct, built.get(name)];
}

test('get from the raw list equals get from the built entries, for every kind of field', () => {
  for (const name of names) {
    const [direct, built] = both(raw, name);
    assert.equal(direct, built, name);
  }
  assert.equal(Fields.fromNode(raw).get('X-NAME').map((v) => Buffer.from(v).toString('latin1')), ['Ada', 'Lovelace']);
  assert.equal(Fields.fromNode(raw).get('host'), []);
  assert.equal(Fields.fromNode(raw).get('x-bytes'), [new Uint8Array([0xff, 0xfe, 0x80, 0x20, 0x6f, 0x6b])]);
});

test('past the entry cap the same answer (entries beyond it are left out)', () => {
  const many = [];
  for (let i = 0; i < MAX_FIELDS_ENTRIES + 10; i++) many.push(`x-h${i}`, String(i));
  many.push('x-late', 'v');
  for (const name of ['x-h0', `x-h${MAX_FIELDS_ENTRIES - 1}`, `x-h${MAX_FIELDS_ENTRIES + 5}`, 'x-late']) {
    const [direct, built] = both(many, name);
    assert.equal(direct, built, name);
  }
  assert.equal(Fields.fromNode(many).get('x-late'), []);
});

test('past the byte cap the same answer', () => {
  const big = ['x-a', 'a'.repeat(40_000), 'x-b', 'b'.repeat(30_000), 'x-c', 'c'];
  for (const name of ['x-a', 'x-b', 'x-c']) {
    const [direct, built] = both(big, name);
    assert.equal(direct, built, name);
  }
});

test.run();
