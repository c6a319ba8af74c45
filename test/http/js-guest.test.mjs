// A wasi:http component from a third-party toolchain (componentize-js / StarlingMonkey, as Spin's
// JS SDK uses) served unchanged. Its build takes ~100 s, so it is opt-in:
//   node guests/http-hello/js/build.mjs
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createRuntime } from '../../dist/index.js';
import { serve } from '../../dist/http/serve.js';
import { wasiHttpImports } from '../../dist/http/imports.js';
import { testUnless } from '../helpers.mjs';

const wasm = fileURLToPath(new URL('../../guests/http-hello/js/http-hello-js.wasm', import.meta.url));
if (!existsSync(wasm)) {
  testUnless(`${wasm} is not built (node guests/http-hello/js/build.mjs, ~100 s)`)('a StarlingMonkey fetch-event component answers with its own status, headers and body');
} else {
  const rt = createRuntime();
  // Spin and `wasmtime serve` give every request a fresh instance; StarlingMonkey relies on a clean
  // one (its fetch event is a singleton): a `fresh` pool, or a warm `reset` pool restored after each call.
  await rt.load('js', wasm, { pool: { mode: 'fresh', min: 1 }, imports: wasiHttpImports() });
  await rt.load('js-warm', wasm, { pool: { mode: 'reset', min: 1, max: 1 }, imports: wasiHttpImports() });
  const srv = await serve(rt, {
    maxQueueDelayMs: 60_000,
    routes: [
      { method: '*', path: '/warm/*', function: 'js-warm', kind: 'wasi-http' },
      { method: '*', path: '/*', function: 'js', kind: 'wasi-http' },
    ],
  });

  test('a StarlingMonkey fetch-event component answers with its own status, headers and body', async () => {
    for (const [path, status] of [['/a?x=1', 200], ['/teapot', 418], ['/b', 200]]) {
      const r = await request(srv.url + path, { method: 'POST', body: 'ping', headers: { 'x-name': 'Spin' } });
      assert.is(r.statusCode, status);
      assert.is(r.headers['x-guest'], 'http-hello-js');
      assert.is(await r.body.text(), `Hello from JS, Spin! POST ${path} body=ping`);
    }
  });

  test('the same guest from a warm reset pool: one instance answers request after request', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await request(`${srv.url}/warm/${i}`, { method: 'POST', body: `n${i}`, headers: { 'x-name': 'Warm' } });
      assert.is(r.statusCode, 200);
      assert.is(await r.body.text(), `Hello from JS, Warm! POST /warm/${i} body=n${i}`);
    }
    const m = srv.metrics.snapshot()['js-warm'];
    assert.is(m.calls, 5);
    assert.ok(m.coldStarts <= 1, `${m.coldStarts} cold starts`);
  });

  test.after(async () => { await srv.close(); rt.close(); });
}
test.run();
