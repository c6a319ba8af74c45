// Clients that do not take their responses (lib/http/send-watch.ts): the "slow read" attack asks
// for large responses and never reads them, so without a send deadline their bytes stay in the
// server's memory for as long as the socket is open. Raw sockets (node:net): what the server does
// to the connection, not what a client library would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { createRuntime } from '../../dist/index.js';
import { createHandler } from '../../dist/http/handler.js';
import { serve } from '../../dist/http/serve.js';
import { ensureGuests, guestUrl } from './guests.mjs';
import { exchange, parseResponses } from './raw.mjs';

await ensureGuests('bytes', 'hello');
const rt = createRuntime();
await rt.load('bytes', guestUrl('bytes'));
await rt.load('hello', guestUrl('hello'));
test.after(() => rt.close());

// 4 MiB: far more than loopback's socket buffers take from a client that never reads.
const SIZE = 4 * 1024 * 1024;
const body = Buffer.alloc(SIZE, 0x61);
const reverse = `POST /reverse HTTP/1.1\r\nHost: x\r\nContent-Length: ${SIZE}\r\n\r\n`;
const routes = [{ method: 'POST', path: '/reverse', function: 'bytes', export: 'reverse' }, { path: '/greet', function: 'hello' }];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A connection that sends one request for a 4 MiB response and then does not read. (A paused
 * socket sees no close either: `result()` resumes it and says what it got until it closed.)
 * `response()` resumes it and resolves to the response body once it has all arrived (or to what
 * came, should the connection close first).
 */
function nonReader(port) {
  const s = net.connect(port, '127.0.0.1', () => { s.write(reverse); s.write(body); });
  s.pause();
  s.on('error', () => {});
  const chunks = [];
  let received = 0;
  let arrived = () => {};
  s.on('data', (c) => { chunks.push(c); received += c.length; arrived(); });
  const closed = new Promise((r) => s.on('close', r));
  s.result = async (withinMs) => {
    s.resume();
    const ok = await Promise.race([closed.then(() => true), sleep(withinMs).then(() => false)]);
    s.destroy();
    return { closed: ok, received };
  };
  s.response = () => new Promise((resolve) => {
    // The head is a few hundred bytes: everything is here once SIZE bytes follow it.
    arrived = () => {
      if (received < SIZE) return;
      const raw = Buffer.concat(chunks);
      const head = raw.indexOf('\r\n\r\n');
      if (head >= 0 && raw.length - head - 4 >= SIZE) resolve(raw.subarray(head + 4));
    };
    // Closed before all of it came: what did come (the length check then fails).
    closed.then(() => resolve(Buffer.concat(chunks)));
    s.resume();
  });
  return s;
}

test('a client that never reads its large response is cut off at sendTimeoutMs; the server keeps answering', async () => {
  const srv = await serve(rt, { routes, maxBodyBytes: 2 * SIZE, sendTimeoutMs: 300, minSendBytesPerSecond: 0, maxQueueDelayMs: 60_000 });
  try {
    const sockets = Array.from({ length: 4 }, () => nonReader(srv.port));
    const greet = await exchange(srv.port, 'POST /greet HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbob');
    assert.is(parseResponses(greet.raw)[0]?.status, 200, 'served beside the non-readers');
    for (let i = 0; i < 200 && srv.metrics.refusals().SEND_TIMEOUT !== 4; i++) await sleep(100);
    assert.is(srv.metrics.refusals().SEND_TIMEOUT, 4, 'each non-reading connection was cut off');
    for (const s of sockets) {
      const { closed, received } = await s.result(3000);
      assert.ok(closed, 'the server closed the connection');
      assert.ok(received < SIZE, `it got part of the response only (${received} bytes)`);
    }
    assert.match(await (await fetch(`http://127.0.0.1:${srv.port}/greet`, { method: 'POST', body: 'amy' })).text(), /amy/);
  } finally {
    await srv.close();
  }
});

test('a client that reads, even after a pause within the allowance, gets the whole response', async () => {
  const srv = await serve(rt, { routes, maxBodyBytes: 2 * SIZE, sendTimeoutMs: 5000, minSendBytesPerSecond: 0, maxQueueDelayMs: 60_000 });
  try {
    const s = nonReader(srv.port);
    await sleep(300);
    const expected = await s.response();
    assert.is(expected.length, SIZE);
    assert.ok(expected.every((b) => b === 0x61));
    s.destroy();
    assert.is(srv.metrics.refusals().SEND_TIMEOUT, undefined);
  } finally {
    await srv.close();
  }
});

test('a send deadline longer than timers take is capped, not fired at once', async () => {
  // 4 MiB at 1 byte/s: ~4e9 ms, past setTimeout's 2^31 - 1 (a longer delay fires after 1 ms).
  const srv = await serve(rt, { routes, maxBodyBytes: 2 * SIZE, sendTimeoutMs: 300, minSendBytesPerSecond: 1, maxQueueDelayMs: 60_000 });
  try {
    const s = nonReader(srv.port);
    // Once the call is done, the response is buffered and watched: give an early timer time to fire.
    for (let i = 0; i < 200 && !(srv.metrics.snapshot().bytes?.calls >= 1); i++) await sleep(50);
    assert.is(srv.metrics.snapshot().bytes?.calls, 1);
    await sleep(500);
    assert.is(srv.metrics.refusals().SEND_TIMEOUT, undefined);
    s.destroy();
  } finally {
    await srv.close();
  }
});

test('small answers are never watched; bad options are INVALID_ARGUMENT', async () => {
  const srv = await serve(rt, { routes, sendTimeoutMs: 1, maxQueueDelayMs: 60_000 });
  try {
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`http://127.0.0.1:${srv.port}/greet`, { method: 'POST', body: `n${i}` });
      assert.is(r.status, 200);
      await r.text();
    }
    assert.is(srv.metrics.refusals().SEND_TIMEOUT, undefined);
  } finally {
    await srv.close();
  }
  for (const bad of [{ sendTimeoutMs: 0 }, { sendTimeoutMs: 'x' }, { minSendBytesPerSecond: -1 }]) {
    assert.throws(() => createHandler(rt, { routes, ...bad }), (e) => e.code === 'INVALID_ARGUMENT');
  }
});

test.run();
