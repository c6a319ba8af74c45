// How much host memory a guest limited to 16 MiB can make the host take through wasi:nn, on each
// backend with the default engine settings: models that allocate as much as they are allowed to,
// outputs larger than the guest, hoards of tensors and models. Measured as the peak, over the
// attacks, of the resident memory of this process plus the native engine's processes, sampled
// every 2 ms by a worker thread (this thread is busy in the engine), against their sum before;
// this process's own peak is also taken from the kernel (VmHWM, reset before). Linux only
// (procfs); elsewhere the test is skipped visibly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { loadDigitsTest } from '../../models/digits-test.mjs';
import { loadTypeScript } from '../../models/build.mjs';
import { guest, root, tempCache, testUnless } from '../helpers.mjs';

// These attacks span calls (a graph loaded by one call, used by the next): one kept instance.
const REUSE = { mode: 'reuse' };

const MiB = 1024 * 1024;
const BAR = 256 * MiB;
const procfs = existsSync('/proc/self/clear_refs');

/** VmRSS and VmHWM of a process, in bytes. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** Pids of this process's children (the native engine's onnxruntime processes). */
function children() {
  const pids = [];
  for (const task of readdirSync('/proc/self/task')) {
    const list = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
    if (list) pids.push(...list.split(/\s+/).map(Number));
  }
  return pids;
}

/** Resets the peak of every process in `pids` and returns their current RSS by pid. */
function resetPeaks(pids) {
  const base = new Map();
  for (const pid of pids) {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    base.set(pid, memoryOf(pid).rss);
  }
  return base;
}

/**
 * Starts sampling Σ RSS of this process and its children every 2 ms on a worker thread; `stop()`
 * resolves to the largest sum seen.
 */
function sampleTotalRss() {
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(`
    const { workerData, parentPort } = require('node:worker_threads');
    const { readFileSync, readdirSync } = require('node:fs');
    const flag = new Int32Array(workerData.flag);
    const rss = (pid) => { try { return Number(/VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + pid + '/status', 'utf8'))[1]) * 1024; } catch { return 0; } };
    const kids = () => { const out = []; for (const t of readdirSync('/proc/' + workerData.pid + '/task')) { try { const l = readFileSync('/proc/' + workerData.pid + '/task/' + t + '/children', 'utf8').trim(); if (l) out.push(...l.split(/\\s+/)); } catch {} } return out; };
    let max = 0;
    while (Atomics.load(flag, 0) === 0) {
      let sum = rss(workerData.pid);
      for (const k of kids()) sum += rss(k);
      if (sum > max) max = sum;
      Atomics.wait(flag, 0, 0, 2);
    }
    parentPort.postMessage(max);`, { eval: true, workerData: { flag: stopFlag.buffer, pid: process.pid } });
  const result = new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  return { stop: () => { Atomics.store(stopFlag, 0, 1); Atomics.notify(stopFlag, 0); return result; } };
}

/** Σ RSS of this process and its children now. */
function totalRss() {
  return [process.pid, ...children()].reduce((sum, pid) => sum + (existsSync(`/proc/${pid}/status`) ? memoryOf(pid).rss : 0), 0);
}

if (!procfs) {
  const skip = testUnless('needs Linux procfs (/proc/self/clear_refs)');
  for (const backend of ['wasm', 'native']) skip(`${backend}: a guest limited to 16 MiB raises host memory by at most 256 MiB through wasi:nn`);
} else {
  const H = await loadTypeScript(join(root, 'models/hostile-models.ts'));
  const utf8 = (s) => new TextEncoder().encode(s);
  const i64 = (...xs) => new Uint8Array(BigInt64Array.from(xs.map(BigInt)).buffer);
  const { images } = loadDigitsTest();

  for (const backend of ['wasm', 'native']) {
    test(`${backend}: a guest limited to 16 MiB raises host memory by at most 256 MiB through wasi:nn`, async () => {
      const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { digits: join(root, 'models/digits.onnx'), expand: H.expandModel(2), 'constant-of-shape': H.constantOfShapeModel() } } });
      try {
        const limits = { memoryBytes: 16 * MiB };
        const hostile = await rt.load('hostile', guest('nn-hostile'), { limits, nnBackend: backend, pool: REUSE });
        const victim = await rt.load('victim', guest('classifier'), { nnBackend: backend });
        const expected = await victim.call('classify', images[3]);
        const open = async (name) => (await hostile.call('init-context', (await hostile.call('load-named', utf8(name))).val)).val;
        const expand = await open('expand');
        const cos = await open('constant-of-shape');
        globalThis.gc?.();
        const base = resetPeaks([process.pid]);
        const before = totalRss();
        const sampler = sampleTotalRss();
        const results = [];
        // As large as the engine admits (and past it), outputs past the guest's budget.
        for (const shape of [[7000, 7000], [8192, 8192], [4096, 4096], [2048, 2048], [1, 2 ** 31 - 1]]) {
          results.push(await hostile.call('compute', expand, utf8('shape'), Uint32Array.of(2), 6, i64(...shape)));
        }
        for (const shape of [[7000, 7000], [60_000, 60_000]]) results.push(await hostile.call('compute', cos, utf8('shape'), Uint32Array.of(2), 6, i64(...shape)));
        // Tensors up to the budget, then past it; models from bytes up to the quota.
        await hostile.call('hoard-tensors', 15, MiB).catch((e) => e);
        if (backend === 'wasm') {
          const fat = H.expandModel(2); // small models; the engine keeps parsed copies
          for (let i = 0; i < 6; i++) results.push(await hostile.call('load-model', fat));
        }
        const sampled = (await sampler.stop()) - before;
        const ownPeak = memoryOf(process.pid).hwm - base.get(process.pid);
        const raise = Math.max(sampled, ownPeak);
        console.log(`  ${backend}: peak host memory raise ${(raise / MiB).toFixed(1)} MiB (sampled Σ processes ${(sampled / MiB).toFixed(1)}, this process's VmHWM ${(ownPeak / MiB).toFixed(1)}; bar ${BAR / MiB} MiB); codes: ${results.map((r) => (r.tag === 'ok' ? 'ok' : r.val.code)).join(', ')}`);
        for (const r of results.slice(0, 7)) if (r.tag === 'err') assert.ok(['runtime-error', 'too-large', 'invalid-argument'].includes(r.val.code), r.val.code);
        assert.ok(raise <= BAR, `host memory grew by ${(raise / MiB).toFixed(1)} MiB`);
        assert.equal(await victim.call('classify', images[3]), expected);
      } finally {
        rt.close();
      }
    });
  }
}

test.run();
