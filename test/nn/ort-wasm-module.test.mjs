// onnxruntime-web's engine module: each thread compiles bytes of its own, so that V8 does not put
// every worker's engine on one native module (whose shared tier-up budget made V8 re-compile the
// engine's 886 KB initialisation with TurboFan, seconds of CPU, as soon as two workers started).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, threadId } from 'node:worker_threads';
import { createRuntime } from '../../dist/index.js';
import { createWorkerRuntime } from '../../dist/workers/worker-runtime.js';
import { compileOrtWasmModule, THREAD_SECTION } from '../../dist/nn/ort-wasm-module.js';
import { loadDigitsTest } from '../../models/digits-test.mjs';
import { guest, root, skippedAtRunTime, tempCache } from '../helpers.mjs';

const nn = { models: { digits: join(root, 'models/digits.onnx') } };
const sectionText = (module) => WebAssembly.Module.customSections(module, THREAD_SECTION).map((b) => Buffer.from(b).toString());

test('the module compiled in a thread names that thread, so two threads never compile the same bytes', async () => {
  assert.equal(sectionText(await compileOrtWasmModule()), [String(threadId)]);
  assert.is(await compileOrtWasmModule(), await compileOrtWasmModule(), 'compiled once per thread');
  const url = new URL('../../dist/nn/ort-wasm-module.js', import.meta.url).href;
  const worker = new Worker(`
    const { parentPort, threadId } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then(async (m) => {
      const module = await m.compileOrtWasmModule();
      parentPort.postMessage({ threadId, texts: WebAssembly.Module.customSections(module, m.THREAD_SECTION).map((b) => Buffer.from(b).toString()) });
    });`, { eval: true });
  const got = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await worker.terminate();
  assert.equal(got.texts, [String(got.threadId)]);
  assert.is.not(got.threadId, threadId);
});

test('two workers classify exactly like an in-thread runtime', async () => {
  const { images } = loadDigitsTest();
  const wr = createWorkerRuntime({ workers: 2, runtime: { cacheDir: tempCache(), nn } });
  try {
    const fn = await wr.load('classifier', guest('classifier'));
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
    await wr.close();
  }
});

test('starting two workers does not make V8 re-compile the engine\'s initialisation with TurboFan', () => {
  // V8's own trace of each compiled function (tier, time, body size), from a fresh process.
  const script = `
    const { createWorkerRuntime } = await import(${JSON.stringify(new URL('../../dist/workers/worker-runtime.js', import.meta.url).href)});
    const wr = createWorkerRuntime({ workers: 2, runtime: { nn: ${JSON.stringify(nn)} } });
    const fn = await wr.load('classifier', ${JSON.stringify(guest('classifier'))});
    const image = new Uint8Array(784);
    for (let i = 0; i < 400; i++) await Promise.all([fn.call('classify', image), fn.call('classify', image)]);
    // A tier-up, if triggered, compiles in the background (seconds): wait until the process is idle.
    const { settle } = await import(${JSON.stringify(new URL('../../bench/lib/settle.mjs', import.meta.url).href)});
    await settle({ maxMs: 20_000 });
    await wr.close();`;
  // (A file, not `-e`: workers inherit the process's flags, and `--input-type` is refused there.)
  const file = join(mkdtempSync(join(tmpdir(), 'sfirt-tierup-')), 'start-two-workers.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--trace-wasm-compilation-times', file], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  assert.is(r.status, 0, r.stderr);
  const compiled = [...r.stdout.matchAll(/using (Liftoff|TurboFan), took (\d+) ms.*?bodysize (\d+)/g)].map(([, tier, ms, size]) => ({ tier, ms: +ms, size: +size }));
  const init = compiled.filter((c) => c.size > 500_000);
  if (!init.some((c) => c.tier === 'Liftoff')) {
    skippedAtRunTime('TurboFan re-compilation check', 'this Node prints no wasm compilation trace, or the engine has no function over 500 KB');
    return;
  }
  assert.equal(init.filter((c) => c.tier === 'TurboFan'), [], 'the 886 KB initialisation stays in Liftoff');
});

test.run();
