// A wasi:http handler that returns without a valid response failed (lib/http/incoming.ts): its
// instance is discarded before it could serve anyone else, and the next request succeeds on
// another. Checked for each invalid outcome the hostile guest can produce, in the default mode
// and in `reuse` (where a kept instance would otherwise carry the failure forward).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { serve } from '../../dist/http/serve.js';
import { wasiHttpImports } from '../../dist/http/imports.js';
import { tempCache } from '../helpers.mjs';
import { ensureGuests, guestUrl } from './guests.mjs';
import { exchange, get, parseResponses } from './raw.mjs';

await ensureGuests('http-hostile');
const rt = createRuntime({ cacheDir: tempCache() });

for (const mode of [undefined, 'reuse']) {
  test(`${mode ?? 'default'}: no response, error-code, unfinished body discard the instance; the next request succeeds`, async () => {
    const name = `incoming-${mode ?? 'default'}`;
    const fn = await rt.load(name, guestUrl('http-hostile'), { imports: wasiHttpImports(), pool: { ...(mode ? { mode } : {}), min: 0, max: 1 } });
    const srv = await serve(rt, { maxQueueDelayMs: 60_000, routes: [{ method: '*', path: '/*', function: name, kind: 'wasi-http' }] });
    const request = async (path) => parseResponses((await exchange(srv.port, get(path, '', true))).raw)[0];
    try {
      assert.is((await request('/status/200')).status, 200);
      assert.is(fn.pool.idleCount, 1, 'a good request leaves its instance in the pool');
      for (const path of ['/no-response', '/error-code', '/no-finish']) {
        const r = await request(path);
        assert.equal([r.status, r.header('x-sfirt-error')], [500, 'INVALID_RESPONSE'], path);
        assert.is(fn.pool.size, 0, `${path}: the instance was discarded, not released as healthy`);
        const next = await request('/status/200');
        assert.equal([next.status, next.body], [200, 'set ok'], `${path}: the next request succeeds`);
        assert.is(fn.pool.idleCount, 1);
      }
    } finally {
      await srv.close();
    }
  });
}

test.after(() => rt.close());
test.run();
