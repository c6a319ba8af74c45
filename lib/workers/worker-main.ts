// Entry of a runtime worker thread: its own Runtime, loading what the main thread loads, running
// batches of calls and answering in batches (one postMessage per turn of its event loop).
import { parentPort, workerData } from 'node:worker_threads';
import { createRuntime } from '../runtime.js';
import { wasiHttpImports } from '../http/imports.js';
import { runIncomingHandler } from '../http/incoming.js';
import type { SfiFunction } from '../invoke/function.js';
import { toWire, UnknownFunctionError } from '../errors.js';
import { unplace } from './arg-arena.js';
import { pushFromWorker, readToWorker, type FromWorker, type ToWorker, type WorkerEvent, type WorkerInit } from './protocol.js';
import { answerInFlightOnCrash, scraped, servingStats, startServing, stopServing, type ServeSpec } from './worker-http.js';

const init = workerData as WorkerInit;
const runtime = createRuntime(init.runtime);
const port = parentPort!;
/** Answers of this turn, flattened (see protocol.ts): one postMessage per turn of the event loop. */
let outbox: unknown[] = [];
let scheduled = false;
/** Loads in progress: calls that arrive meanwhile (e.g. right after a restart) wait for them. */
const loading = new Map<string, Promise<unknown>>();

function flush(): void {
  const batch = outbox;
  outbox = [];
  if (batch.length) port.postMessage(batch);
}

function reply(m: FromWorker, valueOnly = false): void {
  pushFromWorker(outbox, m, valueOnly);
  if (!scheduled) {
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flush();
    });
  }
}

/** Posts an event (not part of a batch: the main thread tells them apart by shape). */
const post = (e: WorkerEvent): void => port.postMessage(e);

/** Answers a control message (see `ControlAction`). */
async function control(m: ToWorker & { op: 'control' }): Promise<unknown> {
  switch (m.action) {
    case 'serve':
      // A replacement worker is told to serve right after its reloads: wait for them.
      await Promise.all([...loading.values()].map((p) => p.catch(() => {})));
      return startServing(runtime, m.payload as ServeSpec, post);
    case 'serve-close': return stopServing();
    case 'serve-stats': return servingStats();
    case 'metrics-text': scraped(m.payload as { ticket: number; text: string }); return undefined;
    case 'crash':
      setImmediate(() => { throw new Error('crash requested (WorkerRuntime.killWorker)'); });
      return undefined;
  }
}

// A crash (an exception nothing caught) answers the HTTP requests in flight, hands over the calls
// already answered, then ends the thread; the main thread fails the rest and starts a replacement.
let crashing = false;
process.on('uncaughtException', (err) => {
  if (crashing) return;
  crashing = true;
  try { post({ event: 'crash', message: err instanceof Error ? err.message : String(err) }); } catch { /* exiting anyway */ }
  flush();
  void answerInFlightOnCrash().finally(() => process.exit(1));
});

async function handle(m: ToWorker): Promise<void> {
  try {
    if (m.op === 'control') {
      reply({ id: m.id, ok: true, value: await control(m) });
      return;
    }
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
    if (!fn) throw new UnknownFunctionError(m.name);
    const deadlineAt = m.deadlineIn === undefined ? undefined : performance.now() + m.deadlineIn;
    if (m.op === 'invoke') {
      const r = await fn.invoke(m.exportName, m.args, { deadlineAt, handles: false });
      // Every extra field is cloned on both threads (empty Uint8Arrays included): send what is asked.
      if (m.valueOnly) reply({ id: m.id, ok: true, value: r.value, coldStart: r.stats.coldStart }, true);
      else {
        const answer: FromWorker = { id: m.id, ok: true, value: r.value, stdout: r.stdout, stderr: r.stderr, truncated: r.truncated, stats: r.stats };
        // The wasi:nn failure the guest was handed crosses as an error of its own class (codec in lib/errors.ts).
        if (r.nnError) answer.nnError = toWire(r.nnError);
        reply(answer);
      }
    } else {
      const { response, invocation } = await runIncomingHandler(fn, m.request, deadlineAt);
      reply({ id: m.id, ok: true, response, stats: invocation.stats });
    }
  } catch (err) {
    reply({ id: m.id, ok: false, error: toWire(err) });
  }
}

// A post's answers leave as soon as all its calls are done, not at the end of the turn: when the
// main thread has split its calls over two posts, it refills the first group while this thread
// runs the second (answers of calls that are still waiting, e.g. on I/O, go with a later flush).
port.on('message', (batch: unknown[]) => {
  let running = 0;
  readToWorker(batch, (m) => {
    if (m.op === 'invoke' && m.placement) unplace(init.argArena, m.args, m.placement);
    running++;
    void handle(m).then(() => { if (--running === 0) flush(); });
  });
});
