// runtime.loadManifest(): the manifest's options reach load() and serve() as the API's would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createRuntime } from '../../dist/index.js';
import { guest, rejection, root, tempCache } from '../helpers.mjs';

const dir = mkdtempSync(join(tmpdir(), 'sfirt-manifest-load-'));
mkdirSync(join(dir, 'data'));
writeFileSync(join(dir, 'data', 'note.txt'), 'granted');
const manifestPath = join(dir, 'sfirt.json');
writeFileSync(manifestPath, JSON.stringify({
  functions: {
    hello: { source: guest('hello'), pool: { mode: 'reuse', max: 2 } },
    capped: { source: guest('compute'), limits: { fuel: 1000 } },
    probe: { source: guest('wasi-probe'), wasi: { env: { GRANTED: 'yes' }, preopens: { '/data': 'data' } } },
  },
  routes: [{ method: 'POST', path: '/greet', function: 'hello', export: 'greet' }],
  server: { port: 0 },
}));

const rt = createRuntime({ cacheDir: tempCache() });
const loaded = await rt.loadManifest(manifestPath);

test('every function is loaded under its name, with its limits and WASI grants', async () => {
  assert.equal(Object.keys(loaded.functions).sort(), ['capped', 'hello', 'probe']);
  assert.is(rt.get('hello'), loaded.functions.hello);
  assert.is(await loaded.functions.hello.call('greet', 'manifest'), 'Hello, manifest!');
  assert.is((await rejection(loaded.functions.capped.call('fib-rec', 25))).code, 'FUEL_EXHAUSTED');
  assert.equal(await loaded.functions.probe.call('env'), [['GRANTED', 'yes']]);
  // The preopen's host path was relative to the manifest.
  assert.equal(await loaded.functions.probe.call('read-file', '/data/note.txt'), { tag: 'ok', val: 'granted' });
});

test('serve() answers the manifest routes', async () => {
  const server = await loaded.serve();
  try {
    const r = await request(`${server.url}/greet`, { method: 'POST', body: 'http' });
    assert.is(r.statusCode, 200);
    assert.is(await r.body.text(), 'Hello, http!');
  } finally {
    await server.close();
  }
});

test('nn models in the manifest configure the runtime before its wasi:nn host starts', async () => {
  const nnDir = mkdtempSync(join(tmpdir(), 'sfirt-manifest-nn-'));
  const file = join(nnDir, 'sfirt.json');
  writeFileSync(file, JSON.stringify({
    functions: { classifier: { source: guest('classifier'), limits: { memoryBytes: 16 << 20 } } },
    nn: { models: { digits: join(root, 'models', 'digits.onnx') } },
  }));
  const nnRt = createRuntime({ cacheDir: tempCache() });
  try {
    const { functions } = await nnRt.loadManifest(file);
    const r = await functions.classifier.call('classify', new Uint8Array(784));
    assert.is(r.tag, 'ok');
    // The host has started now: new models cannot be added to it.
    const err = await rejection(nnRt.loadManifest(file));
    assert.is(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, /createRuntime\(\{ nn \}\)/);
  } finally {
    nnRt.close();
  }
});

test('an invalid manifest loads nothing', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ functions: { x: { source: guest('hello'), pool: { max: 0 } } } }));
  const other = createRuntime({ cacheDir: tempCache() });
  const err = await rejection(other.loadManifest(bad));
  assert.is(err.code, 'INVALID_MANIFEST');
  assert.is(err.field, 'functions.x.pool.max');
  assert.is(other.get('x'), undefined);
  other.close();
});

test.after(() => rt.close());
test.run();
