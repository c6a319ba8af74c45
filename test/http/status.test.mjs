import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request as httpRequest } from 'node:http';
import { Worker } from 'node:worker_threads';
import { request } from 'undici';
import {
  createRuntime, OverloadedError, DeadlineExceededError, FuelExhaustedError, MemoryLimitExceededError,
  TrapError, InvalidArgumentError, HostFunctionError,
} from '../../dist/index.js';
import { errorResponse } from '../../dist/http/status.js';
import { serve } from '../../dist/http/serve.js';
import { ensureGuests, guestUrl } from './guests.mjs';

test('every error code maps to its status and x-sfirt-error header', () => {
  const cases = [
    [new OverloadedError('full'), 503, 'OVERLOADED'],
    [new DeadlineExceededError(10, 11), 504, 'DEADLINE_EXCEEDED'],
    [new FuelExhaustedError(100), 500, 'FUEL_EXHAUSTED'],
    [new MemoryLimitExceededError(65536), 500, 'MEMORY_LIMIT_EXCEEDED'],
    [new TrapError('unreachable', 'unreachable'), 500, 'TRAP'],
    [new InvalidArgumentError('bad'), 400, 'INVALID_ARGUMENT'],
    [new HostFunctionError('x#y', { cause: new Error('boom') }), 500, 'HOST_FUNCTION_ERROR'],
    [new Error('secret detail'), 500, 'INTERNAL'],
  ];
  for (const [err, status, code] of cases) {
    const r = errorResponse(err);
    assert.is(r.status, status, code);
    assert.is(r.headers['x-sfirt-error'], code);
  }
  assert.is(errorResponse(new OverloadedError('x')).headers['retry-after'], '1');
  assert.not.match(errorResponse(new Error('secret detail')).body, /secret/);
});

test('no host text in any error body: the body is the code and a fixed sentence', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
  const cases = [
    new HostFunctionError('db#read', { cause: new Error("ENOENT: no such file or directory, open '/srv/secrets/db.json'") }),
    refused,
    new TrapError('unreachable', 'trap at /home/app/guest.wasm'),
    new InvalidArgumentError('argument 1 ("/etc/passwd") is not a string'),
    new DeadlineExceededError(10, 11),
    Object.assign(new Error('x'), { code: 'lower_case_or_whatever' }),
  ];
  for (const err of cases) {
    const r = errorResponse(err);
    assert.match(r.body, /^[A-Z_]+: [a-z ;:,]+\n$/, r.body);
    assert.not.match(r.body, /srv|10\.0\.0\.5|ECONNREFUSED|home|passwd|\d/, r.body);
  }
  assert.is(errorResponse(refused).code, 'INTERNAL', 'codes of foreign errors are not ours to show');
});

await ensureGuests('trap', 'alloc', 'spin', 'hello', 'kv');
const rt = createRuntime();
await rt.load('trap', guestUrl('trap'));
await rt.load('alloc', guestUrl('alloc'), { limits: { memoryBytes: 1024 * 1024 } });
await rt.load('hello', guestUrl('hello'));
// Queue-delay shedding is tested on its own server: a cold compile here must not shed these.
const srv = await serve(rt, {
  maxInflight: 1,
  maxQueueDelayMs: 60_000,
  routes: [
    { path: '/trap', function: 'trap', export: 'unreachable' },
    { path: '/grow', function: 'alloc', export: 'memory-size' },
    { path: '/greet', function: 'hello' },
  ],
});

test('a host import failing with host detail: 500 with fixed text; the detail reaches onError only', async () => {
  const kvRt = createRuntime();
  const secret = "ENOENT: no such file or directory, open '/srv/secrets/db.json'";
  await kvRt.load('kv', guestUrl('kv'), {
    imports: {
      'sfirt:kv/store': { get() { throw new Error(secret); }, set() {} },
      'sfirt:kv/log': { log() {} },
    },
  });
  const seen = [];
  const srv2 = await serve(kvRt, { onError: (err, req) => seen.push([err, req.url]), routes: [{ path: '/incr', function: 'kv', export: 'incr' }] });
  try {
    const r = await request(`${srv2.url}/incr`, { method: 'POST', body: 'counter' });
    const text = await r.body.text();
    assert.is(r.statusCode, 500);
    assert.is(r.headers['x-sfirt-error'], 'HOST_FUNCTION_ERROR');
    assert.is(text, 'HOST_FUNCTION_ERROR: the function failed\n');
    assert.is(seen.length, 1);
    assert.is(seen[0][1], '/incr');
    assert.is(seen[0][0].code, 'HOST_FUNCTION_ERROR');
    assert.match(String(seen[0][0].cause?.message), /srv\/secrets/, 'the hook gets the whole error');
  } finally {
    await srv2.close();
    kvRt.close();
  }
});

test('a trapping guest is 500 TRAP end to end', async () => {
  const r = await request(`${srv.url}/trap`, { method: 'POST' });
  assert.is(r.statusCode, 500);
  assert.is(r.headers['x-sfirt-error'], 'TRAP');
  await r.body.text();
});

test('requestTimeoutMs stops a simple function\'s guest with 504, within the route budget', async () => {
  const budgetRt = createRuntime();
  await budgetRt.load('slow', guestUrl('spin'), { limits: { timeoutMs: 10_000 } });
  const srv2 = await serve(budgetRt, { requestTimeoutMs: 50, routes: [{ path: '/slow', function: 'slow', export: 'spin' }] });
  try {
    const t0 = performance.now();
    const r = await request(`${srv2.url}/slow`, { method: 'POST' });
    const elapsed = performance.now() - t0;
    assert.is(r.statusCode, 504);
    assert.is(r.headers['x-sfirt-error'], 'DEADLINE_EXCEEDED');
    assert.ok(elapsed < 2000, `answered after ${elapsed.toFixed(0)} ms, not after the function's 10 s`);
    await r.body.text();
  } finally {
    await srv2.close();
    budgetRt.close();
  }
});

test('over maxInflight is 503 with Retry-After, and the first request still completes', async () => {
  // Hold the only slot: a request whose body arrives slowly (node:http sends the headers first).
  const slow = httpRequest(`${srv.url}/greet`, { method: 'POST', headers: { 'content-length': '4' } });
  const first = new Promise((resolve, reject) => {
    slow.on('response', (res) => { let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => resolve({ status: res.statusCode, text: t })); });
    slow.on('error', reject);
  });
  slow.flushHeaders();
  await new Promise((r) => setTimeout(r, 300));
  const second = await request(`${srv.url}/greet`, { method: 'POST', body: 'x' });
  assert.is(second.statusCode, 503);
  assert.is(second.headers['retry-after'], '1');
  assert.is(second.headers['x-sfirt-error'], 'OVERLOADED');
  await second.body.text();
  slow.end('Slow');
  const r = await first;
  assert.is(r.status, 200);
  assert.is(r.text, 'Hello, Slow!');
});

test('under a backlog, requests that waited past maxQueueDelayMs get 503; the rest are served', async () => {
  const slowRt = createRuntime();
  await slowRt.load('slow', guestUrl('spin'), { limits: { timeoutMs: 25 } }); // every call ~25 ms, then 504
  await slowRt.load('hello', guestUrl('hello'));
  const srv = await serve(slowRt, {
    maxQueueDelayMs: 100,
    routes: [{ path: '/slow', function: 'slow', export: 'spin' }, { path: '/greet', function: 'hello' }],
  });
  // 24 requests on connections the server has already accepted, written from another thread while
  // this one is blocked (Atomics.wait until the sender says every request is in the kernel's
  // buffers): back in its event loop, the server finds all 24 readable at once, a backlog however
  // slowly a loaded machine runs the sender. (Not-yet-accepted connections would not do: the server
  // accepts about one per turn, so their requests would never queue behind each other.)
  const written = new Int32Array(new SharedArrayBuffer(4));
  const sender = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const net = require('node:net');
    let sockets;
    parentPort.on('message', async (m) => {
      if (m.connect) {
        sockets = await Promise.all(Array.from({ length: m.n }, () => new Promise((resolve, reject) => {
          const s = net.connect(m.port, '127.0.0.1', () => resolve(s)).on('error', reject);
        })));
        parentPort.postMessage('connected');
        return;
      }
      let sent = 0;
      const statuses = sockets.map((s) => new Promise((resolve) => {
        let text = '';
        s.on('data', (d) => { text += d; });
        s.on('close', () => resolve(Number(/^HTTP\\/1\\.1 (\\d{3})/.exec(text)?.[1] ?? 0)));
        s.on('error', () => {});
        s.write('POST /slow HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n', () => {
          if (++sent === sockets.length) { Atomics.store(m.written, 0, 1); Atomics.notify(m.written, 0); }
        });
      }));
      parentPort.postMessage(await Promise.all(statuses));
    });`, { eval: true });
  let statuses;
  try {
    const next = () => new Promise((r) => sender.once('message', r));
    const connected = next();
    sender.postMessage({ connect: true, port: new URL(srv.url).port, n: 24 });
    await connected;
    const accepted = () => new Promise((resolve, reject) => srv.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    while ((await accepted()) < 24) await new Promise((r) => setTimeout(r, 5));
    const done = next();
    sender.postMessage({ write: true, written });
    // 'not-equal' (the sender finished before this thread got here) is as good as 'ok': either way
    // this thread did not return to its event loop while the requests were written.
    Atomics.wait(written, 0, 0, 20_000);
    assert.is(Atomics.load(written, 0), 1, 'the sender wrote every request');
    statuses = await done;
  } finally {
    await sender.terminate();
  }
  try {
    const count = (s) => statuses.filter((x) => x === s).length;
    assert.ok(count(503) >= 1, `some were shed: ${statuses}`);
    assert.ok(count(504) >= 1, `some were served: ${statuses}`);
    assert.is(count(503) + count(504), 24, `only 503 (shed) or 504 (the guest's own deadline): ${statuses}`);
    await new Promise((r) => setTimeout(r, 250)); // past the shedding window
    const ok = await request(`${srv.url}/greet`, { method: 'POST', body: 'again' });
    assert.is(ok.statusCode, 200);
    assert.is(await ok.body.text(), 'Hello, again!');
  } finally {
    await srv.close();
  }
  slowRt.close();
});

test.after(async () => { await srv.close(); rt.close(); });
test.run();
