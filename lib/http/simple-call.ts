import { InvalidArgumentError } from '../errors.js';

/** How a simple route passes the body and renders the result, from the export's WIT signature. */
export interface SimpleSignature {
  param: 'none' | 'string' | 'bytes';
}

/**
 * Reads `export <name>: func(<params>) -> <result>;` from a component's WIT text. Only
 * zero-argument functions and functions of one `string` or `list<u8>` fit a simple route.
 */
export function simpleSignature(wit: string, exportName: string): SimpleSignature {
  const escaped = exportName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`export\\s+%?${escaped}\\s*:\\s*func\\(([^)]*)\\)`).exec(wit);
  if (!m) throw new InvalidArgumentError(`export ${exportName} is not a top-level function in the component's WIT`);
  const params = m[1]!.split(',').map((p) => p.trim()).filter(Boolean).map((p) => p.slice(p.indexOf(':') + 1).trim());
  if (params.length === 0) return { param: 'none' };
  if (params.length === 1 && params[0] === 'string') return { param: 'string' };
  if (params.length === 1 && params[0] === 'list<u8>') return { param: 'bytes' };
  throw new InvalidArgumentError(`export ${exportName} takes (${params.join(', ')}); a simple route needs one string or list<u8> parameter, or none`);
}

/** The only function export named in WIT text, for routes without `export`. */
export function soleExport(wit: string): string {
  const names = [...wit.matchAll(/^\s*export\s+%?([a-z0-9-]+)\s*:\s*func\b/gm)].map((m) => m[1]!);
  if (names.length !== 1) throw new InvalidArgumentError(`the route must name an export: the component has ${names.length ? names.join(', ') : 'no top-level functions'}`);
  return names[0]!;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The argument list for a simple call. Invalid UTF-8 for a string parameter is INVALID_ARGUMENT. */
export function simpleArgs(sig: SimpleSignature, body: Uint8Array, params: string[]): unknown[] {
  if (sig.param === 'none') return [];
  const fromPath = body.byteLength === 0 && params.length > 0 ? params[0]! : undefined;
  if (sig.param === 'bytes') return [fromPath !== undefined ? encoder.encode(fromPath) : body];
  if (fromPath !== undefined) return [fromPath];
  try {
    return [strictUtf8.decode(body)];
  } catch {
    throw new InvalidArgumentError('request body is not valid UTF-8 (the export takes a string)');
  }
}

/** A result as a response body and content type. */
export function renderResult(value: unknown): { body: Uint8Array | string; contentType: string | undefined } {
  if (value === undefined) return { body: '', contentType: undefined };
  if (typeof value === 'string') return { body: value, contentType: 'text/plain; charset=utf-8' };
  if (value instanceof Uint8Array) return { body: value, contentType: 'application/octet-stream' };
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v));
  return { body: json, contentType: 'application/json' };
}
