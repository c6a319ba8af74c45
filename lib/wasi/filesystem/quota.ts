/**
 * What a read-write grant may hold on disk: at most `maxBytes` of file data and `maxEntries`
 * entries (files, directories, symlinks, hard links), counted over the grant's whole tree. Without
 * it a guest filled the host's disk through a writable preopen: one sparse `set-size` made a
 * 16 TiB file, and a loop of `create-directory-at` spends inodes for as long as it runs.
 *
 * The tree is measured once, when the grant is loaded (a walk of at most `maxEntries + 1`
 * entries: a bigger tree is full, and the guest may then only shrink it); from then on every
 * mutation through the grant is charged or refunded here, before the host call that grows the
 * tree (`quota` to the guest when it would not fit). Sizes are logical (a sparse file costs its
 * length), hard-linked data is counted once, and data a guest still holds open after unlinking it
 * stays charged until its last descriptor closes (else unlink-while-open would refund bytes still
 * on disk). The count is per loaded function and per thread: changes made by host processes,
 * other functions or other worker threads granted the same directory are not seen (each stays
 * within its own quota of what it measured).
 */
import { fstatSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** Default `maxBytes` of a read-write grant: 1 GiB of file data. */
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/** Default `maxEntries` of a read-write grant. */
export const DEFAULT_MAX_ENTRIES = 10_000;

export interface DiskLimits {
  /** Bytes of file data the tree may hold (`Infinity`: no limit). */
  maxBytes: number;
  /** Entries the tree may hold, the grant's own directory not counted (`Infinity`: no limit). */
  maxEntries: number;
}

const inode = (s: { dev: number; ino: number }) => `${s.dev}:${s.ino}`;

export class DiskUsage {
  bytes = 0;
  entries = 0;
  /** Regular files open through our descriptors: inode → descriptors. */
  readonly #open = new Map<string, number>();

  private constructor(readonly limits: DiskLimits) {}

  /**
   * Measures the tree at `hostPath` (the host's own directory, at load). Undefined when neither
   * limit applies. Entries past `maxEntries` are not walked: the tree is then full.
   */
  static measure(hostPath: string, limits: DiskLimits): DiskUsage | undefined {
    if (limits.maxBytes === Infinity && limits.maxEntries === Infinity) return undefined;
    const usage = new DiskUsage(limits);
    const linked = new Set<string>();
    const dirs = [hostPath];
    walk: while (dirs.length) {
      const dir = dirs.pop()!;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (++usage.entries > limits.maxEntries) break walk;
        let s: Stats;
        try {
          s = lstatSync(join(dir, name));
        } catch {
          continue;
        }
        if (s.isDirectory()) dirs.push(join(dir, name));
        else if (s.isFile() && (s.nlink === 1 || !linked.has(inode(s)))) {
          if (s.nlink > 1) linked.add(inode(s));
          usage.bytes += s.size;
        }
      }
    }
    return usage;
  }

  /** Whether the tree already holds its limit (for the load-time warning). */
  get full(): boolean {
    return this.entries >= this.limits.maxEntries || this.bytes >= this.limits.maxBytes;
  }

  /** Charges `n` more bytes of file data, or throws `quota`. */
  chargeBytes(n: number): void {
    if (!(n > 0)) return;
    if (this.bytes + n > this.limits.maxBytes) throw 'quota';
    this.bytes += n;
  }

  refundBytes(n: number): void {
    if (n > 0) this.bytes = Math.max(0, this.bytes - n);
  }

  /** Charges one more entry, or throws `quota`. */
  chargeEntry(): void {
    if (this.entries + 1 > this.limits.maxEntries) throw 'quota';
    this.entries++;
  }

  refundEntry(): void {
    this.entries = Math.max(0, this.entries - 1);
  }

  /** Runs `create` (which makes one entry), charged before and refunded if it fails. */
  withEntry<T>(create: () => T): T {
    this.chargeEntry();
    try {
      return create();
    } catch (err) {
      this.refundEntry();
      throw err;
    }
  }

  /**
   * Runs `write`, which may grow the file open as `fd` to `end` bytes at most: the growth is
   * charged first (`quota` when it does not fit) and what the file did not grow is given back.
   */
  withGrowth<T>(fd: number, end: (size: number) => number, write: () => T): T {
    const before = fstatSync(fd).size;
    const charged = Math.max(0, end(before) - before);
    this.chargeBytes(charged);
    try {
      return write();
    } finally {
      if (charged > 0) {
        let after = before + charged;
        try {
          after = fstatSync(fd).size;
        } catch { /* keep the charge */ }
        this.refundBytes(before + charged - Math.max(after, before));
      }
    }
  }

  /** A regular file was opened (as `fd`) through a descriptor of the grant. */
  opened(fd: number): void {
    try {
      const s = fstatSync(fd);
      if (!s.isFile()) return;
      const key = inode(s);
      this.#open.set(key, (this.#open.get(key) ?? 0) + 1);
    } catch { /* not counted: nothing to release later */ }
  }

  /** `fd` (opened with `opened`) is about to close: a file unlinked meanwhile frees its data now. */
  closing(fd: number): void {
    let s: Stats;
    try {
      s = fstatSync(fd);
    } catch {
      return;
    }
    const key = inode(s);
    const count = this.#open.get(key);
    if (count === undefined) return;
    if (count > 1) {
      this.#open.set(key, count - 1);
      return;
    }
    this.#open.delete(key);
    if (s.nlink === 0) this.refundBytes(s.size);
  }

  /**
   * `gone` (an `lstat` taken before an unlink, rename-over or rmdir that succeeded) no longer has
   * this name: one entry less, and its data when that was its last link and nothing holds it open.
   */
  removed(gone: Stats): void {
    this.refundEntry();
    if (gone.isFile() && gone.nlink === 1 && !this.#open.has(inode(gone))) this.refundBytes(gone.size);
  }
}
