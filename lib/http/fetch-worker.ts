// Worker side of `syncFetch`: runs each request with undici (lib/http/fetch.ts) and wakes the
// blocked caller through a shared counter. One worker per calling thread; requests arrive one at a
// time per caller, but a late reply to a request the caller gave up on may still arrive, so
// replies carry their id.
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { fetchOnce, preloadUndici } from './fetch.js';
import type { FetchReply, FetchRequest } from './sync-fetch.js';

const { signal, port } = workerData as { signal: SharedArrayBuffer; port: MessagePort };
const counter = new Int32Array(signal);
const inflight = new Map<number, AbortController>();

function reply(message: FetchReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}

async function run(m: FetchRequest): Promise<void> {
  const controller = new AbortController();
  inflight.set(m.id, controller);
  try {
    const outcome = await fetchOnce(m, controller.signal);
    if (outcome.ok) reply({ id: m.id, ok: outcome.ok }, [outcome.ok.body.buffer as ArrayBuffer]);
    else reply({ id: m.id, err: outcome.err });
  } finally {
    inflight.delete(m.id);
  }
}

port.on('message', (m: FetchRequest | { abort: number }) => {
  if ('abort' in m) inflight.get(m.abort)?.abort();
  else void run(m);
});
// undici is loaded before the worker reports ready, as when it was imported with fetch.js.
await preloadUndici();
// Ready: the first bump of the counter (the caller waits for it before timing its first request).
Atomics.add(counter, 0, 1);
Atomics.notify(counter, 0);
