/**
 * One outgoing HTTP request with undici, to completion: the response with its whole body (capped),
 * or the `wasi:http` error-code that explains the failure. Never rejects. Used in-thread by the
 * async outgoing handler (JSPI) and by the fetch worker behind `syncFetch` (lib/http/sync-fetch.ts).
 */

// undici is imported on first use, not with sfirt: it is ~7.5 MB of heap and 50–100 ms to import,
// which every process paid (and the collection that heap started landed in its first load()).
// Whoever grants outgoing requests starts the import early (preloadUndici).
let undici: Promise<typeof import('undici')> | undefined;

/** Starts importing undici (once per thread); resolves to the module. */
export function preloadUndici(): Promise<typeof import('undici')> {
  undici ??= import('undici');
  return undici;
}

/** A request as the outgoing handler prepared it. */
export interface FetchRequest {
  method: string;
  url: string;
  /** Flat name, value, name, value... (undici's array form). */
  headers: string[];
  body: Uint8Array;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** A response with its whole body, or a `wasi:http/types.error-code`. */
export type FetchOutcome =
  | { ok: { status: number; headers: [string, string][]; body: Uint8Array }; err?: undefined }
  | { err: { tag: string; val?: unknown }; ok?: undefined };

class BodyTooLarge extends Error {
  constructor(readonly size: number) { super('response body too large'); }
}

/**
 * Runs `m`: `timeoutMs` bounds the whole exchange; `abort` (when given) ends it early (the caller
 * gave up), answered as `internal-error`.
 */
export async function fetchOnce(m: FetchRequest, abort?: AbortSignal): Promise<FetchOutcome> {
  let request: typeof import('undici').request;
  try {
    // Before the exchange's timer: a first request does not spend its timeout on the import.
    ({ request } = await preloadUndici());
  } catch (err) {
    return { err: errorCode(err, false) };
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort(new Error('abandoned'));
  abort?.addEventListener('abort', onAbort);
  const timer = setTimeout(() => controller.abort(new Error('timeout')), m.timeoutMs);
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
    return { ok: { status: res.statusCode, headers, body } };
  } catch (err) {
    const reason = (controller.signal.reason as Error | undefined)?.message;
    return { err: errorCode(err, controller.signal.aborted && reason === 'timeout') };
  } finally {
    clearTimeout(timer);
    abort?.removeEventListener('abort', onAbort);
  }
}

/**
 * undici/Node errors → `wasi:http/types.error-code`. What reaches the guest is a tag and at most a
 * Node or undici error code (`ERR_SSL_WRONG_VERSION_NUMBER`): never a message, which may name a
 * host path (a failed import), an internal address or a certificate's names.
 */
export function errorCode(err: unknown, timedOut: boolean): { tag: string; val?: unknown } {
  if (err instanceof BodyTooLarge) return { tag: 'HTTP-response-body-size', val: BigInt(err.size) };
  if (timedOut) return { tag: 'HTTP-response-timeout' };
  const code = errorCodeOf(err) ?? errorCodeOf((err as { cause?: unknown } | undefined)?.cause);
  switch (code) {
    case 'ECONNREFUSED': return { tag: 'connection-refused' };
    case 'ECONNRESET': case 'EPIPE': case 'UND_ERR_SOCKET': case 'UND_ERR_CLOSED': return { tag: 'connection-terminated' };
    case 'UND_ERR_CONNECT_TIMEOUT': case 'ETIMEDOUT': return { tag: 'connection-timeout' };
    case 'UND_ERR_HEADERS_TIMEOUT': case 'UND_ERR_BODY_TIMEOUT': return { tag: 'HTTP-response-timeout' };
    case 'ENOTFOUND': case 'EAI_AGAIN': return { tag: 'DNS-error', val: { rcode: code, infoCode: undefined } };
    case 'EHOSTUNREACH': case 'ENETUNREACH': return { tag: 'destination-unavailable' };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH': return { tag: 'HTTP-response-incomplete' };
  }
  // undici's parser errors may carry no code.
  if ((err as { name?: unknown } | undefined)?.name === 'HTTPParserError') return { tag: 'HTTP-protocol-error' };
  if (code !== undefined) {
    if (/^HPE_/.test(code)) return { tag: 'HTTP-protocol-error' };
    if (/CERT|UNABLE_TO_VERIFY|SELF_SIGNED|ALTNAME/.test(code)) return { tag: 'TLS-certificate-error' };
    if (/^ERR_(SSL|TLS)_/.test(code)) return { tag: 'TLS-protocol-error' };
  }
  return { tag: 'internal-error', val: code };
}

/** An error's `code` when it is an identifier (`ECONNRESET`, `UND_ERR_SOCKET`), else undefined. */
function errorCodeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined;
}
