// A guest's response body reaches the client byte for byte, whatever its bytes and size: small
// bodies go out as one latin1 string with the head, larger ones as bytes (lib/http/respond.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { createRuntime } from '../../dist/index.js';
import { serve } from '../../dist/http/serve.js';
import { wasiHttpImports } from '../../dist/http/imports.js';
import { ensureGuests, guestUrl as guest } from './guests.mjs';

await ensureGuests('http-hello');
const rt = createRuntime();
await rt.load('http-hello', guest('http-hello'), { imports: wasiHttpImports() });
// maxQueueDelayMs: a loaded machine's slow turns must not be shed here (503).
const srv = await serve(rt, { maxBodyBytes: 1 << 20, maxQueueDelayMs: 60_000, routes: [{ method: '*', path: '/*', function: 'http-hello', kind: 'wasi-http' }] });

// http-hello answers "Hello, world! POST /echo body=<n> bytes\n" followed by the request body.
async function echo(body, method = 'POST') {
  const r = await request(`${srv.url}/echo`, { method, body });
  const got = Buffer.from(await r.body.arrayBuffer());
  return { status: r.statusCode, headers: r.headers, got };
}

for (const size of [0, 1, 256, 16 * 1024 - 64, 16 * 1024, 40 * 1024]) {
  test(`a ${size}-byte body of every byte value (0x00-0xff) comes back exactly, with its content-length`, async () => {
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 131 + 7) & 0xff;
    const { status, headers, got } = await echo(body);
    assert.is(status, 200);
    const prefix = Buffer.from(`Hello, world! POST /echo body=${size} bytes\n`, 'latin1');
    assert.is(Number(headers['content-length']), prefix.length + size);
    assert.is(got.length, prefix.length + size);
    assert.ok(got.subarray(0, prefix.length).equals(prefix));
    assert.ok(got.subarray(prefix.length).equals(body));
  });
}

test('HEAD: the head says the length, no body follows, and the connection serves the next request', async () => {
  const r = await request(`${srv.url}/echo`, { method: 'HEAD' });
  assert.is(r.statusCode, 200);
  assert.is(Number(r.headers['content-length']), Buffer.byteLength('Hello, world! HEAD /echo body=0 bytes\n'));
  assert.is((await r.body.arrayBuffer()).byteLength, 0);
  const after = await echo(Buffer.from([0xff, 0x00, 0x80]));
  assert.ok(after.got.subarray(-3).equals(Buffer.from([0xff, 0x00, 0x80])));
});

test.after(async () => { await srv.close(); rt.close(); });
test.run();
