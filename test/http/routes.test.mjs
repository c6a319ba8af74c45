// Routes are checked at start against the resolved WIT; the metrics parse as Prometheus text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { readFileSync } from 'node:fs';
import { createRuntime, describeComponent, InvalidRouteError } from '../../dist/index.js';
import { simpleRouteParam } from '../../dist/http/simple-call.js';
import { serve, createHandler } from '../../dist/http/serve.js';
import { Metrics } from '../../dist/http/metrics.js';
import { wasiHttpImports } from '../../dist/http/imports.js';
import { ensureGuests, guestUrl } from './guests.mjs';
import { parsePrometheus } from './prometheus.mjs';

await ensureGuests('hello', 'bytes', 'compute', 'http-hello');
const rt = createRuntime();
await rt.load('hello', guestUrl('hello'));
await rt.load('bytes', guestUrl('bytes'));
await rt.load('compute', guestUrl('compute'));
await rt.load('http-hello', guestUrl('http-hello'), { imports: wasiHttpImports() });

const refused = (routes) => {
  try {
    createHandler(rt, { routes });
  } catch (err) {
    return err;
  }
  return undefined;
};

test('a route that can never be served is INVALID_ROUTE at start, naming the route', () => {
  const cases = [
    [{ path: '/x', function: 'not-loaded' }, /no function named not-loaded/],
    [{ path: '/x', function: 'hello', export: 'nope' }, /export nope is not a world-level function/],
    [{ path: '/x', function: 'compute', export: 'add' }, /takes 2 parameter/],
    [{ path: '/x', function: 'compute', export: 'fib' }, /takes 1 parameter/],
    [{ path: '/x', function: 'compute' }, /must name an export/],
    [{ path: '/x', function: 'bytes' }, /must name an export/],
    [{ path: '/x', function: 'hello', kind: 'wasi-http' }, /not a wasi:http component/],
    [{ path: '/x', function: 'http-hello' }, /no world-level functions/],
  ];
  for (const [route, message] of cases) {
    const err = refused([route]);
    assert.ok(err instanceof InvalidRouteError, `${JSON.stringify(route)} was accepted`);
    assert.is(err.code, 'INVALID_ROUTE');
    assert.match(err.message, message);
    assert.match(err.message, /^route POST \/x:/);
  }
});

test('routes that fit are accepted: one string, one list<u8>, none; the sole export by default', () => {
  assert.is(refused([
    { path: '/a', function: 'hello' },
    { path: '/b', function: 'bytes', export: 'checksum' },
    { path: '/c', function: 'compute', export: 'noop' },
    { path: '/d', function: 'compute', export: 'echo' },
    { method: '*', path: '/e/*', function: 'http-hello', kind: 'wasi-http' },
  ]), undefined);
});

test('simpleRouteParam says which exports a simple route can serve (what `sfirt serve` generates routes for)', async () => {
  const d = await describeComponent(new Uint8Array(readFileSync(guestUrl('compute'))));
  const servable = d.exports.filter((e) => simpleRouteParam(e.resolved) !== undefined).map((e) => e.name).sort();
  assert.equal(servable, ['echo', 'noop']);
});

test('serve() rejects with the same error and does not listen', async () => {
  await serve(rt, { routes: [{ path: '/x', function: 'compute', export: 'add' }] }).then(
    () => assert.unreachable('served'),
    (err) => assert.is(err.code, 'INVALID_ROUTE'),
  );
});

test('bad options are INVALID_ARGUMENT', () => {
  for (const options of [{ maxInflight: 0 }, { bodyReadShare: 2 }, { bodyTimeoutMs: 0 }, { maxBodyBytes: -1 }, { minBodyBytesPerSecond: 'fast' }]) {
    assert.throws(() => createHandler(rt, { routes: [], ...options }), (err) => err.code === 'INVALID_ARGUMENT', JSON.stringify(options));
  }
  assert.throws(() => createHandler(rt, { routes: [{ path: '/a', function: 'hello', method: 'GE T' }] }), (err) => err.code === 'INVALID_ARGUMENT');
});

test('the metrics endpoint is valid Prometheus text: every summary has quantiles, _sum and _count per function', async () => {
  const srv = await serve(rt, {
    metricsPath: '/metrics', maxBodyBytes: 8,
    maxQueueDelayMs: 60_000, // a loaded machine's slow turns must not be shed here (a 503 instead of the 413)
    routes: [{ path: '/greet', function: 'hello' }, { path: '/sum', function: 'bytes', export: 'checksum' }],
  });
  try {
    for (const body of ['a', 'b', 'c\\"x\n']) await (await request(`${srv.url}/greet`, { method: 'POST', body })).body.text();
    await (await request(`${srv.url}/greet`, { method: 'POST', body: Buffer.from([0xff]) })).body.text(); // 400
    await (await request(`${srv.url}/sum`, { method: 'POST', body: 'x'.repeat(20) })).body.text(); // 413
    const r = await request(`${srv.url}/metrics`);
    assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await r.body.text());
    const summary = families.get('sfirt_call_duration_seconds');
    assert.is(summary.type, 'summary');
    const of = (name, fn) => summary.samples.find((s) => s.name === name && s.labels.function === fn);
    assert.is(of('sfirt_call_duration_seconds_count', 'hello').value, 4);
    assert.ok(of('sfirt_call_duration_seconds_sum', 'hello').value > 0);
    assert.ok(of('sfirt_call_duration_seconds_sum', 'hello').value >= of('sfirt_call_duration_seconds', 'hello').value);
    assert.is(families.get('sfirt_calls_total').type, 'counter');
    assert.ok(families.get('sfirt_errors_total').samples.some((s) => s.labels.code === 'INVALID_ARGUMENT' && s.value === 1));
    assert.ok(families.get('sfirt_http_refused_total').samples.some((s) => s.labels.code === 'PAYLOAD_TOO_LARGE' && s.value === 1));
  } finally {
    await srv.close();
  }
});

test('the parser itself refuses what the format does not allow', () => {
  const bad = [
    '# TYPE a summary\na{quantile="0.5"} 1\na_count 1\n', // no _sum
    'a 1\n# TYPE a counter\n', // TYPE after samples
    '# TYPE a counter\na 1\n# TYPE b counter\nb 1\na{x="1"} 2\n', // split family
    '# TYPE a counter\na{x="\\q"} 1\n', // bad escape
    '# TYPE a counter\na 1\na 2\n', // duplicate series
    '# TYPE a counter\na 1', // no final newline
  ];
  for (const text of bad) assert.throws(() => parsePrometheus(text), undefined, text);
  const m = new Metrics();
  m.record('weird"name\\\n', 1.5, true, 'TRAP');
  m.refused('OVERLOADED');
  parsePrometheus(m.prometheus());
});

test.after(() => rt.close());
test.run();
