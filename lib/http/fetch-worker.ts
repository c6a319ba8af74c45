// Worker side of `syncFetch`: runs each request with undici and wakes the blocked caller through
// a shared counter. One worker per calling thread; requests arrive one at a time per caller, but
// a late reply to a request the caller gave up on may still arrive, so replies carry their id.
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { request } from 'undici';
import type { FetchReply, FetchRequest } from './sync-fetch.js';

const { signal, port } = workerData as { signal: SharedArrayBuffer; port: MessagePort };
const counter = new Int32Array(signal);
const inflight = new Map<number, AbortController>();

function reply(message: FetchReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}

class BodyTooLarge extends Error {
  constructor(readonly size: number) { super('response body too large'); }
}

async function run(m: FetchRequest): Promise<void> {
  const controller = new AbortController();
  inflight.set(m.id, controller);
  const timer = setTimeout(() => controller.abort(new Error('timeout')), m.timeoutMs);
  let timedOut = false;
  controller.signal.addEventListener('abort', () => { timedOut = controller.signal.reason?.message === 'timeout'; });
  try {
    const res = await request(m.url, {
      method: m.method as 'GET',
      headers: m.headers,
      body: m.body.byteLength ? Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength) : undefined,
      signal: controller.signal,
      headersTimeout: m.timeoutMs,
      bodyTimeout: m.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > m.maxResponseBytes) {
        res.body.destroy();
        throw new BodyTooLarge(size);
      }
      chunks.push(chunk);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) { body.set(c, at); at += c.byteLength; }
    const headers: [string, string][] = [];
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) headers.push([name, String(v)]);
    }
    reply({ id: m.id, ok: { status: res.statusCode, headers, body } }, [body.buffer]);
  } catch (err) {
    reply({ id: m.id, err: errorCode(err, timedOut) });
  } finally {
    clearTimeout(timer);
    inflight.delete(m.id);
  }
}

/** undici/Node errors → `wasi:http/types.error-code`. */
function errorCode(err: unknown, timedOut: boolean): { tag: string; val?: unknown } {
  if (err instanceof BodyTooLarge) return { tag: 'HTTP-response-body-size', val: BigInt(err.size) };
  if (timedOut) return { tag: 'HTTP-response-timeout' };
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  switch (code) {
    case 'ECONNREFUSED': return { tag: 'connection-refused' };
    case 'ECONNRESET': case 'UND_ERR_SOCKET': return { tag: 'connection-terminated' };
    case 'UND_ERR_CONNECT_TIMEOUT': return { tag: 'connection-timeout' };
    case 'UND_ERR_HEADERS_TIMEOUT': case 'UND_ERR_BODY_TIMEOUT': return { tag: 'HTTP-response-timeout' };
    case 'ENOTFOUND': case 'EAI_AGAIN': return { tag: 'DNS-error', val: { rcode: code, infoCode: undefined } };
    case 'EHOSTUNREACH': case 'ENETUNREACH': return { tag: 'destination-unavailable' };
    default: return { tag: 'internal-error', val: err instanceof Error ? err.message : String(err) };
  }
}

port.on('message', (m: FetchRequest | { abort: number }) => {
  if ('abort' in m) inflight.get(m.abort)?.abort(new Error('abandoned'));
  else void run(m);
});
// Ready: the first bump of the counter (the caller waits for it before timing its first request).
Atomics.add(counter, 0, 1);
Atomics.notify(counter, 0);
