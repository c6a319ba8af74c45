// lib/http/fetch.ts: what a failed outgoing request tells the guest. A tag, and at most an error
// code made of capitals, digits and underscores — never a message, which may carry a host path (a
// failed import), an internal address or a certificate's names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { errorCode, fetchOnce } from '../../dist/http/fetch.js';

const SECRET = /srv|secret|10\.0\.0\.5|internal\.corp|127\.0\.0\.1/;

/** Asserts `err` is a wasi:http error-code carrying no host text. */
function noHostText(err, tag) {
  assert.ok(err, 'the request failed');
  if (tag) assert.is(err.tag, tag, JSON.stringify(err, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
  const text = JSON.stringify(err, (_, v) => (typeof v === 'bigint' ? String(v) : v));
  assert.not.match(text, SECRET);
  if (err.tag === 'internal-error' && err.val !== undefined) assert.match(err.val, /^[A-Z][A-Z0-9_]*$/);
}

/** A TCP server that answers every connection with `reply` and closes. */
async function rawServer(reply) {
  const sockets = new Set();
  const server = createServer((socket) => { sockets.add(socket); socket.on('error', () => {}); socket.end(reply); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise((r) => { server.close(r); for (const s of sockets) s.destroy(); });
  return { port: server.address().port, close };
}

const request = (url) => ({ method: 'GET', url, headers: [], body: new Uint8Array(), timeoutMs: 3000, maxResponseBytes: 1024 });

test('errors with host text in their message give the guest a tag, not the text', () => {
  const pathError = Object.assign(new Error("Cannot find package 'undici' imported from /srv/app/secret/fetch.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  noHostText(errorCode(pathError, false), 'internal-error');
  noHostText(errorCode(new Error('connect to 10.0.0.5:5432 failed: /srv/secrets/db.json'), false), 'internal-error');
  assert.is(errorCode(new Error('/srv/secrets'), false).val, undefined);
  // A `code` that is not an identifier is not passed on either.
  noHostText(errorCode(Object.assign(new Error('x'), { code: '/srv/secrets/db.json' }), false), 'internal-error');
  assert.is(errorCode(Object.assign(new Error('x'), { code: { path: '/srv' } }), false).val, undefined);
  // Codes are read through `cause` (undici wraps socket errors).
  noHostText(errorCode(new Error('fetch failed: 10.0.0.5', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }) }), false), 'connection-refused');
  const altname = Object.assign(new Error("Hostname/IP does not match certificate's altnames: DNS:internal.corp"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  noHostText(errorCode(altname, false), 'TLS-certificate-error');
  noHostText(errorCode(Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), false), 'TLS-protocol-error');
  noHostText(errorCode(Object.assign(new Error('Parse Error: 10.0.0.5'), { code: 'HPE_INVALID_CONSTANT' }), false), 'HTTP-protocol-error');
  noHostText(errorCode(Object.assign(new Error('boom'), { code: 'ETIMEDOUT' }), false), 'connection-timeout');
});

test('a real TLS failure (https to a plain server) and a real garbage response: typed tags, no text', async () => {
  const garbage = await rawServer('NOT HTTP AT ALL /srv/secrets\r\n\r\n');
  try {
    noHostText((await fetchOnce(request(`https://127.0.0.1:${garbage.port}/`))).err, 'TLS-protocol-error');
    noHostText((await fetchOnce(request(`http://127.0.0.1:${garbage.port}/`))).err, 'HTTP-protocol-error');
  } finally {
    await garbage.close();
  }
  const short = await rawServer('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this');
  try {
    const { err } = await fetchOnce(request(`http://127.0.0.1:${short.port}/`));
    noHostText(err);
    assert.ok(['HTTP-response-incomplete', 'connection-terminated'].includes(err.tag), err.tag);
  } finally {
    await short.close();
  }
});

test.run();
