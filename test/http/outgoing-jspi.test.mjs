// Outgoing wasi:http under JSPI: the guest suspends while undici runs the request in this thread,
// so the event loop keeps running, and a guest can call the very server that is serving it (with
// the blocking fetch worker, that deadlocked until the outgoing timeout: 502 after 5.1 s). Where
// this Node has no JSPI the same requests still work through the blocking path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import { request } from 'undici';
import { createRuntime, wasiHttpImports } from '../../dist/index.js';
import { testUnless } from '../helpers.mjs';
import { ensureGuests, guestUrl as guest } from './guests.mjs';

await ensureGuests('http-hello');
const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const jspiTest = testUnless(HAS_JSPI ? undefined : `no JSPI on Node ${process.versions.node} (needs Node 24+): outgoing HTTP blocks the thread`);

// An upstream in this very thread: with a blocking outgoing request it could never answer.
let inflight = 0;
let maxInflight = 0;
const upstream = createServer((req, res) => {
  if (req.url === '/slow') {
    maxInflight = Math.max(maxInflight, ++inflight);
    setTimeout(() => { inflight--; res.end('slow done'); }, 100);
    return;
  }
  res.end(`upstream saw ${req.method} ${req.url}`);
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamPort = upstream.address().port;

const rt = createRuntime({ cacheDir: false });
// Served first (routes need a loaded function), then reloaded with its own server's port allowed.
await rt.load('http-out', guest('http-hello'), { imports: wasiHttpImports() });
const srv = await rt.serve({ port: 0, host: '127.0.0.1', routes: [
  { method: '*', path: '/*', function: 'http-out', kind: 'wasi-http' },
] });
const selfPort = new URL(srv.url).port;
await rt.load('http-out', guest('http-hello'), {
  imports: wasiHttpImports({ outgoing: { allowedHosts: [`127.0.0.1:${upstreamPort}`, `127.0.0.1:${selfPort}`], timeoutMs: 5_000 } }),
  limits: { timeoutMs: 10_000 },
  replace: true,
});
/** How many times a 10 ms interval ticks while `work()` runs. */
async function ticksDuring(work) {
  let ticks = 0;
  const iv = setInterval(() => ticks++, 10);
  try { await work(); } finally { clearInterval(iv); }
  return ticks;
}
const get = async (path) => {
  const r = await request(srv.url + path);
  return { status: r.statusCode, text: await r.body.text() };
};

jspiTest('an outgoing request to an upstream served by this thread gets its answer', async () => {
  const fn = rt.get('http-out');
  const { runIncomingHandler } = await import('../../dist/http/incoming.js');
  const { response } = await runIncomingHandler(fn, {
    method: 'GET', pathWithQuery: `/fetch/127.0.0.1:${upstreamPort}/hi`, scheme: 'http', authority: 'x', rawHeaders: [], body: new Uint8Array(),
  });
  assert.is(response.status, 200);
  assert.is(new TextDecoder().decode(response.body), 'fetched 200: upstream saw GET /hi');
});

jspiTest('a guest calling its own server (runtime.serve) gets its answer', async () => {
  const t0 = performance.now();
  const r = await get(`/fetch/127.0.0.1:${selfPort}/inner`);
  const ms = performance.now() - t0;
  assert.is(r.status, 200, r.text);
  assert.match(r.text, /^fetched 200: Hello, world! GET \/inner body=0 bytes/);
  assert.ok(ms < 2_000, `took ${ms} ms`);
});

jspiTest('a 10 ms interval keeps ticking while a guest waits 100 ms for an outgoing response', async () => {
  await get(`/fetch/127.0.0.1:${upstreamPort}/warm`);
  // Baseline (a loaded machine ticks less): the same 100 ms upstream wait without a guest.
  const baseline = await ticksDuring(() => request(`http://127.0.0.1:${upstreamPort}/slow`).then((x) => x.body.text()));
  let r;
  const ticks = await ticksDuring(async () => { r = await get(`/fetch/127.0.0.1:${upstreamPort}/slow`); });
  assert.is(r.status, 200);
  assert.is(r.text, 'fetched 200: slow done');
  assert.ok(ticks >= Math.max(1, Math.min(5, baseline)), `${ticks} ticks during the guest's request, ${baseline} during a direct one`);
});

jspiTest('many guests wait on outgoing requests at once (no thread is blocked)', async () => {
  maxInflight = 0;
  const all = await Promise.all(Array.from({ length: 8 }, () => get(`/fetch/127.0.0.1:${upstreamPort}/slow`)));
  for (const r of all) assert.is(r.text, 'fetched 200: slow done');
  // A blocking outgoing request would make them reach the upstream one at a time.
  assert.ok(maxInflight >= 4, `at most ${maxInflight} of the guests' requests were at the upstream at once`);
});

test.after(async () => {
  await srv.close();
  upstream.close();
  rt.close();
});
test.run();
