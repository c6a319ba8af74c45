/**
 * Granted directories. A grant belongs to a function; its root directory is opened once and
 * shared by every instance of the function that is alive (an instance holds a reference through
 * its preopen descriptors, released when the instance is discarded), so a pool of 10,000
 * instances costs one host fd per grant, not 10,000.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { openRoot, type DirHandle } from './dir-handle.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, DiskUsage } from './quota.js';

/** A host directory the guest may see at a guest path. Read-only unless `readOnly: false`. */
export interface PreopenGrant {
  hostPath: string;
  readOnly?: boolean;
  /**
   * Read-write grants: bytes of file data the directory's tree may hold, whatever the guest
   * writes (default 1 GiB; `null`: no limit). Past it, writes that grow the tree are `quota`.
   */
  maxBytes?: number | null;
  /** Read-write grants: entries (files, directories, links) the tree may hold (default 10,000; `null`: no limit). */
  maxEntries?: number | null;
}

/** A grant's limit: the default when absent, `Infinity` for `null`; throws for anything but a non-negative integer. */
function diskLimit(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (value === null) return Infinity;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer or null`);
  return value;
}

export class PreopenRoot {
  #handle: DirHandle | undefined;
  #refs = 0;

  /**
   * @param usage what the tree holds and may hold (read-write grants with a limit; see `quota.ts`),
   *   shared by every instance of the function
   */
  constructor(readonly guestPath: string, readonly hostPath: string, readonly readOnly: boolean, readonly usage?: DiskUsage) {}

  /**
   * Checks a grant when a function is loaded; the message names the guest path, never the host one.
   * A read-write grant may not overlap `protectedDirs` (the precompile cache: it holds JavaScript
   * and wasm the host runs for every function, so a guest that can write there runs code as the host).
   */
  static fromGrant(guestPath: string, grant: PreopenGrant, protectedDirs: readonly string[] = []): PreopenRoot {
    const where = `wasi.preopens['${guestPath}']`;
    if (typeof guestPath !== 'string' || guestPath.length === 0 || guestPath.includes('\0')) {
      throw new InvalidArgumentError('wasi.preopens: guest paths must be non-empty strings without NUL');
    }
    if (typeof grant?.hostPath !== 'string' || grant.hostPath.length === 0 || grant.hostPath.includes('\0')) {
      throw new InvalidArgumentError(`${where}: the host path must be a non-empty string`);
    }
    if (grant.readOnly !== undefined && typeof grant.readOnly !== 'boolean') {
      throw new InvalidArgumentError(`${where}.readOnly must be a boolean`);
    }
    let isDirectory = false;
    try {
      isDirectory = statSync(grant.hostPath).isDirectory();
    } catch { /* reported below */ }
    if (!isDirectory) throw new InvalidArgumentError(`${where}: the host path is not a directory`);
    const readOnly = grant.readOnly !== false;
    if (!readOnly && protectedDirs.some((dir) => overlaps(realPath(grant.hostPath), realPath(dir)))) {
      throw new InvalidArgumentError(`${where}: a read-write grant may not contain, or lie inside, the precompile cache directory (it holds code the host runs); grant a directory beside it, or move the cache (cacheDir)`);
    }
    const maxBytes = diskLimit(grant.maxBytes, DEFAULT_MAX_BYTES, `${where}.maxBytes`);
    const maxEntries = diskLimit(grant.maxEntries, DEFAULT_MAX_ENTRIES, `${where}.maxEntries`);
    const usage = readOnly ? undefined : DiskUsage.measure(grant.hostPath, { maxBytes, maxEntries });
    if (usage?.full) {
      process.emitWarning(`sfirt: ${where} already holds its limit (${maxEntries} entries or ${maxBytes} bytes of file data): the guest can only shrink it; raise maxEntries / maxBytes, or set them to null`, { type: 'SfirtWarning', code: 'SFIRT_PREOPEN_FULL' });
    }
    return new PreopenRoot(guestPath, grant.hostPath, readOnly, usage);
  }

  /**
   * Takes a reference for one instance: the shared root handle, opened on the first reference.
   * Undefined when the directory cannot be opened (removed since the load): that instance's
   * preopen then answers `no-entry` to everything.
   */
  acquire(): DirHandle | undefined {
    this.#refs++;
    if (!this.#handle) {
      try {
        this.#handle = openRoot(this.hostPath);
      } catch {
        this.#handle = undefined;
      }
    }
    return this.#handle;
  }

  /** Drops an instance's reference; the last one closes the root. */
  release(): void {
    if (this.#refs === 0) return;
    if (--this.#refs === 0) {
      this.#handle?.close();
      this.#handle = undefined;
    }
  }
}

/** The real path of `path`, or of its nearest existing ancestor joined with the rest (a cache not created yet). */
function realPath(path: string): string {
  const absolute = resolve(path);
  for (let dir = absolute; ; dir = dirname(dir)) {
    try {
      return join(realpathSync(dir), relative(dir, absolute));
    } catch {
      if (dirname(dir) === dir) return absolute;
    }
  }
}

/** Whether one directory is the other or inside it. */
function overlaps(a: string, b: string): boolean {
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
  return within(a, b) || within(b, a);
}
