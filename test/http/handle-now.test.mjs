// The server's synchronous path (lib/http/incoming.ts `handleIncoming`, `SfiFunction.invokeNow`):
// on a pool hit the call ends within the call, and the answer must be exactly what the promise
// path gives: the same checked response and stats, the same typed failures (thrown, not
// rejected), the same discard of a failed instance, everything of the request released.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { wasiHttpImports } from '../../dist/http/imports.js';
import { handleIncoming, runIncomingHandler } from '../../dist/http/incoming.js';
import { tempCache } from '../helpers.mjs';
import { ensureGuests, guestUrl } from './guests.mjs';

await ensureGuests('http-hostile');
const rt = createRuntime({ cacheDir: tempCache() });
const fn = await rt.load('now', guestUrl('http-hostile'), { imports: wasiHttpImports(), pool: { min: 0, max: 1 } });
const request = (path) => ({ method: 'GET', pathWithQuery: path, scheme: 'http', authority: 'localhost', rawHeaders: ['Host', 'localhost'], body: new Uint8Array(0) });
const text = (bytes) => new TextDecoder().decode(bytes);

test('a pool hit answers synchronously with what runIncomingHandler resolves to', async () => {
  const first = await runIncomingHandler(fn, request('/status/201'));
  assert.is(first.invocation.stats.coldStart, true);
  const now = handleIncoming(fn, request('/status/201'));
  assert.not.ok(now instanceof Promise, 'a pool hit ends within the call');
  assert.equal(now.response, first.response);
  assert.equal([now.response.status, text(now.response.body)], [201, 'set ok']);
  assert.is(now.invocation.stats.coldStart, false);
  assert.ok(now.invocation.stats.runUs >= 0);
  assert.is(fn.pool.idleCount, 1);
});

test('a pool miss still answers, through a promise', async () => {
  fn.pool.drain();
  const later = handleIncoming(fn, request('/status/202'));
  // A miss instantiates synchronously when a slot is free: either way the same answer.
  const r = later instanceof Promise ? await later : later;
  assert.equal([r.response.status, r.invocation.stats.coldStart], [202, true]);
});

test('an invalid response is thrown synchronously, typed, and the instance is discarded', () => {
  handleIncoming(fn, request('/status/200')); // warm
  assert.is(fn.pool.idleCount, 1);
  for (const [path, reason] of [['/no-response', 'no-response'], ['/error-code', 'error-code'], ['/no-finish', 'body-not-finished']]) {
    let thrown;
    try { handleIncoming(fn, request(path)); } catch (err) { thrown = err; }
    assert.is(thrown?.code, 'INVALID_RESPONSE', path);
    assert.is(thrown?.reason, reason, path);
    assert.is(fn.pool.size, 0, `${path}: discarded`);
    assert.equal(handleIncoming(fn, request('/status/200')).response.status, 200);
  }
});

test('invokeNow gives invoke()\'s invocation, and throws typed failures synchronously', async () => {
  const plain = await rt.load('now-hello', guestUrl('hello'));
  await plain.invoke('greet', ['x']);
  const inv = plain.invokeNow('greet', ['Ada']);
  assert.not.ok(inv instanceof Promise);
  assert.equal(inv.value, (await plain.invoke('greet', ['Ada'])).value);
  assert.equal(Object.keys(inv), ['value', 'stdout', 'stderr', 'truncated', 'stats']);
  let thrown;
  try { plain.invokeNow('no-such-export', []); } catch (err) { thrown = err; }
  assert.is(thrown?.code, 'UNKNOWN_EXPORT');
});

test.after(() => rt.close());
test.run();
