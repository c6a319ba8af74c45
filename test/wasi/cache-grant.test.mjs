// A read-write preopen must never let a guest write the precompile cache: its entries hold the
// JavaScript glue and wasm the host runs for every function, and everything in an entry's
// manifest is computable from public data. With the cache inside a writable grant a guest rewrote
// a component's glue and the next process that loaded it ran the guest's JavaScript as the host
// (test/redteam/cache-via-preopen.mjs). Such grants are refused at load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest } from '../helpers.mjs';

const top = mkdtempSync(join(tmpdir(), 'sfirt-cache-grant-'));
const cache = join(top, 'home', '.cache', 'sfirt');
mkdirSync(join(cache, 'entries'), { recursive: true });
mkdirSync(join(top, 'home', 'data'), { recursive: true });
symlinkSync(cache, join(top, 'link-to-cache'));
test.after(() => rmSync(top, { recursive: true, force: true }));

async function loadWith(hostPath, { readOnly = false, runtime = { cacheDir: cache } } = {}) {
  const rt = createRuntime(runtime);
  try {
    await rt.load('fs', guest('fs-ops'), { wasi: { preopens: { '/data': { hostPath, readOnly } } } });
    return 'loaded';
  } catch (err) {
    return err;
  } finally {
    rt.close();
  }
}

test('a read-write grant that is, contains or lies inside the cache directory is INVALID_ARGUMENT', async () => {
  for (const hostPath of [cache, join(top, 'home'), top, join(cache, 'entries'), join(top, 'link-to-cache')]) {
    const err = await loadWith(hostPath);
    assert.is(err.code, 'INVALID_ARGUMENT', `${hostPath}: ${err}`);
    assert.match(err.message, /precompile cache/);
    assert.not.ok(err.message.includes(top), 'the message names no host path');
  }
});

test('also a cache that does not exist yet, and the wasi:nn engine\'s cache', async () => {
  const later = join(top, 'home', 'not-yet', 'cache');
  assert.is((await loadWith(join(top, 'home'), { runtime: { cacheDir: later } })).code, 'INVALID_ARGUMENT');
  const nnCache = join(top, 'home', 'data', 'nn-cache');
  assert.is((await loadWith(join(top, 'home', 'data'), { runtime: { cacheDir: false, nn: { cacheDir: nnCache } } })).code, 'INVALID_ARGUMENT');
});

test('read-only grants over the cache, and read-write grants beside it, load', async () => {
  assert.is(await loadWith(join(top, 'home'), { readOnly: true }), 'loaded');
  assert.is(await loadWith(join(top, 'home', 'data')), 'loaded');
  assert.is(await loadWith(join(top, 'home'), { runtime: { cacheDir: false } }), 'loaded');
});

test.run();
