import { fieldsToNode } from './fields.js';
import { isForbiddenHeader } from './header-policy.js';
import { OutgoingPolicy, type OutgoingHttpPolicy } from './outgoing-policy.js';
import { syncFetch } from './sync-fetch.js';
import { declaredLength, Fields, FutureIncomingResponse, IncomingResponse, methodToString, type ErrorCode, type OutgoingRequest, type RequestOptions } from './types.js';
import { remainingCallMs } from '../limits/call-deadline.js';

/** Counters of one function's outgoing requests. */
export interface OutgoingStats {
  allowed: number;
  denied: number;
  failed: number;
  /** Time callers spent blocked in outgoing requests, in ms. */
  blockedMs: number;
}

/**
 * `wasi:http/outgoing-handler` under a policy. A denied request never reaches the network: the
 * guest gets `HTTP-request-denied`. Errors reach the guest through the returned future (`handle`
 * itself never throws), so a host wrapper cannot mistake them for host-function failures.
 */
export function outgoingHandler(policy: OutgoingHttpPolicy | undefined, stats?: OutgoingStats) {
  const compiled = policy ? new OutgoingPolicy(policy) : undefined;
  return {
    handle(request: OutgoingRequest, options?: RequestOptions): FutureIncomingResponse {
      // The future (and the response in it) belongs to whoever owns the request: its instance.
      const fail = (val: ErrorCode) => new FutureIncomingResponse({ tag: 'err', val }).adopt(request.owner);
      const method = methodToString(request.method());
      const scheme = request.scheme();
      const schemeName = scheme === undefined ? 'https' : scheme.tag === 'other' ? scheme.val.toLowerCase() : scheme.tag === 'HTTP' ? 'http' : 'https';
      const authority = request.authority();
      const path = request.pathWithQuery() ?? '/';
      if (!authority) { if (stats) stats.failed++; return fail({ tag: 'HTTP-request-URI-invalid' }); }
      let url: URL;
      try {
        url = new URL(`${schemeName}://${authority}${path.startsWith('/') ? path : `/${path}`}`);
      } catch {
        if (stats) stats.failed++;
        return fail({ tag: 'HTTP-request-URI-invalid' });
      }
      const port = url.port ? Number(url.port) : schemeName === 'https' ? 443 : 80;
      if (!compiled || !compiled.allows(method, schemeName, url.hostname, port)) {
        if (stats) stats.denied++;
        return fail({ tag: 'HTTP-request-denied' });
      }
      const body = request.bodySink();
      const bytes = body?.bytes ?? 0;
      if (bytes > compiled.maxRequestBytes) { if (stats) stats.failed++; return fail({ tag: 'HTTP-request-body-size', val: BigInt(bytes) }); }
      // A body the guest started must be finished, and match a declared length (undici would
      // otherwise send what the guest declared, not what it wrote).
      const declared = declaredLength(request.headers());
      if ((body && !body.finished) || (declared !== undefined && declared !== bytes)) {
        if (stats) stats.failed++;
        return fail({ tag: 'HTTP-request-body-size', val: BigInt(bytes) });
      }
      const remaining = remainingCallMs();
      const guestTimeout = firstByteMs(options);
      const timeoutMs = Math.max(1, Math.min(compiled.timeoutMs, remaining ?? Infinity, guestTimeout ?? Infinity));
      if (stats) stats.allowed++;
      const t0 = performance.now();
      const reply = syncFetch({
        method, url: url.href, headers: outgoingHeaders(request.headers()), body: body?.concat() ?? new Uint8Array(),
        timeoutMs, maxResponseBytes: compiled.maxResponseBytes,
      });
      if (stats) stats.blockedMs += performance.now() - t0;
      if (reply.err) { if (stats) stats.failed++; return fail(reply.err); }
      // Upstream's headers reach the guest under the same policy (hop-by-hop ones are dropped).
      const headers = Fields.fromNode(reply.ok.headers.flat());
      return new FutureIncomingResponse({ tag: 'ok', val: new IncomingResponse(reply.ok.status, headers, reply.ok.body) }).adopt(request.owner);
    },
  };
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
