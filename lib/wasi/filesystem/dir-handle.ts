/**
 * A directory the host has reached on the guest's behalf, and how host calls name things in it.
 *
 * Node's `fs` is path-based: there is no `openat`, `mkdirat`, `renameat`... So a directory is
 * named by a host path string, and the question is which string:
 *
 * - `fd` mode (Linux): we hold the directory open and name it `/proc/self/fd/<fd>`. The kernel
 *   resolves that magic link to the open directory itself, wherever it now is, so
 *   `/proc/self/fd/12/name` is exactly `openat(12, "name")`: a directory that is renamed, removed
 *   or swapped for a symlink after we opened it cannot redirect anything, whoever races us (other
 *   guests on worker threads, host processes).
 * - `path` mode (other hosts, or `/proc` unavailable): a directory is its host path plus the
 *   (dev, ino) we saw there; every use re-checks that the path still names that directory, and an
 *   open compares the identity of what it opened with what it checked. A concurrent process that
 *   swaps a directory between our check and the host call can still win that race (see README).
 *
 * Either way the resolver (`resolve.ts`) hands these handles one single component at a time,
 * already checked by `path.ts`; they never see `..`, `/` or a NUL byte.
 */
import {
  closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, statSync, type BigIntStats,
} from 'node:fs';
import { resolve as resolveHostPath } from 'node:path';
import { fsError } from './errors.js';

const { O_RDONLY, O_CREAT } = constants;
/** Not defined on Windows: there the identity checks of `path` mode are the only guard. */
export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
export const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
/** Opening a FIFO a host put in a preopen must not block the thread. */
export const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
/** How every directory is opened: read-only, a directory, never through a symlink, never blocking. */
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;

/** A directory reached during resolution (a preopen, a directory descriptor, or a step in between). */
export interface DirHandle {
  /** A host path naming this directory itself (for `opendir`, `utimes`...). */
  readonly path: string;
  /** A host path naming the entry `name` of this directory (one checked component). */
  child(name: string): string;
  /**
   * The child directory `name` (a new handle the caller closes), or, when `name` is a symlink,
   * its target text. Throws an `error-code` (`not-directory` for anything else).
   */
  openDir(name: string): DirHandle | string;
  /**
   * Opens the entry `name` (never following a symlink in its place: `loop`), or this directory
   * itself when `name` is undefined. Returns the host fd; throws an `error-code`.
   */
  open(name: string | undefined, flags: number, mode?: number): number;
  /** The target of symlink `name`, or undefined when `name` is not a symlink (or does not exist). */
  readLink(name: string): string | undefined;
  /** Status of this directory itself. */
  stat(): BigIntStats;
  /**
   * The directory just opened as `fd` from entry `name` (or from this directory itself) as a
   * handle of its own, which takes over `fd`.
   */
  adopt(name: string | undefined, fd: number): DirHandle;
  /** Throws `no-entry` when the handle no longer names the directory it was opened as. */
  verify(): void;
  /** Releases the handle (idempotent). */
  close(): void;
}

function readLinkAt(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch (err) {
    const code = fsError(err);
    if (code === 'invalid' || code === 'no-entry' || code === 'not-directory') return undefined;
    throw code;
  }
}

/** `fd` mode: an open directory, named through `/proc/self/fd`. */
class FdDir implements DirHandle {
  readonly path: string;
  #fd: number;

  constructor(fd: number) {
    this.#fd = fd;
    this.path = `/proc/self/fd/${fd}`;
  }

  child(name: string): string {
    return `${this.path}/${name}`;
  }

  openDir(name: string): DirHandle | string {
    try {
      return new FdDir(openSync(this.child(name), DIR_FLAGS));
    } catch (err) {
      const code = fsError(err);
      // O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR (or ELOOP): ask which it was.
      if (code !== 'not-directory' && code !== 'loop') throw code;
      const target = this.readLink(name);
      if (target === undefined) throw 'not-directory';
      return target;
    }
  }

  open(name: string | undefined, flags: number, mode?: number): number {
    try {
      // The directory itself: the magic link must be followed (O_NOFOLLOW would refuse it).
      return name === undefined ? openSync(this.path, flags & ~O_NOFOLLOW, mode) : openSync(this.child(name), flags | O_NOFOLLOW, mode);
    } catch (err) {
      throw fsError(err);
    }
  }

  readLink(name: string): string | undefined {
    return readLinkAt(this.child(name));
  }

  stat(): BigIntStats {
    try {
      return fstatSync(this.#fd, { bigint: true });
    } catch (err) {
      throw fsError(err);
    }
  }

  adopt(_name: string | undefined, fd: number): DirHandle {
    return new FdDir(fd);
  }

  /**
   * A removed directory (a guest's `remove-directory-at`, or the swap attack's first step) has
   * no links left: refuse it rather than list or create in a directory no path names.
   */
  verify(): void {
    let links: number;
    try {
      links = fstatSync(this.#fd).nlink;
    } catch (err) {
      throw fsError(err);
    }
    if (links === 0) throw 'no-entry';
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    try { closeSync(fd); } catch { /* already gone: nothing to release */ }
  }
}

const sameObject = (a: BigIntStats, dev: bigint, ino: bigint) => a.dev === dev && a.ino === ino;

/** `path` mode: a host path and the identity it had when we checked it. */
class PathDir implements DirHandle {
  constructor(readonly path: string, readonly dev: bigint, readonly ino: bigint) {}

  child(name: string): string {
    return this.path.endsWith('/') ? this.path + name : `${this.path}/${name}`;
  }

  openDir(name: string): DirHandle | string {
    const path = this.child(name);
    let s: BigIntStats;
    try {
      s = lstatSync(path, { bigint: true });
    } catch (err) {
      throw fsError(err);
    }
    if (s.isSymbolicLink()) {
      const target = readLinkAt(path);
      if (target === undefined) throw 'no-entry';
      return target;
    }
    if (!s.isDirectory()) throw 'not-directory';
    return new PathDir(path, s.dev, s.ino);
  }

  open(name: string | undefined, flags: number, mode?: number): number {
    if (name === undefined) {
      const fd = openOrThrow(this.path, flags & ~O_NOFOLLOW, mode);
      return this.#confirm(fd, (s) => sameObject(s, this.dev, this.ino));
    }
    const path = this.child(name);
    let before: BigIntStats | undefined;
    try {
      before = lstatSync(path, { bigint: true });
    } catch (err) {
      const code = fsError(err);
      if (code !== 'no-entry' || !(flags & O_CREAT)) throw code;
    }
    if (before?.isSymbolicLink()) throw 'loop';
    const fd = openOrThrow(path, flags | O_NOFOLLOW, mode);
    // What we opened must be what we checked (or, for a new file, this directory must still be
    // where it was): a swap in between is refused, never followed.
    return this.#confirm(fd, (s) => (before ? sameObject(s, before.dev, before.ino) : this.#stillHere()));
  }

  readLink(name: string): string | undefined {
    return readLinkAt(this.child(name));
  }

  stat(): BigIntStats {
    let s: BigIntStats;
    try {
      s = statSync(this.path, { bigint: true });
    } catch (err) {
      throw fsError(err);
    }
    if (!s.isDirectory() || !sameObject(s, this.dev, this.ino)) throw 'no-entry';
    return s;
  }

  adopt(name: string | undefined, fd: number): DirHandle {
    try {
      const s = fstatSync(fd, { bigint: true });
      return new PathDir(name === undefined ? this.path : this.child(name), s.dev, s.ino);
    } catch (err) {
      throw fsError(err);
    } finally {
      closeSync(fd);
    }
  }

  verify(): void {
    this.stat();
  }

  close(): void {}

  #stillHere(): boolean {
    try {
      this.verify();
      return true;
    } catch {
      return false;
    }
  }

  #confirm(fd: number, ok: (s: BigIntStats) => boolean): number {
    let good = false;
    try {
      good = ok(fstatSync(fd, { bigint: true }));
    } finally {
      if (!good) closeSync(fd);
    }
    if (!good) throw 'no-entry';
    return fd;
  }
}

function openOrThrow(path: string, flags: number, mode?: number): number {
  try {
    return openSync(path, flags, mode);
  } catch (err) {
    throw fsError(err);
  }
}

export type AnchorMode = 'fd' | 'path';
let mode: AnchorMode | undefined;

/**
 * Which kind of handle this process uses: `fd` when `/proc/self/fd/<n>` names the open directory
 * `fd` (checked once, on the first preopen), else `path`.
 */
export function anchorMode(): AnchorMode | undefined {
  return mode;
}

/** Forces a mode (tests run the confinement suites in both). Handles already open keep theirs. */
export function setAnchorMode(next: AnchorMode | undefined): void {
  mode = next;
}

/** Opens a preopen's root directory (a host path chosen by the app, so host symlinks in it are followed). */
export function openRoot(hostPath: string): DirHandle {
  const absolute = resolveHostPath(hostPath);
  if (mode === undefined && process.platform !== 'linux') mode = 'path';
  if (mode === undefined || mode === 'fd') {
    const fd = openOrThrow(absolute, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    if (mode === undefined) mode = procFdWorks(fd) ? 'fd' : 'path';
    if (mode === 'fd') return new FdDir(fd);
    closeSync(fd);
  }
  let s: BigIntStats;
  try {
    s = statSync(absolute, { bigint: true });
  } catch (err) {
    throw fsError(err);
  }
  if (!s.isDirectory()) throw 'not-directory';
  return new PathDir(absolute, s.dev, s.ino);
}

function procFdWorks(fd: number): boolean {
  try {
    const a = fstatSync(fd, { bigint: true });
    const b = statSync(`/proc/self/fd/${fd}`, { bigint: true });
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}
