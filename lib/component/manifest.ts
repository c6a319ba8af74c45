/**
 * The manifest of one precompile-cache entry: what the entry was built from (`stamp`: the versions
 * and inputs that shape the stored artifact), what the loader needs besides files (`meta`), and the
 * SHA-256 of every file. Its first line is the SHA-256 of the rest, so a damaged manifest is
 * detected like a damaged file. Everything read back is treated as untrusted input: a manifest that
 * does not decode to exactly this shape is rejected, never half-used.
 */
import { hash } from 'node:crypto';

/** Versions and inputs an entry depends on; an entry is used only when all of them match. */
export type Stamp = Readonly<Record<string, string | number | boolean>>;

export interface Manifest {
  stamp: Stamp;
  /** Loader data (imports, exports, ...): plain JSON, validated by the loader. */
  meta: unknown;
  /** Entry-relative file name → SHA-256 (hex) of its bytes. */
  files: Record<string, string>;
}

export const MANIFEST_FILE = 'manifest.json';
/** File names an entry may hold: `name` or `core/name`, no dot-dot, no other directories. */
const FILE_NAME = /^(?:core\/)?[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One-shot `crypto.hash` (every Node this package supports): no Hash object per file. */
export function sha256(bytes: Uint8Array | string): string {
  return hash('sha256', bytes, 'hex');
}

export function isEntryFileName(name: string): boolean {
  return FILE_NAME.test(name) && name !== MANIFEST_FILE;
}

export function encodeManifest(manifest: Manifest): string {
  const body = JSON.stringify(manifest);
  return `${sha256(body)}\n${body}`;
}

/** Decodes a manifest, or returns why it cannot be trusted. */
export function decodeManifest(bytes: Buffer): Manifest | string {
  const text = bytes.toString('utf8');
  const nl = text.indexOf('\n');
  if (nl !== 64) return 'manifest has no checksum line';
  const body = text.slice(nl + 1);
  if (text.slice(0, nl) !== sha256(body)) return 'manifest checksum mismatch';
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'manifest is not JSON';
  }
  if (!isRecord(value) || !isRecord(value.stamp) || !isRecord(value.files) || !('meta' in value)) return 'manifest has the wrong shape';
  if (!Object.values(value.stamp).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) return 'manifest stamp has the wrong shape';
  for (const [name, hash] of Object.entries(value.files)) {
    if (!isEntryFileName(name) || typeof hash !== 'string' || !SHA256_HEX.test(hash)) return `manifest lists an invalid file entry ${JSON.stringify(name)}`;
  }
  return value as unknown as Manifest;
}

/** The first stamp field that differs, or undefined when both stamps are the same. */
export function stampMismatch(found: Stamp, expected: Stamp): string | undefined {
  const keys = new Set([...Object.keys(found), ...Object.keys(expected)]);
  for (const k of keys) if (found[k] !== expected[k]) return `built for ${k}=${String(found[k])}, need ${String(expected[k])}`;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
