import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRuntime, SfiError } from '../../dist/index.js';
import { guest, rejection, root, tempCache } from '../helpers.mjs';

test('loads a component by path, URL and bytes, and calls it', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  const byPath = await rt.load('a', guest('hello'));
  assert.is(await byPath.call('greet', 'world'), 'Hello, world!');
  const byUrl = await rt.load('b', pathToFileURL(guest('hello')));
  assert.is(await byUrl.call('greet', 'URL'), 'Hello, URL!');
  const byBytes = await rt.load('c', readFileSync(guest('hello')));
  assert.is(await byBytes.call('greet', 'ünï'), 'Hello, ünï!');
  rt.close();
});

test('the first load transpiles; a second process reuses the on-disk artifact', async () => {
  const cacheDir = tempCache();
  const script = `
    import { createRuntime } from ${JSON.stringify(pathToFileURL(join(root, 'dist/index.js')).href)};
    const rt = createRuntime({ cacheDir: ${JSON.stringify(cacheDir)} });
    const fn = await rt.load('hello', ${JSON.stringify(guest('hello'))});
    const value = await fn.call('greet', 'cache');
    console.log(JSON.stringify({ value, ...fn.loadTimings }));`;
  const run = () => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
  const first = run();
  const second = run();
  console.log(`  first load ${first.totalMs.toFixed(1)} ms (transpile ${first.transpileMs.toFixed(1)} ms), second process ${second.totalMs.toFixed(1)} ms`);
  assert.is(first.cacheHit, false);
  assert.ok(first.transpileMs > 0);
  assert.is(second.cacheHit, true);
  assert.is(second.transpileMs, 0);
  assert.is(second.value, 'Hello, cache!');
});

const notComponents = {
  empty: new Uint8Array(),
  truncated: readFileSync(guest('hello')).subarray(0, 6),
  random: Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
  'core module': new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
};
for (const [kind, bytes] of Object.entries(notComponents)) {
  test(`NOT_A_COMPONENT for ${kind} bytes`, async () => {
    const rt = createRuntime({ cacheDir: tempCache() });
    const err = await rejection(rt.load('bad', bytes));
    assert.instance(err, SfiError);
    assert.is(err.code, 'NOT_A_COMPONENT');
    // The runtime keeps serving.
    assert.is(await (await rt.load('ok', guest('hello'))).call('greet', 'x'), 'Hello, x!');
  });
}

test('INVALID_COMPONENT for a component header followed by garbage, or a cut-off component', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  const hello = readFileSync(guest('hello'));
  for (const bytes of [
    new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0xff, 0x13, 0x37]),
    hello.subarray(0, Math.floor(hello.length / 2)),
  ]) {
    const err = await rejection(rt.load('bad', bytes));
    assert.is(err.code, 'INVALID_COMPONENT', err.message);
  }
});

test('MISSING_IMPORT names the interface the runtime does not provide', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  const err = await rejection(rt.load('kv', guest('kv')));
  assert.is(err.code, 'MISSING_IMPORT');
  assert.match(err.message, 'sfirt:kv/');
  assert.match(err.importName, /^sfirt:kv\/(store|log)/);
});

test('unreadable path is INVALID_ARGUMENT; a file of garbage is NOT_A_COMPONENT', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  assert.is((await rejection(rt.load('x', '/nonexistent/x.wasm'))).code, 'INVALID_ARGUMENT');
  const junk = join(tempCache(), 'junk.wasm');
  writeFileSync(junk, 'not wasm at all');
  assert.is((await rejection(rt.load('x', junk))).code, 'NOT_A_COMPONENT');
});

test.run();
