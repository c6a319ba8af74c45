/**
 * The precompile cache: transpiled components (jco glue, core modules, WIT) kept on disk so later
 * loads, in any process, skip the transpile. It stores code the runtime evaluates, so:
 * - private: its directory must pass `ensurePrivateDir` (ours, no group/other write, nor above);
 *   entries are created 0700 and files 0600. A directory that fails is not used at all: the
 *   runtime warns once (`SFIRT_CACHE_REFUSED`) and keeps artifacts in memory for this process.
 * - verified: an entry is used only when its manifest's checksum, stamp (versions it was built
 *   for) and every file's SHA-256 match; the caller gets the verified bytes, never a path.
 * - self-healing and atomic: entries are staged beside the cache, fsynced (files, then
 *   directories), and renamed into place; an entry that fails verification is moved aside and
 *   replaced the same way (`SFIRT_CACHE_REBUILT`), so readers see a whole old entry, a whole new
 *   one, or none. Leftovers of a writer that died are swept on the next write.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeManifest, encodeManifest, isEntryFileName, MANIFEST_FILE, sha256, stampMismatch, type Stamp } from './manifest.js';
import { ensurePrivateDir } from './private-dir.js';

/**
 * The default cache directory: `$SFIRT_CACHE_DIR`, else `$XDG_CACHE_HOME/sfirt`, else
 * `~/.cache/sfirt`; `undefined` when there is no home directory (never a shared temp directory).
 */
export function defaultCacheDir(): string | undefined {
  if (process.env.SFIRT_CACHE_DIR) return process.env.SFIRT_CACHE_DIR;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'sfirt');
  let home = '';
  try {
    home = homedir();
  } catch {
    // No home directory for this user: no default cache.
  }
  return home ? join(home, '.cache', 'sfirt') : undefined;
}

/** The contents of one entry: files by entry-relative name (`core/…` for core modules) and loader data. */
export interface CacheEntry {
  files: Record<string, Uint8Array>;
  meta: unknown;
  /** Files the manifest lists that this lookup did not read (`unused`): neither read nor verified. */
  unread?: readonly string[];
}

/** Names of entry files a lookup skips (see `ArtifactCache.get`). */
export type UnusedFiles = (name: string) => boolean;

/** Where an entry lives: on disk, or in this process's memory (disk cache off or refused). */
export type CacheStore = 'disk' | 'memory';

/** A lookup: a verified entry, no entry, or an entry that failed verification (`reason` says why). */
export type CacheLookup = { store: CacheStore } & (
  | { status: 'hit'; entry: CacheEntry }
  | { status: 'missing' }
  | { status: 'invalid'; reason: string }
);

/** Staging and set-aside directories older than this are swept even if their writer's pid is alive (pid reuse). */
const LEFTOVER_MAX_AGE_MS = 60 * 60 * 1000;
const LEFTOVER = /^\.(?:staging|trash)-(\d+)-/;

/** The precompile cache of one runtime. Never throws for I/O: a failing disk degrades to a miss. */
export class ArtifactCache {
  #memory = new Map<string, { stamp: Stamp; entry: CacheEntry }>();

  /** `dir`: the cache directory, or `false`/`undefined` for a memory-only cache (no warning for `false`). */
  constructor(readonly dir: string | false | undefined) {}

  /**
   * Reads and verifies the entry `key` built for `stamp`. Files for which `unused` is true are
   * neither read nor verified and are absent from the entry, named in `unread` (the caller will not
   * run them: e.g. jco's glue of a component our own glue runs); every file returned was verified
   * by this call.
   */
  async get(key: string, stamp: Stamp, unused?: UnusedFiles): Promise<CacheLookup> {
    const root = await this.#root();
    if (!root) {
      const found = this.#memory.get(key);
      return found && !stampMismatch(found.stamp, stamp)
        ? { store: 'memory', status: 'hit', entry: found.entry }
        : { store: 'memory', status: 'missing' };
    }
    return { store: 'disk', ...readEntry(join(root, key), stamp, unused) };
  }

  /**
   * Stores an entry. `invalidReason` (from `get`) means an entry that failed verification is
   * there and must be replaced. A failed write only warns (`SFIRT_CACHE_WRITE_FAILED`).
   */
  async put(key: string, stamp: Stamp, entry: CacheEntry, invalidReason?: string): Promise<void> {
    const root = await this.#root();
    if (!root) {
      this.#memory.set(key, { stamp, entry });
      return;
    }
    const target = join(root, key);
    try {
      await writeEntry(root, target, stamp, entry, invalidReason !== undefined);
    } catch (err) {
      warnOnce('SFIRT_CACHE_WRITE_FAILED', `sfirt: could not store a precompile cache entry in ${root} (${errorCode(err)}); this load goes on without it`);
      return;
    }
    if (invalidReason !== undefined) {
      process.emitWarning(`sfirt: precompile cache entry ${target} failed verification (${invalidReason}); rebuilt it`, { type: 'SfirtCacheWarning', code: 'SFIRT_CACHE_REBUILT' });
    }
  }

  /** The checked real path of the cache directory, or undefined to use memory (warned once). */
  async #root(): Promise<string | undefined> {
    if (this.dir === false) return undefined;
    if (this.dir === undefined) {
      warnOnce('SFIRT_CACHE_REFUSED', 'sfirt: no precompile cache directory (no home directory): transpiled components are kept in memory only; set SFIRT_CACHE_DIR or the cacheDir option to a private directory, or cacheDir: false to silence this');
      return undefined;
    }
    try {
      return await ensurePrivateDir(this.dir);
    } catch (err) {
      warnOnce('SFIRT_CACHE_REFUSED', `sfirt: not using ${this.dir} as the precompile cache: ${(err as Error).message}. It would hold code this process runs, so it must be private (owned by you, not writable by group or others, nor any directory above it but sticky ones). Transpiled components are kept in memory only; use a private directory, or cacheDir: false to silence this`);
      return undefined;
    }
  }
}

/**
 * Reads each file once, synchronously (open, fstat, read, close: no thread-pool round trips, which
 * on a busy machine cost more than the reads), and verifies the very bytes it returns.
 */
function readEntry(dir: string, stamp: Stamp, unused?: UnusedFiles): { status: 'hit'; entry: CacheEntry } | { status: 'missing' } | { status: 'invalid'; reason: string } {
  let manifestBytes: Buffer;
  try {
    manifestBytes = readFileSync(join(dir, MANIFEST_FILE));
  } catch (err) {
    if (errorCode(err) === 'ENOENT' && !existsSync(dir)) return { status: 'missing' };
    return { status: 'invalid', reason: `cannot read ${MANIFEST_FILE}: ${errorCode(err)}` };
  }
  const manifest = decodeManifest(manifestBytes);
  if (typeof manifest === 'string') return { status: 'invalid', reason: manifest };
  const mismatch = stampMismatch(manifest.stamp, stamp);
  if (mismatch) return { status: 'invalid', reason: mismatch };
  const files: Record<string, Uint8Array> = {};
  const unread: string[] = [];
  for (const [name, expected] of Object.entries(manifest.files)) {
    if (unused?.(name)) {
      unread.push(name);
      continue;
    }
    let content: Buffer;
    try {
      content = readFileSync(join(dir, name));
    } catch (err) {
      return { status: 'invalid', reason: `cannot read ${name}: ${errorCode(err)}` };
    }
    if (sha256(content) !== expected) return { status: 'invalid', reason: `${name}: SHA-256 mismatch` };
    files[name] = content;
  }
  return { status: 'hit', entry: { files, meta: manifest.meta, ...(unread.length ? { unread } : {}) } };
}

/** Stages the entry (files fsynced, then directories), then renames it into place. */
async function writeEntry(root: string, target: string, stamp: Stamp, entry: CacheEntry, replace: boolean): Promise<void> {
  await sweepLeftovers(root);
  const staging = join(root, `.staging-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    const names = Object.keys(entry.files);
    const bad = names.find((n) => !isEntryFileName(n));
    if (bad) throw new Error(`invalid cache file name ${JSON.stringify(bad)}`);
    const hasCore = names.some((n) => n.startsWith('core/'));
    if (hasCore) await mkdir(join(staging, 'core'), { mode: 0o700 });
    await Promise.all(names.map((n) => writeDurably(join(staging, n), entry.files[n]!)));
    const files = Object.fromEntries(names.map((n) => [n, sha256(entry.files[n]!)]));
    // The manifest goes last: a staged entry without one is never installed anyway, but a reader
    // of a half-written entry (impossible after the rename) would see it as missing, not valid.
    await writeDurably(join(staging, MANIFEST_FILE), encodeManifest({ stamp, meta: entry.meta, files }));
    if (hasCore) await syncDir(join(staging, 'core'));
    await syncDir(staging);
    await install(root, staging, target, replace);
    await syncDir(root);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Renames the staged entry to `target`. When `target` exists: a plain miss leaves it (another
 * process installed the same entry first; readers verify it anyway); a replacement moves it aside
 * first (one rename, so readers of the old entry keep their open files or see it missing) and then
 * renames the new entry in. If yet another process installs an entry in between, its entry stays.
 */
async function install(root: string, staging: string, target: string, replace: boolean): Promise<void> {
  try {
    await rename(staging, target);
    return;
  } catch (err) {
    const taken = ['ENOTEMPTY', 'EEXIST'].includes(errorCode(err));
    if (!replace) {
      if (taken) return;
      throw err;
    }
  }
  const aside = join(root, `.trash-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await rename(target, aside);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  try {
    await rename(staging, target);
  } catch (err) {
    if (!['ENOTEMPTY', 'EEXIST'].includes(errorCode(err))) throw err;
  } finally {
    await rm(aside, { recursive: true, force: true }).catch(() => {});
  }
}

/** Removes staging and set-aside directories whose writer is gone (killed mid-write, or crashed). */
async function sweepLeftovers(root: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  await Promise.all(names.map(async (name) => {
    const m = LEFTOVER.exec(name);
    if (!m) return;
    const pid = Number(m[1]);
    if (pid === process.pid) return;
    const path = join(root, name);
    if (isAlive(pid)) {
      const st = await stat(path).catch(() => undefined);
      if (!st || Date.now() - st.mtimeMs < LEFTOVER_MAX_AGE_MS) return;
    }
    await rm(path, { recursive: true, force: true }).catch(() => {});
  }));
}

async function writeDurably(path: string, bytes: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsyncs a directory so the names created in it survive a crash (not possible on Windows: skipped). */
async function syncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch (err) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes(errorCode(err))) throw err;
  } finally {
    await fh?.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message : String(err));
}

const warned = new Set<string>();
/** Emits a `SfirtCacheWarning` once per process per distinct message. */
function warnOnce(code: string, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { type: 'SfirtCacheWarning', code });
}
