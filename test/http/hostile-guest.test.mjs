// A wasi:http guest that attacks the server (guests/http-hostile), observed with raw sockets: no
// forbidden field, no second response smuggled into a pipelined connection, no guest text in errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { createRuntime, createWorkerRuntime } from '../../dist/index.js';
import { serve } from '../../dist/http/serve.js';
import { wasiHttpImports } from '../../dist/http/imports.js';
import { ensureGuests, guestUrl } from './guests.mjs';
import { exchange, get, parseResponses } from './raw.mjs';

await ensureGuests('http-hostile');

// An upstream in its own thread (a guest's outgoing request blocks this one): echoes the fields it got.
const upstream = new Worker(`
const { createServer } = require('node:http');
const server = createServer((req, res) => res.end(JSON.stringify(req.rawHeaders)));
server.listen(0, '127.0.0.1', () => require('node:worker_threads').parentPort.postMessage(server.address().port));
`, { eval: true });
const upstreamPort = await new Promise((r) => upstream.once('message', r));

const rt = createRuntime();
await rt.load('hostile', guestUrl('http-hostile'), {
  imports: wasiHttpImports({ outgoing: { allowedHosts: [`127.0.0.1:${upstreamPort}`] } }),
});
const reported = [];
const srv = await serve(rt, {
  maxQueueDelayMs: 60_000, // a loaded machine's slow first calls must not be shed here
  onError: (err) => reported.push(err),
  routes: [{ method: '*', path: '/*', function: 'hostile', kind: 'wasi-http' }],
});
const port = srv.port;

/** The forbidden names the guest tries (besides `connection`, which the server sets itself). */
const FORBIDDEN = ['keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'proxy-anything',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings', 'x-sfirt-error', 'x-sfirt-debug'];

test('lying content-length: 500 INVALID_RESPONSE, and the pipelined request behind it never gets a smuggled answer', async () => {
  const { raw } = await exchange(port, get('/lying-length') + get('/status/200', '', true));
  assert.not.match(raw, /stolen|<script>/, 'nothing the guest wrote past its declared length reached the client');
  const [first, second, ...rest] = parseResponses(raw);
  assert.is(first.status, 500);
  assert.is(first.header('x-sfirt-error'), 'INVALID_RESPONSE');
  assert.is(first.header('connection'), 'close');
  // Node may already have parsed and answered the pipelined request: then that answer is the real one.
  if (second) assert.equal([second.status, second.body], [200, 'set ok']);
  assert.is(rest.length, 0);
  assert.equal(reported.at(-1).reason, 'content-length-mismatch');
});

test('a body shorter than its declared length is refused the same way', async () => {
  const { raw } = await exchange(port, get('/short-length') + get('/status/200', '', true));
  const [first, second, ...rest] = parseResponses(raw);
  assert.is(first.status, 500);
  if (second) assert.equal([second.status, second.body], [200, 'set ok']);
  assert.is(rest.length, 0);
  assert.not.match(raw, /short/);
});

test('every forbidden field is refused to the guest with header-error.forbidden, and none reaches the client', async () => {
  const { raw } = await exchange(port, get('/forbidden', '', true));
  const [r] = parseResponses(raw);
  assert.is(r.status, 200);
  const lines = r.body.trim().split('\n');
  for (const line of lines.slice(0, 16)) assert.match(line, / append=forbidden set=forbidden$/, line);
  assert.ok(lines.includes('crlf-value append=invalid-syntax'));
  assert.ok(lines.includes('bad-name append=invalid-syntax'));
  assert.ok(lines.includes('content-length-text append=invalid-syntax'));
  assert.is(r.header('x-ok'), 'fine');
  const names = r.headers.map(([n]) => n);
  for (const name of FORBIDDEN) assert.not.ok(names.includes(name), `${name} reached the client`);
  assert.is(names.filter((n) => n === 'content-length').length, 1);
  assert.is(r.header('content-length'), String(Buffer.byteLength(r.body, 'latin1')));
  assert.is(names.filter((n) => n === 'connection').length, 1, 'only the server\'s own connection field');
  assert.not.match(raw, /injected/);
});

test('header fields past 64 KiB are refused; what was accepted is sent whole', async () => {
  const { raw } = await exchange(port, get('/huge-headers', '', true));
  const [r] = parseResponses(raw);
  assert.is(r.status, 200);
  const m = /^accepted (\d+) refused forbidden$/.exec(r.body);
  assert.ok(m, r.body);
  assert.ok(Number(m[1]) >= 50 && Number(m[1]) < 64, `accepted ${m[1]} 1 KiB fields`);
  assert.is(r.headers.filter(([n]) => n.startsWith('x-big-')).length, Number(m[1]));
});

test('informational statuses are refused to the guest; a body on a 204 is an invalid response', async () => {
  let [r] = parseResponses((await exchange(port, get('/status/101', '', true))).raw);
  assert.is(r.status, 200);
  assert.is(r.body, 'set err');
  [r] = parseResponses((await exchange(port, get('/status/199', '', true))).raw);
  assert.is(r.body, 'set err');
  [r] = parseResponses((await exchange(port, get('/status/204', '', true))).raw);
  assert.is(r.status, 500, 'a 204 whose body says "set ok"');
  [r] = parseResponses((await exchange(port, get('/status-body/304', '', true))).raw);
  assert.is(r.status, 500);
});

test('no response, an error-code, an unfinished body: 500 with fixed text; the detail goes to onError only', async () => {
  for (const [path, reason] of [['/no-response', 'no-response'], ['/error-code', 'error-code'], ['/no-finish', 'body-not-finished']]) {
    const { raw } = await exchange(port, get(path, '', true));
    const [r] = parseResponses(raw);
    assert.is(r.status, 500, path);
    assert.is(r.body, 'INVALID_RESPONSE: the function gave an invalid response\n');
    assert.not.match(raw, /secret|guest-text|never finished/);
    assert.is(reported.at(-1).code, 'INVALID_RESPONSE');
    assert.is(reported.at(-1).reason, reason);
  }
});

test('default pool mode: nothing a request stashes survives it (the instance is reset)', async () => {
  let [r] = parseResponses((await exchange(port, get('/stash', 'x-secret: alice\r\n', true))).raw);
  assert.is(r.body, 'stashed');
  const { raw } = await exchange(port, get('/use-stash', 'x-secret: bob\r\n', true));
  [r] = parseResponses(raw);
  assert.not.match(raw, /alice/);
  assert.equal([r.status, r.body], [200, 'nothing stashed'], 'the guest global holding the handle was reset too');
});

test('reuse: a handle kept past its request reaches nothing of the next caller', async () => {
  await rt.load('hostile-reuse', guestUrl('http-hostile'), { imports: wasiHttpImports(), pool: { mode: 'reuse' } });
  const srv3 = await serve(rt, { maxQueueDelayMs: 60_000, routes: [{ method: '*', path: '/*', function: 'hostile-reuse', kind: 'wasi-http' }] });
  try {
    let [r] = parseResponses((await exchange(srv3.port, get('/stash', 'x-secret: alice\r\n', true))).raw);
    assert.is(r.body, 'stashed');
    const { raw } = await exchange(srv3.port, get('/use-stash', 'x-secret: bob\r\n', true));
    [r] = parseResponses(raw);
    assert.not.match(raw, /alice/);
    assert.is(r.status, 500, 'using a released request\'s headers traps');
    assert.is(r.header('x-sfirt-error'), 'TRAP');
  } finally {
    await srv3.close();
  }
});

test('incoming: hop-by-hop, proxy and x-sfirt-* fields from the client never reach the guest; the rest arrive byte for byte', async () => {
  const extra = 'TE: trailers\r\nProxy-Authorization: Basic c2VjcmV0\r\nX-Sfirt-Error: spoofed\r\nUpgrade: h2c\r\nKeep-Alive: timeout=1\r\nX-Name: caf\xe9\r\n';
  const { raw } = await exchange(port, Buffer.from(get('/echo-headers', extra, true), 'latin1'));
  const [r] = parseResponses(raw);
  assert.is(r.status, 200);
  const seen = r.body.trim().split('\n').map((l) => l.slice(0, l.indexOf(':')));
  for (const name of ['host', 'te', 'proxy-authorization', 'x-sfirt-error', 'upgrade', 'keep-alive', 'connection']) {
    assert.not.ok(seen.includes(name), `${name} reached the guest`);
  }
  assert.ok(r.body.includes('x-name: caf\xe9\n'), 'a latin1 byte arrives as that one byte');
});

test('outgoing: the guest gets forbidden for te, proxy-authorization, host, connection, x-sfirt-*; upstream sees none of them', async () => {
  const { raw } = await exchange(port, get(`/outgoing/127.0.0.1:${upstreamPort}/echo`, '', true));
  const [r] = parseResponses(raw);
  assert.is(r.status, 200, r.body);
  const [attempts, echoed] = r.body.split('\n');
  assert.is(attempts, 'te=forbidden proxy-authorization=forbidden host=forbidden connection=forbidden x-sfirt-trace=forbidden x-ok=ok');
  const fields = JSON.parse(echoed);
  const names = fields.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  assert.ok(names.includes('x-ok'));
  for (const name of ['te', 'proxy-authorization', 'x-sfirt-trace']) assert.not.ok(names.includes(name), `${name} reached upstream`);
  assert.is(fields[names.indexOf('host') * 2 + 1], `127.0.0.1:${upstreamPort}`, 'host is the request\'s authority, not the guest\'s');
});

test('a guest that never drops what it constructs is stopped (a trap), one that drops is not', async () => {
  let [r] = parseResponses((await exchange(port, get('/leak-fields', '', true))).raw);
  assert.is(r.status, 500);
  assert.not.match(r.body, /leaked/);
  [r] = parseResponses((await exchange(port, get('/churn-fields', '', true))).raw);
  assert.is(r.status, 200);
  assert.is(r.body, 'churned');
});

test('on a worker thread the same checks hold: the refusal crosses as INVALID_RESPONSE, nothing smuggled', async () => {
  const wr = createWorkerRuntime({ workers: 1 });
  await wr.load('hostile', guestUrl('http-hostile'), { http: {} });
  const srv2 = await serve(wr, { maxQueueDelayMs: 60_000, routes: [{ method: '*', path: '/*', function: 'hostile', kind: 'wasi-http' }] });
  try {
    const { raw } = await exchange(srv2.port, get('/lying-length') + get('/status/200', '', true));
    assert.not.match(raw, /stolen|<script>/);
    const [first] = parseResponses(raw);
    assert.is(first.status, 500);
    assert.is(first.header('x-sfirt-error'), 'INVALID_RESPONSE');
    const [forbidden] = parseResponses((await exchange(srv2.port, get('/forbidden', '', true))).raw);
    assert.is(forbidden.status, 200);
    for (const name of FORBIDDEN) assert.not.ok(forbidden.headers.some(([n]) => n === name), name);
  } finally {
    await srv2.close();
    await wr.close();
  }
});

test('after every attack the server still answers', async () => {
  const [r] = parseResponses((await exchange(port, get('/status/200', '', true))).raw);
  assert.is(r.status, 200);
  assert.is(r.body, 'set ok');
});

test.after(async () => { await srv.close(); rt.close(); await upstream.terminate(); });
test.run();
