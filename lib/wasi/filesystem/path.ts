/**
 * Guest paths → components, checked before any of them reaches the host. A path is always
 * relative to a descriptor; it never names anything by a host path. What is refused, and why:
 * - absolute paths (`/etc/passwd`): `not-permitted`, as Wasmtime answers;
 * - NUL bytes: `invalid` (Node would throw a host error quoting the whole host path);
 * - backslashes: `invalid`, so that a name means the same on every host OS (on Windows `\` is a
 *   separator, and `a\..\..\x` must never become one);
 * - paths over `MAX_PATH_LENGTH` characters or names over `MAX_NAME_BYTES` UTF-8 bytes:
 *   `name-too-long`, decided before the path is split (a 1 MB path costs one length check).
 * `.` and empty components are dropped; `..` is kept for the resolver, which applies it to the
 * directories it has actually walked and never above the descriptor.
 */

/** Longest guest path (or symlink target) accepted, in UTF-16 code units (Linux PATH_MAX is 4096 bytes). */
export const MAX_PATH_LENGTH = 4096;
/** Longest name of one entry, in UTF-8 bytes (NAME_MAX on Linux and macOS). */
export const MAX_NAME_BYTES = 255;

export interface GuestPath {
  /** Names and `..`, in order (never `.` or empty). */
  parts: string[];
  /** The path ended with `/`: its last entry must be a directory (symlinks to one are followed). */
  dirOnly: boolean;
}

const win32 = process.platform === 'win32';

/** Parses a guest path given to a `*-at` function; throws an `error-code`. */
export function parsePath(path: unknown): GuestPath {
  if (typeof path !== 'string') throw 'invalid';
  if (path.length === 0) throw 'no-entry';
  if (path.length > MAX_PATH_LENGTH) throw 'name-too-long';
  if (path.charCodeAt(0) === 0x2f) throw 'not-permitted';
  return { parts: split(path), dirOnly: path.charCodeAt(path.length - 1) === 0x2f };
}

/**
 * Parses a symlink's target (one a guest asks to create, or one read from disk while resolving).
 * Absolute targets are `not-permitted`: they name a host path, never one under the descriptor.
 */
export function parseLinkTarget(target: unknown): string[] {
  if (typeof target !== 'string') throw 'invalid';
  if (target.length === 0) throw 'no-entry';
  if (target.length > MAX_PATH_LENGTH) throw 'name-too-long';
  if (target.charCodeAt(0) === 0x2f || (win32 && /^[A-Za-z]:/.test(target))) throw 'not-permitted';
  return split(target);
}

function split(path: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    const c = i === path.length ? 0x2f : path.charCodeAt(i);
    if (c === 0) throw 'invalid';
    if (c === 0x5c || (win32 && c === 0x3a)) throw 'invalid'; // `\`, and `:` (drives, streams) on Windows
    if (c !== 0x2f) continue;
    if (i > start) {
      const part = path.slice(start, i);
      if (part !== '.') {
        if (part.length > MAX_NAME_BYTES / 3 && Buffer.byteLength(part) > MAX_NAME_BYTES) throw 'name-too-long';
        parts.push(part);
      }
    }
    start = i + 1;
  }
  return parts;
}

/**
 * True when `target`, read as a symlink placed `depth` directories below a descriptor, stays
 * under that descriptor at every step (a `..` never climbs above it). Used where a target is
 * created or shown to the guest; resolution itself checks again each time it follows a link.
 */
export function targetStaysBelow(parts: string[], depth: number): boolean {
  let level = depth;
  for (const part of parts) {
    level += part === '..' ? -1 : 1;
    if (level < 0) return false;
  }
  return true;
}
