/**
 * Which header fields may cross the `wasi:http` boundary, in either direction.
 *
 * Hop-by-hop and connection-level fields belong to the host's HTTP connection, never to a guest:
 * a guest that could set `transfer-encoding`, `connection` or `upgrade` on a response, or `host`,
 * `te` or `proxy-authorization` on an outgoing request, could desynchronise or re-target the
 * host's connections. The list is Wasmtime's `DEFAULT_FORBIDDEN_HEADERS` (`connection`,
 * `keep-alive`, `proxy-authenticate`, `proxy-authorization`, `proxy-connection`,
 * `transfer-encoding`, `upgrade`, `host`, `http2-settings`) widened to every `proxy-*` name, plus
 * `te` and `trailer` (hop-by-hop in RFC 9110 §7.6.1) and our own `x-sfirt-*` namespace (the
 * server's error header must only ever come from the server).
 *
 * `content-length` is not forbidden but never trusted: a guest may declare it (it must be a
 * decimal number), and the host always sends the length of the body it actually holds; a body that
 * disagrees with the declaration is refused (`INVALID_RESPONSE`, 500, connection closed).
 *
 * `set-cookie` is allowed: a guest behind a route is the application answering for that origin,
 * and sessions need cookies. Operators who mount several untrusted guests under one origin (whose
 * cookies are shared across paths) strip it per route with `dropResponseHeaders: ['set-cookie']`.
 */

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'http2-settings',
]);

/** Every name starting with one of these is forbidden. */
const FORBIDDEN_PREFIXES: readonly string[] = ['proxy-', 'x-sfirt-'];

/**
 * HOP_BY_HOP's names and the forbidden prefixes, grouped by first character: a name is compared
 * with the few of its group (most names' group is empty) instead of hashed and scanned twice.
 */
const BY_FIRST: ({ names: string[]; prefixes: string[] } | undefined)[] = [];
for (const name of HOP_BY_HOP) (BY_FIRST[name.charCodeAt(0)] ??= { names: [], prefixes: [] }).names.push(name);
for (const prefix of FORBIDDEN_PREFIXES) (BY_FIRST[prefix.charCodeAt(0)] ??= { names: [], prefixes: [] }).prefixes.push(prefix);

/** True when a guest may neither read nor set the field `lowerName` (already lower-case). */
export function isForbiddenHeader(lowerName: string): boolean {
  const group = BY_FIRST[lowerName.charCodeAt(0)];
  if (group === undefined) return false;
  const { names, prefixes } = group;
  for (let i = 0; i < names.length; i++) if (lowerName === names[i]) return true;
  for (let i = 0; i < prefixes.length; i++) if (lowerName.startsWith(prefixes[i]!)) return true;
  return false;
}

/** Largest total of names + values one `fields` may hold (requests, responses, trailers alike). */
export const MAX_FIELDS_BYTES = 64 * 1024;
/** Most entries one `fields` may hold. */
export const MAX_FIELDS_ENTRIES = 256;

// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** TOKEN's characters, by code (a scan of a short name through this beats a regex call several times over). */
const TOKEN_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (TOKEN.test(String.fromCharCode(c))) TOKEN_CHARS[c] = 1;

/** A field name is a non-empty token. */
export function isValidFieldName(name: string): boolean {
  // Anything but a string goes to the pattern, which converts it (what callers always got).
  if (typeof name !== 'string') return TOKEN.test(name);
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 127 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}

/**
 * A field value as bytes (RFC 9110 §5.5): visible ASCII, space, tab and obs-text (0x80–0xFF); no
 * control bytes (so no CR/LF: nothing a guest writes can start a new header line), no DEL.
 */
export function isValidFieldValue(value: Uint8Array): boolean {
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if ((b < 0x20 && b !== 0x09) || b === 0x7f) return false;
  }
  return true;
}

/** A declared `content-length` value: one or more decimal digits (at most 15, so it is exact). */
export function parseContentLength(value: string): number | undefined {
  return /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
}
