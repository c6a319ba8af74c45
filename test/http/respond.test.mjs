// The last line of defence: whatever a `PlainResponse` holds (a worker's, say, whose fields this
// thread never checked), `sendGuestResponse` sends no forbidden field, no guest `content-length`,
// no route-dropped field, and the body byte for byte (small bodies go out as a latin1 string,
// large ones as bytes). And `latin1`, which turns every header value into Node's string, keeps
// every byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { sendGuestResponse } from '../../dist/http/respond.js';
import { latin1 } from '../../dist/http/fields.js';
import { exchange, parseResponses } from './raw.mjs';

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

async function served(response, dropped) {
  const server = http.createServer((req, res) => { req.resume(); sendGuestResponse(res, response, dropped); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { raw } = await exchange(server.address().port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    return parseResponses(raw);
  } finally {
    server.close();
  }
}

test('latin1 keeps every byte, at every length', () => {
  const text = latin1(allBytes);
  assert.is(text.length, 256);
  for (let i = 0; i < 256; i++) assert.is(text.charCodeAt(i), i);
  assert.is(latin1(allBytes.subarray(65, 68)), 'ABC');
  assert.is(latin1(new Uint8Array(0)), '');
  const big = new Uint8Array(5000).fill(0xe9);
  assert.is(latin1(big), '\u00e9'.repeat(5000));
});

test('latin1 of arrays of one length in a row: each its own bytes (the scratch array is refilled)', () => {
  const reference = (bytes) => { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return s; };
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (let n = 0; n <= 300; n++) {
    const a = Uint8Array.from({ length: n }, next);
    const b = Uint8Array.from({ length: n }, next);
    const ta = latin1(a);
    const tb = latin1(b);
    assert.is(ta, reference(a), `length ${n}`);
    assert.is(tb, reference(b), `length ${n}`);
    assert.is(latin1(a), ta, `length ${n} again`);
    // A view at an offset of a larger buffer reads its own bytes.
    const wide = new Uint8Array(n + 5).fill(0xff);
    wide.set(a, 3);
    assert.is(latin1(wide.subarray(3, 3 + n)), ta, `view of length ${n}`);
  }
});

test('forbidden, content-length and dropped fields never reach the client', async () => {
  const body = new TextEncoder().encode('hello');
  const [r, ...rest] = await served({
    status: 201,
    headers: [
      ['x-ok', 'yes'], ['transfer-encoding', 'chunked'], ['connection', 'upgrade'], ['upgrade', 'h2c'],
      ['proxy-authenticate', 'x'], ['x-sfirt-error', 'spoof'], ['content-length', '999'], ['set-cookie', 'a=b'], ['keep-alive', 'timeout=1'],
    ],
    body,
  }, new Set(['set-cookie']));
  assert.is(rest.length, 0);
  assert.is(r.status, 201);
  assert.is(r.header('x-ok'), 'yes');
  for (const name of ['transfer-encoding', 'upgrade', 'proxy-authenticate', 'x-sfirt-error', 'set-cookie', 'keep-alive']) assert.is(r.header(name), undefined, name);
  assert.equal(r.headers.filter(([n]) => n === 'content-length'), [['content-length', '5']]);
  assert.is(r.header('connection'), 'close'); // Node's own, for the client's `Connection: close`
  assert.is(r.body, 'hello');
});

test('small and large bodies arrive byte for byte', async () => {
  for (const body of [allBytes, new Uint8Array(16 * 1024).map((_, i) => (i * 7) & 0xff), new Uint8Array(70000).map((_, i) => (i * 13) & 0xff)]) {
    const [r] = await served({ status: 200, headers: [], body });
    assert.is(r.header('content-length'), String(body.length));
    assert.is(r.body.length, body.length);
    for (let i = 0; i < body.length; i++) if (r.body.charCodeAt(i) !== body[i]) assert.unreachable(`byte ${i} of ${body.length}`);
  }
});

test.run();
