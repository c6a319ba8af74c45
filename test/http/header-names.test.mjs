// `isValidFieldName` scans a name through a table of RFC 9110 token characters instead of calling
// the token pattern: the same answer as the pattern for every code unit, every short string of
// interesting characters, long and random strings, and values that are not strings.
// `isForbiddenHeader` looks names up by first character: the same answer as the set and prefix
// rule it replaced, for the forbidden names, their prefixes, near misses and random names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isForbiddenHeader, isValidFieldName } from '../../dist/http/header-policy.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

test('every single code unit: valid exactly when the token pattern says so', () => {
  let valid = 0;
  for (let c = 0; c <= 0xffff; c++) {
    const s = String.fromCharCode(c);
    assert.is(isValidFieldName(s), TOKEN.test(s), `U+${c.toString(16)}`);
    if (TOKEN.test(s)) valid++;
  }
  assert.is(valid, 77); // 26 + 26 + 10 digits + 15 symbols
});

test('strings of valid and invalid characters, at every position; long, empty, astral', () => {
  const parts = ['a', 'Z', '0', '-', '!', '~', '`', '|', ' ', ':', '\n', '\r', '\t', '\0', '\x7f', '\x80', 'é', '\u212a', '\ud83d\ude00', '"', '(', ','];
  for (const a of parts) for (const b of parts) for (const c of parts) {
    const s = a + b + c;
    assert.is(isValidFieldName(s), TOKEN.test(s), JSON.stringify(s));
  }
  for (const s of ['', 'content-type', 'X-Name', 'x'.repeat(100000), 'x'.repeat(100000) + ' ', 'ok\n', '\nok', 'k\u212aey', 'a'.repeat(127) + '\x80']) {
    assert.is(isValidFieldName(s), TOKEN.test(s), JSON.stringify(s.slice(0, 20)));
  }
  let seed = 99;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  for (let r = 0; r < 20000; r++) {
    const n = next() % 12;
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(next() % 4 === 0 ? next() % 256 : 0x21 + (next() % 0x5e));
    assert.is(isValidFieldName(s), TOKEN.test(s), JSON.stringify(s));
  }
});

test('values that are not strings get the answer the pattern gives them', () => {
  for (const v of [undefined, null, 0, 123, -1, NaN, true, {}, [], ['a', 'b'], ['ab'], { toString: () => 'x-ok' }, { toString: () => 'bad name' }, 12n]) {
    assert.is(isValidFieldName(v), TOKEN.test(v), String(v));
  }
});

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);
const forbidden = (n) => HOP_BY_HOP.has(n) || n.startsWith('proxy-') || n.startsWith('x-sfirt-');

test('forbidden names: the same answer as the hop-by-hop set and the proxy-/x-sfirt- prefixes', () => {
  const names = [...HOP_BY_HOP, 'proxy-', 'proxy-authorization', 'proxy-connection', 'x-sfirt-', 'x-sfirt-error', 'x-sfirt', 'proxy', 'x-sfir-',
    '', 'c', 't', 'x', 'p', 'content-type', 'content-length', 'connections', 'connectio', 'host2', 'hos', 'tee', 'trailers', 'keep-alive2',
    'upgrade-insecure-requests', 'x-name', 'x-guest', 'set-cookie', 'Connection', 'HOST', 'Proxy-x', 'X-SFIRT-a', ' connection', '\u0163e'];
  const seen = new Set();
  for (const a of names) for (const b of ['', 'x', '-', 'e']) {
    const n = a + b;
    if (seen.has(n)) continue;
    seen.add(n);
    assert.is(isForbiddenHeader(n), forbidden(n), JSON.stringify(n));
  }
  for (const n of HOP_BY_HOP) assert.ok(isForbiddenHeader(n), n);
  let seed = 5;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  const alphabet = 'cehkoprtux-s2ingl';
  for (let r = 0; r < 50000; r++) {
    let n = '';
    const len = next() % 10;
    for (let i = 0; i < len; i++) n += alphabet[next() % alphabet.length];
    if (next() % 3 === 0) n = [...HOP_BY_HOP, 'proxy-', 'x-sfirt-'][next() % 10] + n;
    assert.is(isForbiddenHeader(n), forbidden(n), JSON.stringify(n));
  }
  for (let c = 0; c <= 0xffff; c++) { const n = String.fromCharCode(c) + 'e'; assert.is(isForbiddenHeader(n), forbidden(n)); }
});

test.run();
