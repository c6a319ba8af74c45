import { SfiError } from '../errors.js';

/** How a failed call is answered over HTTP. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The stable code (also in `x-sfirt-error`): the metrics and `onError` key. */
  code: string;
}

/** Seconds a client is told to wait after a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * The only text an HTTP client ever reads about a failure: fixed per code, written here. Error
 * messages stay on the server (`onError`, metrics): they can carry host paths, addresses or a
 * host import's exception text.
 */
const GENERIC_TEXT: Record<string, string> = {
  OVERLOADED: 'the server is busy; retry later',
  DEADLINE_EXCEEDED: 'the function ran out of time',
  INVALID_ARGUMENT: 'the request does not fit the function',
  FUEL_EXHAUSTED: 'the function ran out of fuel',
  MEMORY_LIMIT_EXCEEDED: 'the function ran out of memory',
  TRAP: 'the function failed',
  HOST_FUNCTION_ERROR: 'the function failed',
  INVALID_RESPONSE: 'the function gave an invalid response',
  REQUEST_TIMEOUT: 'the request body arrived too slowly',
  PAYLOAD_TOO_LARGE: 'the request body is too large',
  CLOSED: 'the server is shutting down',
};
const DEFAULT_TEXT = 'the server could not complete the request';

/** The status for a code: 503, 504, 400, 408, 413, else 500. */
function statusOf(code: string): number {
  switch (code) {
    case 'OVERLOADED': case 'CLOSED': return 503;
    case 'DEADLINE_EXCEEDED': return 504;
    case 'INVALID_ARGUMENT': return 400;
    case 'REQUEST_TIMEOUT': return 408;
    case 'PAYLOAD_TOO_LARGE': return 413;
    default: return 500;
  }
}

/** The code of a failure: an `SfiError`'s own (upper-case codes only), else `INTERNAL`. */
export function errorCodeOf(err: unknown): string {
  const code = err instanceof SfiError ? err.code : undefined;
  return code !== undefined && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'INTERNAL';
}

/**
 * Maps a failure to an HTTP answer: OVERLOADED → 503 + Retry-After, DEADLINE_EXCEEDED → 504,
 * INVALID_ARGUMENT → 400 (the request did not fit the export), every other failure → 500. The
 * body is `<code>: <fixed text>`; `x-sfirt-error: <code>`. Non-`SfiError`s are `INTERNAL`.
 * An invalid guest response also closes the connection.
 */
export function errorResponse(err: unknown): ErrorResponse {
  return errorResponseFor(errorCodeOf(err));
}

/** The answer for a code (see `errorResponse`). */
export function errorResponseFor(code: string): ErrorResponse {
  const headers: Record<string, string> = { 'x-sfirt-error': code, 'content-type': 'text/plain; charset=utf-8' };
  const status = statusOf(code);
  if (status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  if (code === 'INVALID_RESPONSE' || status === 408 || status === 413) headers.connection = 'close';
  return { status, headers, body: `${code}: ${GENERIC_TEXT[code] ?? DEFAULT_TEXT}\n`, code };
}
