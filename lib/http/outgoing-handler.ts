import { fieldsToNode } from './fields.js';
import { isForbiddenHeader } from './header-policy.js';
import { OutgoingPolicy, type OutgoingHttpPolicy } from './outgoing-policy.js';
import { syncFetch } from './sync-fetch.js';
import { fetchOnce, preloadUndici, type FetchOutcome, type FetchRequest } from './fetch.js';
import { HAS_JSPI, withSyncFallback } from '../host/async.js';
import { declaredLength, Fields, FutureIncomingResponse, IncomingResponse, methodToString, type ErrorCode, type OutgoingRequest, type RequestOptions } from './types.js';
import { remainingCallMs } from '../limits/call-deadline.js';
import { MAX_TIMER_MS } from '../timers.js';

/** Counters of one function's outgoing requests. */
export interface OutgoingStats {
  allowed: number;
  denied: number;
  failed: number;
  /** Time callers spent waiting for outgoing requests (blocked, or suspended under JSPI), in ms. */
  blockedMs: number;
}

/**
 * `wasi:http/outgoing-handler` under a policy. A denied request never reaches the network: the
 * guest gets `HTTP-request-denied`. Errors reach the guest through the returned future (`handle`
 * itself never throws), so a host wrapper cannot mistake them for host-function failures.
 *
 * Where the guest can suspend (JSPI, Node 24+), `handle` is async: the request runs with undici
 * in this thread while the guest waits and the event loop runs on (a guest may call the very
 * server that called it). Elsewhere it blocks on the fetch worker (lib/http/sync-fetch.ts), which
 * is also the synchronous fallback the runtime uses for components on jco's glue.
 */
export function outgoingHandler(policy: OutgoingHttpPolicy | undefined, stats?: OutgoingStats) {
  const compiled = policy ? new OutgoingPolicy(policy) : undefined;
  const syncHandle = (request: OutgoingRequest, options?: RequestOptions): FutureIncomingResponse => {
    const prepared = prepare(compiled, request, options, stats);
    if (prepared instanceof FutureIncomingResponse) return prepared;
    const t0 = performance.now();
    const reply = syncFetch(prepared);
    return answer(request, reply, t0, stats);
  };
  // Without a policy every request is denied before any I/O (`prepare`): a synchronous import, so
  // a guest that merely imports outgoing-handler is not run on a suspendable stack (JSPI's
  // promising export: a stack and a promise per call).
  if (!HAS_JSPI || !compiled) return { handle: syncHandle };
  // Requests may run in this thread: undici starts loading now, not on the first request.
  preloadUndici().catch(() => {}); // a failed import is answered per request (fetchOnce)
  const handle = async (request: OutgoingRequest, options?: RequestOptions): Promise<FutureIncomingResponse> => {
    const prepared = prepare(compiled, request, options, stats);
    if (prepared instanceof FutureIncomingResponse) return prepared;
    const t0 = performance.now();
    const reply = await fetchOnce(prepared);
    return answer(request, reply, t0, stats);
  };
  return { handle: withSyncFallback(handle, syncHandle) };
}

/** The future of a request that failed before reaching the network (owned by the request's instance). */
function failed(request: OutgoingRequest, val: ErrorCode): FutureIncomingResponse {
  return new FutureIncomingResponse({ tag: 'err', val }).adopt(request.owner);
}

/** Checks a guest's request against the policy: the request to send, or the failed future. */
function prepare(compiled: OutgoingPolicy | undefined, request: OutgoingRequest, options: RequestOptions | undefined, stats: OutgoingStats | undefined): FetchRequest | FutureIncomingResponse {
  const fail = (val: ErrorCode) => { if (stats) stats.failed++; return failed(request, val); };
  const method = methodToString(request.method());
  const scheme = request.scheme();
  const schemeName = scheme === undefined ? 'https' : scheme.tag === 'other' ? scheme.val.toLowerCase() : scheme.tag === 'HTTP' ? 'http' : 'https';
  const authority = request.authority();
  const path = request.pathWithQuery() ?? '/';
  if (!authority) return fail({ tag: 'HTTP-request-URI-invalid' });
  let url: URL;
  try {
    url = new URL(`${schemeName}://${authority}${path.startsWith('/') ? path : `/${path}`}`);
  } catch {
    return fail({ tag: 'HTTP-request-URI-invalid' });
  }
  const port = url.port ? Number(url.port) : schemeName === 'https' ? 443 : 80;
  if (!compiled || !compiled.allows(method, schemeName, url.hostname, port)) {
    if (stats) stats.denied++;
    return failed(request, { tag: 'HTTP-request-denied' });
  }
  const body = request.bodySink();
  const bytes = body?.bytes ?? 0;
  if (bytes > compiled.maxRequestBytes) return fail({ tag: 'HTTP-request-body-size', val: BigInt(bytes) });
  // A body the guest started must be finished, and match a declared length (undici would
  // otherwise send what the guest declared, not what it wrote).
  const declared = declaredLength(request.headers());
  if ((body && !body.finished) || (declared !== undefined && declared !== bytes)) return fail({ tag: 'HTTP-request-body-size', val: BigInt(bytes) });
  const remaining = remainingCallMs();
  const guestTimeout = firstByteMs(options);
  // At most a timer's longest delay: undici's timers and ours fire after 1 ms beyond it.
  const timeoutMs = Math.max(1, Math.min(compiled.timeoutMs, remaining ?? Infinity, guestTimeout ?? Infinity, MAX_TIMER_MS));
  if (stats) stats.allowed++;
  return {
    method, url: url.href, headers: outgoingHeaders(request.headers()), body: body?.concat() ?? new Uint8Array(),
    timeoutMs, maxResponseBytes: compiled.maxResponseBytes,
  };
}

/** The future of a request that reached the network. */
function answer(request: OutgoingRequest, reply: FetchOutcome, t0: number, stats: OutgoingStats | undefined): FutureIncomingResponse {
  if (stats) stats.blockedMs += performance.now() - t0;
  if (reply.err) { if (stats) stats.failed++; return failed(request, reply.err as ErrorCode); }
  // Upstream's headers reach the guest under the same policy (hop-by-hop ones are dropped).
  const headers = Fields.fromNode(reply.ok.headers.flat());
  return new FutureIncomingResponse({ tag: 'ok', val: new IncomingResponse(reply.ok.status, headers, reply.ok.body) }).adopt(request.owner);
}

function firstByteMs(options: RequestOptions | undefined): number | undefined {
  const ns = options?.firstByteTimeout();
  return ns === undefined ? undefined : Number(ns / 1_000_000n);
}

/**
 * The guest's headers as sent: `fields` already refuses every forbidden name; this drops them
 * again (defence in depth) and drops `content-length`, which undici sets from the actual body.
 */
function outgoingHeaders(fields: Fields): string[] {
  const flat: string[] = [];
  for (const [n, v] of fieldsToNode(fields)) if (n !== 'content-length' && !isForbiddenHeader(n)) flat.push(n, v);
  return flat;
}
