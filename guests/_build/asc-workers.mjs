// Compiles several AssemblyScript guests in parallel worker threads: asc is single-threaded and
// spends ~0.3 s parsing its standard library per guest, so two cores halve a from-scratch build.
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { compileAssemblyScript } from './assemblyscript.mjs';

/** At most this many compiler threads (CI machines have 2 cores). */
const MAX_WORKERS = 2;
/**
 * Each thread pays ~3.5 s of CPU to load and warm up asc before compiling at ~0.5 s per guest, so
 * a second thread only pays off for a batch of at least this many guests.
 */
const MIN_ENTRIES_FOR_WORKERS = 4;

/**
 * Compiles every entry file, returning Map<entry, { core?: Uint8Array, ms: number, error?: Error }>
 * where `ms` is the compile time of that entry alone.
 * Uses the calling thread alone for small batches or on one core.
 */
export async function compileAllAssemblyScript(entries) {
  const results = new Map();
  const count = entries.length < MIN_ENTRIES_FOR_WORKERS ? 1 : Math.min(MAX_WORKERS, availableParallelism());
  const queue = [...entries];
  const settle = async (entry, compile) => {
    const start = performance.now();
    try {
      const core = await compile(entry);
      results.set(entry, { core, ms: performance.now() - start });
    } catch (error) {
      results.set(entry, { error, ms: performance.now() - start });
    }
  };
  if (count <= 1) {
    for (const entry of queue) await settle(entry, compileAssemblyScript);
    return results;
  }
  await Promise.all(Array.from({ length: count }, async () => {
    let worker = null;
    try {
      while (queue.length) {
        worker ??= new Worker(new URL(import.meta.url));
        const current = worker;
        await settle(queue.shift(), (entry) => compileInWorker(current, entry).catch((err) => {
          if (err.workerDied) worker = null; // a crashed worker is replaced for the next entry
          throw err;
        }));
      }
    } finally {
      await worker?.terminate();
    }
  }));
  return results;
}

function compileInWorker(worker, entry) {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onDeath);
      worker.off('exit', onDeath);
    };
    const onMessage = (msg) => {
      cleanup();
      if (msg.error) reject(new Error(msg.error));
      else resolve(msg.core);
    };
    const onDeath = (errOrCode) => {
      cleanup();
      const err = errOrCode instanceof Error ? errOrCode : new Error(`compiler worker exited with code ${errOrCode}`);
      reject(Object.assign(err, { workerDied: true }));
    };
    worker.on('message', onMessage);
    worker.on('error', onDeath);
    worker.on('exit', onDeath);
    worker.postMessage(entry);
  });
}

if (!isMainThread) {
  parentPort.on('message', async (entry) => {
    try {
      const core = await compileAssemblyScript(entry);
      const copy = Uint8Array.from(core); // a fresh buffer, safe to transfer
      parentPort.postMessage({ core: copy }, [copy.buffer]);
    } catch (err) {
      parentPort.postMessage({ error: err.message });
    }
  });
}
