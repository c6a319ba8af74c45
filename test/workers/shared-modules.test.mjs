// Workers take onnxruntime-web's compiled module from their parent instead of compiling their own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { createWorkerRuntime } from '../../dist/workers/worker-runtime.js';
import { loadDigitsTest } from '../../models/digits-test.mjs';
import { guest, root, tempCache } from '../helpers.mjs';

const nn = { models: { digits: join(root, 'models/digits.onnx') } };
const { images } = loadDigitsTest();

test('the parent compiles the engine once; both workers classify with it like an in-thread runtime', async () => {
  // Count compiles of large modules in this thread: a worker compiling its own copy would not show up.
  const compile = WebAssembly.compile;
  let engineCompiles = 0;
  WebAssembly.compile = (bytes, ...rest) => {
    if (bytes.byteLength > 1_000_000) engineCompiles++;
    return compile.call(WebAssembly, bytes, ...rest);
  };
  const wr = createWorkerRuntime({ workers: 2, runtime: { cacheDir: tempCache(), nn } });
  try {
    const fn = await wr.load('classifier', guest('classifier'));
    assert.is(engineCompiles, 1, 'one compile in the parent, none per worker');
    // Enough calls in flight at once that both workers serve some (affinity gives way under load).
    const sample = images.slice(0, 64);
    const used = new Set();
    const inWorkers = await Promise.all(sample.map(async (img) => {
      const r = fn.call('classify', img);
      wr.inflight().forEach((n, i) => { if (n > 0) used.add(i); });
      return r;
    }));
    assert.is(used.size, 2, 'both workers had calls');
    const local = createRuntime({ cacheDir: tempCache(), nn });
    const inThread = await local.load('classifier', guest('classifier'));
    for (let i = 0; i < sample.length; i++) assert.equal(inWorkers[i], await inThread.call('classify', sample[i]), `digit ${i}`);
    local.close();
  } finally {
    WebAssembly.compile = compile;
    await wr.close();
  }
});

test.run();
