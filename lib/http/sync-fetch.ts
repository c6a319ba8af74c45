// Blocking HTTP for guests that cannot suspend (Node 20 and 22 have no JSPI; a component on jco's
// glue): a guest's import call must return a finished response. The request runs on a worker thread
// (undici); the calling thread sleeps in `Atomics.wait` until the worker bumps a shared counter. Costs
// a cross-thread wake-up per request (tens of µs here), and it blocks the thread's event loop.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { FetchOutcome, FetchRequest as PreparedRequest } from './fetch.js';

/** A request as sent to the fetch worker. */
export interface FetchRequest extends PreparedRequest {
  id: number;
}

/** The worker's answer: a response with its whole body, or a `wasi:http` error-code. */
export type FetchReply = FetchOutcome & { id: number };

/** Extra wait past the request's own timeout before the caller gives up on the worker. */
const GRACE_MS = 250;
/** How long a caller waits for the fetch worker to boot (spawn + loading undici). */
const BOOT_TIMEOUT_MS = 10_000;

class FetchWorker {
  readonly counter = new Int32Array(new SharedArrayBuffer(4));
  readonly port: MessagePort;
  readonly worker: Worker;
  #nextId = 1;
  #ready = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./fetch-worker.js', import.meta.url), {
      workerData: { signal: this.counter.buffer, port: port2 },
      transferList: [port2],
    });
    // Neither keeps the process alive: the worker only ever works while a caller is blocked.
    this.worker.unref();
    this.port.unref();
  }

  fetch(request: Omit<FetchRequest, 'id'>): FetchReply {
    if (!this.#ready) {
      // The worker bumps the counter once when it is ready; boot time is not the request's.
      Atomics.wait(this.counter, 0, 0, BOOT_TIMEOUT_MS);
      if (Atomics.load(this.counter, 0) === 0) return { id: 0, err: { tag: 'internal-error', val: 'fetch worker did not start' } };
      this.#ready = true;
    }
    const id = this.#nextId++;
    let seen = Atomics.load(this.counter, 0);
    this.port.postMessage({ ...request, id } satisfies FetchRequest);
    const giveUpAt = performance.now() + request.timeoutMs + GRACE_MS;
    for (;;) {
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
        const reply = m.message as FetchReply;
        if (reply.id === id) return reply; // replies to abandoned requests are dropped
      }
      const left = giveUpAt - performance.now();
      if (left <= 0) {
        this.port.postMessage({ abort: id });
        return { id, err: { tag: 'HTTP-response-timeout' } };
      }
      Atomics.wait(this.counter, 0, seen, left);
      seen = Atomics.load(this.counter, 0);
    }
  }
}

let shared: FetchWorker | undefined;

/** Starts this thread's fetch worker ahead of the first request (it takes ~20–50 ms to boot). */
export function prepareSyncFetch(): void {
  shared ??= new FetchWorker();
}

/** Runs an HTTP request to completion, blocking the calling thread. Never throws for HTTP failures. */
export function syncFetch(request: Omit<FetchRequest, 'id'>): FetchReply {
  shared ??= new FetchWorker();
  return shared.fetch(request);
}
