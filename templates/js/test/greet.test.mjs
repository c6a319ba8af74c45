// Run with `npm test` (builds first). Loads the manifest as an app would and calls the function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime } from 'sfirt';

test('greet answers, and a fuel cap stops a call with FUEL_EXHAUSTED', async () => {
  const rt = createRuntime();
  try {
    const { functions } = await rt.loadManifest(new URL('../sfirt.json', import.meta.url).pathname);
    assert.equal(await functions['{{name}}'].call('greet', 'world'), 'Hello, world!');
    // Instantiation (the guest's start function) runs under the same limits as a call, so with this
    // little fuel `load()` itself may already stop with FUEL_EXHAUSTED (it prewarms an instance).
    const capped = rt.load('capped', new URL('../{{name}}.wasm', import.meta.url), { limits: { fuel: 10 } })
      .then((fn) => fn.call('greet', 'world'));
    await assert.rejects(capped, (err) => err.code === 'FUEL_EXHAUSTED');
  } finally {
    rt.close();
  }
});
