import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { createServer } from 'node:http';
import { createWorkerRuntime } from '../../dist/workers/worker-runtime.js';
import { serve } from '../../dist/http/serve.js';

import { ensureGuests, guestUrl as guest } from '../http/guests.mjs';
await ensureGuests('hello', 'bytes', 'spin', 'http-hello');
const wr = createWorkerRuntime({ workers: 2 });
const hello = await wr.load('hello', guest('hello'));
const bytes = await wr.load('bytes', guest('bytes'));
const spin = await wr.load('spin', guest('spin'), { limits: { timeoutMs: 3000 } });
const quickSpin = await wr.load('quick-spin', guest('spin'), { limits: { timeoutMs: 30 } });
await wr.load('http-hello', guest('http-hello'), { http: {} });

test('calls run in workers with the SfiFunction call/invoke shape', async () => {
  assert.is(await hello.call('greet', 'worker'), 'Hello, worker!');
  const r = await bytes.invoke('reverse', [new Uint8Array([1, 2, 3])]);
  assert.equal([...r.value], [3, 2, 1]);
  assert.type(r.stats.runUs, 'number');
  assert.equal(hello.exportNames(), ['greet']);
});

test('call() brings back the value only, and still counts calls and cold starts', async () => {
  const fresh = await wr.load('hello-metrics', guest('hello'), { pool: { mode: 'fresh', min: 0 } });
  assert.is(await fresh.call('greet', 'a'), 'Hello, a!');
  assert.is(await fresh.call('greet', 'b'), 'Hello, b!');
  const m = wr.metrics.snapshot()['hello-metrics'];
  assert.is(m.calls, 2);
  assert.is(m.coldStarts, 2, 'every call of a fresh pool without spares is a cold start');
  assert.is(m.errors, 0);
  const err = await quickSpin.call('spin').catch((e) => e);
  assert.is(err.code, 'DEADLINE_EXCEEDED');
  assert.is(wr.metrics.snapshot()['quick-spin'].errorsByCode.DEADLINE_EXCEEDED >= 1, true);
});

test('many concurrent calls spread over both workers and all succeed', async () => {
  const names = Array.from({ length: 200 }, (_, i) => `n${i}`);
  const out = await Promise.all(names.map((n) => hello.call('greet', n)));
  assert.equal(out, names.map((n) => `Hello, ${n}!`));
});

test('typed-array arguments are copied when the call is made: overwriting them afterwards changes nothing', async () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = Buffer.from([4, 5, 6, 7]);
  const invokeArgs = [b];
  const calls = [bytes.call('reverse', a), bytes.invoke('reverse', invokeArgs)];
  assert.is(invokeArgs[0], b, 'the caller\'s argument array is left as it was');
  a.fill(0);
  b.fill(0);
  const [x, y] = await Promise.all(calls);
  assert.equal([...x], [3, 2, 1]);
  assert.equal([...y.value], [7, 6, 5, 4]);
});

test('call() arguments arrive intact through the workers\' arenas: waves of 1,000 concurrent calls and invocations go round them many times, large ones are cloned', async () => {
  const inputs = Array.from({ length: 3000 }, (_, i) => {
    // Every 7th call carries 100 KB, more than a call may place in the arena (64 KiB).
    const a = new Uint8Array(i % 7 === 0 ? 100_000 : 3000 + (i % 13));
    for (let j = 0; j < a.length; j++) a[j] = (i * 31 + j * 7) & 255;
    return a;
  });
  const out = [];
  for (let w = 0; w < inputs.length; w += 1000) out.push(...await Promise.all(inputs.slice(w, w + 1000).map((a, i) => (i % 3 ? bytes.call('reverse', a) : bytes.invoke('reverse', [a]).then((r) => r.value)))));
  inputs.forEach((a, i) => assert.ok(Buffer.from(out[i]).equals(Buffer.from(a).reverse()), `call ${i}`));
  // Shared memory is shared with the guest's caller as structured clone shares it; other kinds pass.
  const shared = new Uint8Array(new SharedArrayBuffer(3));
  shared.set([7, 8, 9]);
  assert.equal([...await bytes.call('reverse', shared)], [9, 8, 7]);
  assert.equal([...await bytes.call('reverse', Buffer.from('abc'))], [99, 98, 97]);
});

test('typed errors keep their code across the thread boundary', async () => {
  try { await quickSpin.call('spin'); assert.unreachable(); } catch (e) { assert.is(e.code, 'DEADLINE_EXCEEDED'); }
  try { await hello.call('nope'); assert.unreachable(); } catch (e) { assert.is(e.code, 'UNKNOWN_EXPORT'); }
});

test('a worker that dies fails its in-flight calls with WORKER_CRASHED and is replaced', async () => {
  const inflight = spin.call('spin'); // runs until its 3 s deadline
  await new Promise((r) => setTimeout(r, 100));
  const busy = wr.inflight().findIndex((n) => n > 0);
  assert.ok(busy >= 0);
  await wr.killWorker(busy);
  try { await inflight; assert.unreachable(); } catch (e) {
    assert.is(e.code, 'WORKER_CRASHED');
    assert.is(e.name, 'WorkerCrashedError');
  }
  assert.is(wr.crashes, 1);
  assert.is(wr.metrics.snapshot().spin.errorsByCode.WORKER_CRASHED, 1);
  // The replacement reloads every function; calls keep working on all workers.
  const out = await Promise.all(Array.from({ length: 20 }, (_, i) => hello.call('greet', `r${i}`)));
  assert.is(out[19], 'Hello, r19!');
});

test('wasi:http components are served from workers', async () => {
  const srv = await serve(wr, { maxQueueDelayMs: 60_000, routes: [{ method: '*', path: '/*', function: 'http-hello', kind: 'wasi-http' }] });
  const r = await request(`${srv.url}/x`, { method: 'POST', body: 'hey', headers: { 'x-name': 'W' } });
  assert.is(r.statusCode, 200);
  assert.is(await r.body.text(), 'Hello, W! POST /x body=3 bytes\nhey');
  await srv.close();
});

test('outgoing HTTP from a guest in a worker goes through its policy', async () => {
  // The upstream lives in this thread: the worker's call blocks the worker, not us.
  const up = createServer((req, res) => res.end(`up ${req.url}`));
  await new Promise((r) => up.listen(0, '127.0.0.1', r));
  const port = up.address().port;
  await wr.load('http-out', guest('http-hello'), { http: { outgoing: { allowedHosts: [`127.0.0.1:${port}`] } } });
  const srv = await serve(wr, { maxQueueDelayMs: 60_000, routes: [{ method: 'GET', path: '/fetch/*', function: 'http-out', kind: 'wasi-http' }] });
  let r = await request(`${srv.url}/fetch/127.0.0.1:${port}/a`);
  assert.is(await r.body.text(), 'fetched 200: up /a');
  r = await request(`${srv.url}/fetch/localhost:${port}/a`);
  assert.is(r.statusCode, 502);
  assert.is(await r.body.text(), 'error HTTP-request-denied');
  await srv.close();
  up.close();
});

test('a tick of many calls goes as two posts, and the first post is answered without waiting for the second', async () => {
  const one = createWorkerRuntime({ workers: 1 });
  try {
    const fast = await one.load('hello', guest('hello'));
    const slow = await one.load('slow', guest('spin'), { limits: { timeoutMs: 600 } });
    const t0 = performance.now();
    const firstPost = Array.from({ length: 16 }, (_, i) => fast.call('greet', `a${i}`).then((v) => [v, performance.now() - t0]));
    // The second post starts with a call that holds the worker for 600 ms.
    const held = slow.call('spin').catch((e) => [e.code, performance.now() - t0]);
    const secondPost = Array.from({ length: 15 }, (_, i) => fast.call('greet', `b${i}`));
    const first = await Promise.all(firstPost);
    assert.equal(first.map(([v]) => v), Array.from({ length: 16 }, (_, i) => `Hello, a${i}!`));
    const [code, heldMs] = await held;
    assert.is(code, 'DEADLINE_EXCEEDED');
    const firstMs = Math.max(...first.map(([, ms]) => ms));
    assert.ok(firstMs < heldMs - 300, `first post answered at ${firstMs.toFixed(0)} ms, the held call ended at ${heldMs.toFixed(0)} ms`);
    assert.equal(await Promise.all(secondPost), Array.from({ length: 15 }, (_, i) => `Hello, b${i}!`));
  } finally {
    await one.close();
  }
});

test('calls beyond maxPendingPerWorker fail fast with OVERLOADED, calls after close() with CLOSED; both are counted', async () => {
  const small = createWorkerRuntime({ workers: 1, maxPendingPerWorker: 3 });
  try {
    const fast = await small.load('hello', guest('hello'));
    const slow = await small.load('slow', guest('spin'), { limits: { timeoutMs: 300 } });
    const held = slow.call('spin').catch((e) => e.code);
    const queued = [fast.call('greet', 'a'), fast.call('greet', 'b')];
    const over = await fast.call('greet', 'c').catch((e) => e);
    assert.is(over.code, 'OVERLOADED');
    assert.is(await held, 'DEADLINE_EXCEEDED');
    assert.equal(await Promise.all(queued), ['Hello, a!', 'Hello, b!']);
    assert.is(await fast.call('greet', 'd'), 'Hello, d!', 'the runtime serves again once calls drain');
    await small.close();
    const closed = await fast.call('greet', 'e').catch((e) => e);
    assert.is(closed.code, 'CLOSED');
    const m = small.metrics.snapshot().hello;
    assert.is(m.calls, 5);
    assert.equal(m.errorsByCode, { OVERLOADED: 1, CLOSED: 1 });
  } finally {
    await small.close();
  }
});

test('workers: 0 runs in this thread with the same API', async () => {
  const local = createWorkerRuntime({ workers: 0 });
  const fn = await local.load('hello', guest('hello'));
  assert.is(await fn.call('greet', 'here'), 'Hello, here!');
  await local.close();
});

test('runHereWhenBusy: with both workers busy this thread runs a share of the calls itself, with the same results, limits and metrics', async () => {
  const busy = createWorkerRuntime({ workers: 2, runHereWhenBusy: true });
  try {
    const fn = await busy.load('hello', guest('hello'));
    const capped = await busy.load('spin', guest('spin'), { limits: { timeoutMs: 20 } });
    const total = 3000;
    const names = Array.from({ length: total }, (_, i) => `h${i}`);
    // 64 callers keep both workers' queues past the busy mark for the whole run.
    let next = 0;
    const out = new Array(total);
    await Promise.all(Array.from({ length: 64 }, async () => { while (next < total) { const i = next++; out[i] = await fn.call('greet', names[i]); } }));
    out.forEach((v, i) => assert.is(v, `Hello, h${i}!`));
    assert.ok(busy.ranHere > 0, 'some calls ran in this thread');
    assert.ok(busy.ranHere <= total / 3 + 16, `at most a third ran here: ${busy.ranHere} of ${total}`);
    assert.is(busy.metrics.snapshot().hello.calls, total, 'calls run here are counted like the others');
    // A call run here is under the same limits: with 64 spins in flight some run here, all stop.
    const before = busy.ranHere;
    const errs = await Promise.all(Array.from({ length: 64 }, () => capped.call('spin').catch((e) => e)));
    for (const e of errs) assert.is(e.code, 'DEADLINE_EXCEEDED');
    assert.ok(busy.ranHere > before, 'some spins ran in this thread, and stopped at the deadline');
    assert.is(busy.metrics.snapshot().spin.errorsByCode.DEADLINE_EXCEEDED, 64);
  } finally { await busy.close(); }
  const off = createWorkerRuntime({ workers: 1 });
  try {
    const fn = await off.load('hello', guest('hello'));
    await Promise.all(Array.from({ length: 500 }, (_, i) => fn.call('greet', `x${i}`)));
    assert.is(off.ranHere, 0, 'off by default');
  } finally { await off.close(); }
  assert.throws(() => createWorkerRuntime({ workers: 1, runHereWhenBusy: 'yes' }), (e) => e.code === 'INVALID_ARGUMENT' && /runHereWhenBusy/.test(e.message));
});

test.after(() => wr.close());
test.run();
