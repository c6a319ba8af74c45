// Entry of a runtime worker thread: its own Runtime, loading what the main thread loads, running
// batches of calls and answering in batches (one postMessage per turn of its event loop).
import { parentPort, workerData } from 'node:worker_threads';
import { createRuntime } from '../runtime.js';
import { wasiHttpImports } from '../http/imports.js';
import { runIncomingHandler } from '../http/incoming.js';
import type { SfiFunction } from '../invoke/function.js';
import { toWire } from './errors.js';
import { useSharedModules } from './shared-modules.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const init = workerData as WorkerInit;
useSharedModules(init.sharedModules);
const runtime = createRuntime(init.runtime);
const port = parentPort!;
let outbox: FromWorker[] = [];
let scheduled = false;
/** When the oldest answer in the outbox was queued. */
let oldestQueuedAt = 0;
/**
 * Answers wait at most this long for the end of the batch being run: the caller gets them while
 * this worker goes on with the rest, and can send more work before the queue here runs dry.
 */
const MAX_REPLY_DELAY_MS = 0.2;
/** Loads in progress: calls that arrive meanwhile (e.g. right after a restart) wait for them. */
const loading = new Map<string, Promise<unknown>>();

function flush(): void {
  const batch = outbox;
  outbox = [];
  if (batch.length) port.postMessage(batch);
}

function reply(m: FromWorker): void {
  const now = performance.now();
  if (outbox.length === 0) oldestQueuedAt = now;
  outbox.push(m);
  if (now - oldestQueuedAt > MAX_REPLY_DELAY_MS) flush();
  if (!scheduled) {
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flush();
    });
  }
}

async function handle(m: ToWorker): Promise<void> {
  try {
    if (m.op === 'load') {
      const { http, ...options } = m.options;
      const imports = http ? wasiHttpImports(http) : undefined;
      const pending = runtime.load(m.name, m.source, { ...options, ...(imports ? { imports } : {}) });
      loading.set(m.name, pending);
      const fn = await pending.finally(() => { if (loading.get(m.name) === pending) loading.delete(m.name); });
      reply({ id: m.id, ok: true, wit: fn.wit, exports: fn.exportNames() });
      return;
    }
    const inProgress = loading.get(m.name);
    if (inProgress) await inProgress.catch(() => {});
    const fn = runtime.get(m.name) as SfiFunction | undefined;
    if (!fn) throw new Error(`function ${m.name} is not loaded in this worker`);
    const deadlineAt = m.deadlineIn === undefined ? undefined : performance.now() + m.deadlineIn;
    if (m.op === 'invoke') {
      const r = await fn.invoke(m.exportName, m.args, deadlineAt === undefined ? {} : { deadlineAt });
      // Every extra field is cloned on both threads (empty Uint8Arrays included): send what is asked.
      if (m.valueOnly) reply({ id: m.id, ok: true, value: r.value, coldStart: r.stats.coldStart });
      else reply({ id: m.id, ok: true, value: r.value, stdout: r.stdout, stderr: r.stderr, truncated: r.truncated, stats: r.stats });
    } else {
      const { response, invocation } = await runIncomingHandler(fn, m.request, deadlineAt);
      reply({ id: m.id, ok: true, response, stats: invocation.stats });
    }
  } catch (err) {
    reply({ id: m.id, ok: false, error: toWire(err) });
  }
}

port.on('message', (batch: ToWorker[]) => {
  for (const m of batch) void handle(m);
});
