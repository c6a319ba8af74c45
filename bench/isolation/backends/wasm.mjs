// Our runtime: the classifier guest (AssemblyScript component) → wasi:nn → onnxruntime, isolated by
// software fault isolation inside the benchmark process.
//   wasm               pool miss: a fresh guest instance per start; the shared engine already holds the model
//   wasm_native_nn     the same with the native (onnxruntime-node) wasi:nn backend
//   wasm_from_nothing  a new Node process that compiles the engine, loads the model and the guest
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLineChild } from '../line-child.mjs';
import { CLEAN_ENV } from './child-env.mjs';
import { MODEL_PATH, NODE_BINARY, REPO_ROOT } from '../paths.mjs';

const GUEST = join(REPO_ROOT, 'guests', 'dist', 'classifier.wasm');
const CHILD = join(REPO_ROOT, 'bench', 'isolation', 'fn', 'classify-wasm.mjs');
// The runtime's default 10 s deadline stays: the first call of a process loads the model into the engine.
const LIMITS = { memoryBytes: 16 << 20 };

async function unavailable() {
  if (!existsSync(GUEST)) return `guest missing: ${GUEST} (run npm run build)`;
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) return 'library not built (run npm run build)';
  return existsSync(MODEL_PATH) ? null : `model missing: ${MODEL_PATH}`;
}

/** One runtime and function per wasi:nn backend, created on first use and kept for the whole run. */
const shared = new Map();
async function sharedFunction(nnBackend) {
  if (!shared.has(nnBackend)) {
    shared.set(nnBackend, (async () => {
      const { createRuntime } = await import('../../../dist/index.js');
      const rt = createRuntime({ nn: { models: { digits: MODEL_PATH } } });
      const fn = await rt.load(`classifier-${nnBackend}`, GUEST, { nnBackend, limits: LIMITS, pool: { mode: 'reuse', min: 0, max: 16 } });
      // Load the model into the engine once: a pool miss must not pay for it.
      const r = await fn.call('classify', new Uint8Array(784));
      if (r.tag !== 'ok') throw new Error(`warm-up failed: ${JSON.stringify(r.val)}`);
      return fn;
    })());
  }
  return shared.get(nnBackend);
}

function inProcess(name, nnBackend, describe) {
  return {
    name,
    describe,
    inProcess: true,
    warmStarts: 2000,
    note: `${name} cold start = pool miss (new guest instance + first classify) with the engine already holding the model; memory = the guest instance's linear memory (the shared engine's ~5 MiB and the compiled 14 MB engine module are not per instance)`,
    available: unavailable,
    async start() {
      const fn = await sharedFunction(nnBackend);
      fn.pool.drain(); // the first request of this handle instantiates: a pool miss
      let lastMemory = 0;
      return {
        async request(line) {
          const space = line.indexOf(' ');
          const id = line.slice(0, space);
          const pixels = Buffer.from(line.slice(space + 1), 'base64'); // a Uint8Array: no second copy
          const inv = await fn.invoke('classify', [pixels]);
          lastMemory = inv.stats.memoryBytes;
          const r = inv.value;
          if (r.tag !== 'ok') return `${id} error ${r.val.code}: ${r.val.message}`;
          return `${id} ${r.val.label} ${Math.max(...r.val.probabilities).toFixed(4)}`;
        },
        async stop() { fn.pool.drain(); },
        pids: () => [],
        memory: () => ({ rssBytes: lastMemory, pssBytes: lastMemory }),
      };
    },
  };
}

/** @type {import('../backend.mjs').Backend} */
export const wasmBackend = inProcess('wasm', 'wasm', 'our runtime: classifier component (SFI, fuel+memory+deadline limits) → wasi:nn → onnxruntime-web as its own capped wasm instance');
/** @type {import('../backend.mjs').Backend} */
export const wasmNativeNnBackend = inProcess('wasm_native_nn', 'native', 'our runtime, wasi:nn backed by onnxruntime-node (native inference, SFI guest)');

/** @type {import('../backend.mjs').Backend} */
export const wasmFromNothingBackend = {
  name: 'wasm_from_nothing',
  describe: 'our runtime in a new node process: engine compile + model load + guest instantiate (transpile cache warm)',
  note: 'wasm_from_nothing = new process that has compiled nothing (the on-disk precompile cache is warm, as after npm install + first load)',
  available: unavailable,
  async start() {
    return spawnLineChild(NODE_BINARY, [CHILD, 'wasm'], { env: { ...CLEAN_ENV, HOME: process.env.HOME ?? '/root' } });
  },
};
