import { SfiError } from '../errors.js';

/** How a failed call is answered over HTTP. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Seconds a client is told to wait after a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Maps a call failure to an HTTP answer: OVERLOADED → 503 + Retry-After, DEADLINE_EXCEEDED → 504,
 * INVALID_ARGUMENT → 400, every other typed error (FUEL_EXHAUSTED, MEMORY_LIMIT_EXCEEDED, TRAP,
 * ...) → 500. Typed errors carry `x-sfirt-error: <code>`; untyped ones are reported as INTERNAL.
 */
export function errorResponse(err: unknown): ErrorResponse {
  const code = err instanceof SfiError ? err.code : typeof (err as { code?: unknown })?.code === 'string' && /^[A-Z_]+$/.test((err as { code: string }).code) ? (err as { code: string }).code : 'INTERNAL';
  const headers: Record<string, string> = { 'x-sfirt-error': code, 'content-type': 'text/plain; charset=utf-8' };
  let status = 500;
  switch (code) {
    case 'OVERLOADED': status = 503; headers['retry-after'] = String(RETRY_AFTER_SECONDS); break;
    case 'DEADLINE_EXCEEDED': status = 504; break;
    case 'INVALID_ARGUMENT': case 'UNKNOWN_EXPORT': status = 400; break;
  }
  // Messages of typed errors are ours (no guest data beyond names); untyped ones stay private.
  const body = code === 'INTERNAL' ? 'internal error\n' : `${code}: ${(err as Error).message}\n`;
  return { status, headers, body };
}
