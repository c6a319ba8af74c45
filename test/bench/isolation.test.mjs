// One round trip per isolation backend: start, classify one held-out digit, compare with the
// in-process (native) answer, stop, and check nothing the backend started is left running.
// Backends that cannot run here are registered as skipped (uvu's skip) with their reason printed;
// a VM whose software-emulated boot is too slow reports a run-time skip. Needs the cache built by
// `node bench/isolation/setup.mjs` (the test rebuilds the cheap parts itself; the VM guest only
// when setup was run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { ALL_BACKENDS } from '../../bench/isolation/backends/index.mjs';
import { loadInputs, parseResponse } from '../../bench/isolation/inputs.mjs';
import { MODEL_PATH } from '../../bench/isolation/paths.mjs';
import { processTree } from '../../bench/isolation/process-tree.mjs';
import { setupIsolation } from '../../bench/isolation/setup.mjs';
import { skippedAtRunTime, testUnless } from '../helpers.mjs';

/** The VM is tried only when one boot + answer fits this budget; slower hosts skip it. */
const VM_BUDGET_MS = 30_000;
const INPUTS = 5;

const modelPresent = existsSync(MODEL_PATH);
let inputs;
let nativeLabels;

if (modelPresent) {
  // App tree and OCI bundle are cheap to (re)build; the VM guest is left to setup.mjs (downloads).
  await setupIsolation({ apt: false, vm: false, log: () => {} });
  inputs = await loadInputs(INPUTS);
}
/** Why each backend cannot run here (undefined: it can), known before any test is registered. */
const unavailable = new Map();
for (const b of ALL_BACKENDS.filter((b) => !b.optIn)) unavailable.set(b.name, modelPresent ? await b.available() : `model missing: ${MODEL_PATH}`);
const backendTest = (name) => testUnless(unavailable.get(name) || undefined);

/** Starts `backend`, classifies the first INPUTS digits, stops; returns labels and timing. */
async function roundTrip(backend, timeoutMs) {
  const t0 = performance.now();
  const handle = await backend.start();
  let timer;
  try {
    const labels = [];
    for (let i = 0; i < INPUTS; i++) {
      const request = handle.request(`r${i} ${inputs.payloads[i]}`);
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { slow: true })), timeoutMs);
      });
      const response = parseResponse(await Promise.race([request, timeout]));
      clearTimeout(timer);
      assert.is(response.id, `r${i}`);
      assert.ok(response.probability > 0 && response.probability <= 1, `probability ${response.probability}`);
      labels.push(response.label);
    }
    const roots = handle.pids();
    await handle.stop();
    return { labels, roots, ms: performance.now() - t0 };
  } catch (error) {
    clearTimeout(timer);
    await handle.stop();
    throw error;
  }
}

backendTest('native')('native classifies the held-out digits (the reference)', async () => {
  const native = ALL_BACKENDS.find((b) => b.name === 'native');
  const { labels } = await roundTrip(native, 20_000);
  nativeLabels = labels;
  // The model is 97.7% accurate; the first five held-out digits are all classified correctly.
  assert.equal(labels, inputs.labels);
});

// Opt-in variants (vm-serial: the same guest over the UART) are left to the benchmark.
for (const backend of ALL_BACKENDS.filter((b) => b.name !== 'native' && !b.optIn)) {
  backendTest(backend.name)(`${backend.name}: start, classify like native, stop without leftovers`, async () => {
    let result;
    try {
      result = await roundTrip(backend, backend.name === 'vm' ? VM_BUDGET_MS : 20_000);
    } catch (error) {
      if (backend.name === 'vm' && error.slow) return skippedAtRunTime('vm', `${error.message} (software-emulated boot too slow here)`);
      throw error;
    }
    assert.equal(result.labels, nativeLabels ?? inputs.labels);
    // In-process backends (our runtime's pool) spawn nothing and report their own memory instead.
    if (!backend.inProcess) assert.ok(result.roots.length > 0, 'a spawned backend reports its root pid');
    assert.equal(processTree(result.roots), [], 'every process it started has exited');
    console.log(`  ${backend.name}: ${INPUTS} answers in ${result.ms.toFixed(0)} ms including start`);
  });
}

testUnless(modelPresent ? undefined : `model missing: ${MODEL_PATH}`)('process: malformed request gets an error line, the instance keeps serving', async () => {
  const backend = ALL_BACKENDS.find((b) => b.name === 'process');
  const handle = await backend.start();
  try {
    assert.match(await handle.request('bad AAAA'), /^bad error expected 784 bytes, got 3$/);
    assert.throws(() => parseResponse('bad error expected 784 bytes'), /bad response/);
    const { label } = parseResponse(await handle.request(`ok ${inputs.payloads[0]}`));
    assert.is(label, inputs.labels[0]);
  } finally {
    await handle.stop();
  }
});

test.run();
