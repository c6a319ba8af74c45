// lib/workers/worker-serve.ts + worker-http.ts: serve() on a WorkerRuntime where each worker
// accepts and answers its own connections (Node >= 22.12, reusePort). Observed with raw sockets:
// which worker ran a request comes from the workers' own counts (`workerStats()`), never from
// anything the client reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { createServer } from 'node:http';
import { createWorkerRuntime, BindFailedError, DeadlineExceededError } from '../../dist/index.js';
import { serve } from '../../dist/http/serve.js';
import { supportsReusePort, REUSE_PORT } from '../../dist/workers/worker-serve.js';
import { ensureGuests, guestUrl } from '../http/guests.mjs';
import { exchange, parseResponses } from '../http/raw.mjs';
import { parsePrometheus } from '../http/prometheus.mjs';
import { rejection, testUnless } from '../helpers.mjs';

await ensureGuests('hello', 'spin', 'http-hello');
const onNewNode = testUnless(!REUSE_PORT && `Node ${process.version} has no reusePort (needs >= 22.12): serve() keeps accepting in the main thread`);
const onOldNode = testUnless(REUSE_PORT && `Node ${process.version} has reusePort: the fallback is tested through listenInWorkers: false`);

const wr = createWorkerRuntime({ workers: 2 });
await wr.load('hello', guestUrl('hello'));
await wr.load('spin', guestUrl('spin'), { limits: { timeoutMs: 50 } });
await wr.load('http-hello', guestUrl('http-hello'), { http: {} });
// A loaded machine's first calls must not be shed as overload here.
const base = { maxQueueDelayMs: 60_000 };
const routes = [
  { path: '/greet', function: 'hello' },
  { path: '/spin', function: 'spin', export: 'spin' },
  { method: '*', path: '/wasi/*', function: 'http-hello', kind: 'wasi-http' },
];
const post = (path, body, close = true) => `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`;
/** One request on a new connection; resolves to the parsed answer. */
const once = async (port, text) => parseResponses((await exchange(port, text)).raw)[0];
/** Requests per worker so far, from the workers' own metrics. */
const perWorker = async (srv, fn) => (await srv.workerStats()).map((s) => s.functions[fn]?.calls ?? 0);

/** Opens a connection, sends a request's headers and `part` of a `total`-byte body; returns the socket and its answer. */
function partial(port, total, part) {
  const s = net.connect(port, '127.0.0.1');
  const chunks = [];
  s.on('data', (c) => chunks.push(c));
  s.on('error', () => {});
  const answer = new Promise((resolve) => s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
  const ready = new Promise((resolve) => s.once('connect', () => {
    s.write(`POST /greet HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${total}\r\nConnection: close\r\n\r\n${'a'.repeat(part)}`);
    resolve();
  }));
  return { s, answer, ready };
}

/** Resolves when some worker has a request in flight; returns its index. */
async function busyWorker(srv) {
  for (let i = 0; i < 200; i++) {
    const busy = (await srv.workerStats()).find((s) => s.inflight > 0);
    if (busy) return busy.worker;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no worker has the request in flight');
}

test('supportsReusePort: 22.12+, 23.1+, 24+; not 20 or 22.11', () => {
  for (const v of ['v22.12.0', '22.23.5', '23.1.0', '24.22.3', '26.12.1']) assert.ok(supportsReusePort(v), v);
  for (const v of ['v20.20.2', '20.18.0', '22.11.0', '23.0.0', '18.20.0']) assert.not.ok(supportsReusePort(v), v);
});

onNewNode('two workers both accept connections (200 new connections), answer them, and the port was picked by the first', async () => {
  const srv = await serve(wr, { ...base, routes });
  try {
    assert.is(srv.workers, 2);
    assert.is(srv.server, undefined, 'no server in the main thread');
    assert.ok(srv.port > 0);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => once(srv.port, post('/greet', `n${i}`))));
    answers.forEach((r, i) => assert.equal([r.status, r.body], [200, `Hello, n${i}!`]));
    const counts = await perWorker(srv, 'hello');
    assert.is(counts.length, 2);
    assert.is(counts[0] + counts[1], 200);
    assert.ok(counts[0] > 0 && counts[1] > 0, `both workers accepted: ${counts}`);
    const w = await once(srv.port, post('/wasi/x', 'body'));
    assert.is(w.status, 200);
    assert.is(w.header('x-guest'), 'http-hello');
  } finally { await srv.close(); }
});

onNewNode('metrics are added up over the workers: metricsPath, collectMetrics() and close()', async () => {
  const srv = await wr.serve({ ...base, routes, metricsPath: '/metrics' });
  try {
    await Promise.all(Array.from({ length: 60 }, (_, i) => once(srv.port, post('/greet', `m${i}`))));
    await once(srv.port, post('/spin', ''));
    const counts = await perWorker(srv, 'hello');
    assert.ok(counts[0] > 0 && counts[1] > 0, `both workers served: ${counts}`);
    // A scrape lands on one worker and reports every worker's numbers.
    for (let i = 0; i < 4; i++) {
      const r = await once(srv.port, 'GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      assert.is(r.status, 200);
      const families = parsePrometheus(r.body);
      const calls = families.get('sfirt_calls_total').samples;
      assert.is(calls.find((s) => s.labels.function === 'hello').value, 60);
      assert.is(families.get('sfirt_errors_total').samples.find((s) => s.labels.function === 'spin').labels.code, 'DEADLINE_EXCEEDED');
      assert.is(families.get('sfirt_call_duration_seconds').samples.filter((s) => s.labels.function === 'hello' && s.labels.quantile).length, 2);
    }
    const m = await srv.collectMetrics();
    assert.is(m, srv.metrics);
    assert.is(m.snapshot().hello.calls, 60);
    assert.ok(m.snapshot().hello.p99Ms > 0);
    await once(srv.port, post('/greet', 'last'));
  } finally { await srv.close(); }
  assert.is(srv.metrics.snapshot().hello.calls, 61, 'close() leaves the final numbers');
});

onNewNode('close() drains every worker: a request in flight finishes, new connections are refused', async () => {
  const srv = await wr.serve({ ...base, routes });
  const { s, answer, ready } = partial(srv.port, 8, 3);
  await ready;
  await busyWorker(srv);
  let closed = false;
  const closing = srv.close().then(() => { closed = true; });
  await new Promise((r) => setTimeout(r, 150));
  assert.not.ok(closed, 'close() waits for the request in flight');
  const refused = await new Promise((resolve) => {
    const c = net.connect(srv.port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve(false); });
    c.on('error', (err) => resolve(err.code));
  });
  assert.is(refused, 'ECONNREFUSED');
  s.write('bcdefgh'.slice(0, 5));
  const raw = await answer;
  const [r] = parseResponses(raw);
  assert.equal([r.status, r.body], [200, 'Hello, aaabcdef!']);
  await closing;
  assert.ok(closed);
});

onNewNode('onError runs in the main thread with the typed error and a summary of the request', async () => {
  const seen = [];
  const srv = await wr.serve({ ...base, routes, onError: (err, req) => seen.push({ err, url: req.url, method: req.method, addr: req.socket.remoteAddress }) });
  try {
    const r = await once(srv.port, post('/spin', ''));
    assert.is(r.status, 504);
    assert.is(r.body, 'DEADLINE_EXCEEDED: the function ran out of time\n');
    for (let i = 0; i < 100 && !seen.length; i++) await new Promise((res) => setTimeout(res, 10));
    assert.is(seen.length, 1);
    assert.ok(seen[0].err instanceof DeadlineExceededError);
    assert.is(seen[0].err.timeoutMs, 50);
    assert.equal([seen[0].method, seen[0].url, seen[0].addr], ['POST', '/spin', '127.0.0.1']);
  } finally { await srv.close(); }
});

onNewNode('bind failures are typed: a port held by another server gives BIND_FAILED (EADDRINUSE); the runtime can serve again', async () => {
  const other = createServer(() => {});
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
  const taken = other.address().port;
  try {
    const err = await rejection(wr.serve({ ...base, routes, port: taken }));
    assert.ok(err instanceof BindFailedError, String(err));
    assert.is(err.code, 'BIND_FAILED');
    assert.is(err.reason, 'EADDRINUSE');
    assert.is(err.port, taken);
    assert.is(err.worker, 0);
    assert.not.match(err.message, /\/work|\/home|node:/);
  } finally { other.close(); }
  const bad = await rejection(wr.serve({ ...base, routes, port: 70000 }));
  assert.is(bad.code, 'INVALID_ARGUMENT');
  const unclonable = await rejection(wr.serve({ ...base, routes, maxBodyBytes: 10, extra: () => {} }));
  assert.is(unclonable.code, 'INVALID_ARGUMENT');
  const srv = await wr.serve({ ...base, routes });
  try {
    const twice = await rejection(wr.serve({ ...base, routes }));
    assert.is(twice.code, 'INVALID_ARGUMENT', 'one worker-accepted server per runtime at a time');
    assert.is((await once(srv.port, post('/greet', 'again'))).status, 200);
  } finally { await srv.close(); }
});

test('in-thread serve() reports bind failures the same way', async () => {
  const { createRuntime } = await import('../../dist/index.js');
  const rt = createRuntime();
  await rt.load('hello', guestUrl('hello'));
  const other = createServer(() => {});
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
  try {
    const err = await rejection(rt.serve({ routes: [{ path: '/greet', function: 'hello' }], port: other.address().port }));
    assert.ok(err instanceof BindFailedError);
    assert.is(err.reason, 'EADDRINUSE');
    assert.is(err.worker, undefined);
  } finally { other.close(); rt.close(); }
});

test('listenInWorkers: false (and Node without reusePort) accept in the main thread and dispatch to the workers', async () => {
  const srv = await wr.serve({ ...base, routes, listenInWorkers: false });
  try {
    assert.is(srv.workers, 0);
    assert.ok(srv.server, 'a node:http server in this thread');
    const r = await once(srv.port, post('/greet', 'main'));
    assert.equal([r.status, r.body], [200, 'Hello, main!']);
    assert.is((await srv.collectMetrics()).snapshot().hello.calls, 1);
  } finally { await srv.close(); }
  const bad = await rejection(wr.serve({ ...base, routes, listenInWorkers: 'yes' }));
  assert.is(bad.code, 'INVALID_ARGUMENT');
});

onOldNode('on this Node, serve() with workers falls back to accepting in the main thread', async () => {
  const srv = await serve(wr, { ...base, routes });
  try {
    assert.is(srv.workers, 0);
    assert.ok(srv.server);
    assert.equal((await once(srv.port, post('/greet', 'old'))).body, 'Hello, old!');
  } finally { await srv.close(); }
});

onNewNode('a worker that crashes mid-request answers 500 WORKER_CRASHED (generic body); its replacement listens and the server keeps serving', async () => {
  const reported = [];
  const srv = await wr.serve({ ...base, routes, onError: (err) => reported.push(err) });
  try {
    const crashesBefore = wr.crashes;
    const { answer, ready } = partial(srv.port, 10, 2);
    await ready;
    const victim = await busyWorker(srv);
    const exitCode = await wr.killWorker(victim, 'throw');
    assert.is(exitCode, 1);
    const raw = await answer;
    const [r] = parseResponses(raw);
    assert.is(r.status, 500);
    assert.is(r.header('x-sfirt-error'), 'WORKER_CRASHED');
    assert.is(r.body, 'WORKER_CRASHED: the server could not complete the request\n');
    assert.is(r.header('connection'), 'close');
    assert.not.match(raw, /crash requested|killWorker|\/work/, raw);
    assert.is(wr.crashes, crashesBefore + 1);
    // The replacement listens again once its functions are loaded; meanwhile the other worker serves.
    let counts = [0, 0];
    for (let round = 0; round < 50 && !(counts[victim] > 0); round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => once(srv.port, post('/greet', `r${i}`))));
      for (const a of answers) assert.is(a.status, 200);
      counts = await perWorker(srv, 'hello');
    }
    assert.ok(counts[victim] > 0, `the replacement of worker ${victim} accepts connections: ${counts}`);
    assert.is(srv.relistenFailures, 0);
  } finally { await srv.close(); }
});

onNewNode('a worker killed outright (terminate) mid-request: its connection closes with no text; the replacement listens; nothing else is lost', async () => {
  const srv = await wr.serve({ ...base, routes });
  try {
    const { answer, ready } = partial(srv.port, 10, 2);
    await ready;
    const victim = await busyWorker(srv);
    await wr.killWorker(victim);
    const raw = await answer;
    assert.not.match(raw, /Error|\/work|node:/, 'no host text');
    assert.ok(raw === '' || parseResponses(raw)[0].status === 500, `nothing, or a 500: ${JSON.stringify(raw.slice(0, 40))}`);
    let counts = [0, 0];
    for (let round = 0; round < 50 && !(counts[victim] > 0); round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => once(srv.port, post('/greet', `t${i}`))));
      for (const a of answers) assert.is(a.status, 200);
      counts = await perWorker(srv, 'hello');
    }
    assert.ok(counts[victim] > 0, `the replacement of worker ${victim} accepts connections: ${counts}`);
  } finally { await srv.close(); }
});

test.after(async () => { await wr.close(); });
test.run();
