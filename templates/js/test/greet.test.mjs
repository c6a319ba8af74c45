// Run with `npm test` (builds first). Loads the manifest as an app would and calls the function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime } from 'sfirt';

test('greet answers, and a fuel cap stops a call with FUEL_EXHAUSTED', async () => {
  const rt = createRuntime();
  try {
    const { functions } = await rt.loadManifest(new URL('../sfirt.json', import.meta.url).pathname);
    assert.equal(await functions['{{name}}'].call('greet', 'world'), 'Hello, world!');
    const capped = await rt.load('capped', new URL('../{{name}}.wasm', import.meta.url), { limits: { fuel: 10 } });
    await assert.rejects(capped.call('greet', 'world'), (err) => err.code === 'FUEL_EXHAUSTED');
  } finally {
    rt.close();
  }
});
