/**
 * `wasi:filesystem/types.descriptor`: a directory (a `DirHandle`) or a file (a host fd), always
 * tied to the preopen it was reached from. Every `*-at` path is resolved under the descriptor
 * itself (`resolve.ts`); a descriptor is a capability for its own subtree and nothing else.
 *
 * Rules every method applies, in this order:
 * 1. `this` must be a live descriptor of ours: a handle the guest made up reaches us as a bare
 *    object of this class (jco does not check borrowed handles), and a dropped one is closed;
 *    both are `bad-descriptor`, never a host exception.
 * 2. A descriptor reached from a read-only preopen refuses every mutation (`read-only`), whatever
 *    the open flags or the other descriptor of a `rename-at` / `link-at` say.
 * 3. `rename-at` and `link-at` stay within one preopen (`cross-device`).
 * 4. Failures are `error-code`s (`errors.ts`); nothing else is thrown. Past the calling guest's
 *    deadline no method does host work (`interrupted`, see `deadline.ts`).
 * 5. On a grant with a disk quota (`quota.ts`), what grows the tree is charged before the host
 *    call (`quota` when it would not fit) and what shrinks it is refunded after.
 */
import {
  closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync,
  lstatSync, lutimesSync, mkdirSync, readSync, renameSync, rmdirSync, symlinkSync, unlinkSync,
  utimesSync, writeSync, type BigIntStats, type Stats,
} from 'node:fs';
import { O_DIRECTORY, O_NONBLOCK, type DirHandle } from './dir-handle.js';
import { DirectoryEntryStream } from './directory-stream.js';
import { fsError } from './errors.js';
import { DESCRIPTOR, type OpenFiles } from './open-files.js';
import { parseLinkTarget, targetStaysBelow } from './path.js';
import type { PreopenRoot } from './preopens.js';
import { pastDeadline } from './deadline.js';
import { walkPath, type Walk } from './resolve.js';
import type { DiskUsage } from './quota.js';
import { descriptorStat, metadataHash, timestampSeconds, typeOfMode } from './stat.js';
import { FileInputStream, FileOutputStream, MAX_READ_BYTES } from './streams.js';
import type {
  DescriptorFlags, DescriptorStat, DescriptorType, MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
} from './types.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC } = constants;
const O_SYNC = constants.O_SYNC ?? 0;
const O_DSYNC = constants.O_DSYNC ?? 0;
/** Mode of files the guest creates (before the host's umask), as Node's own default. */
const FILE_MODE = 0o666;
const ADVICE = new Set(['normal', 'sequential', 'random', 'will-need', 'dont-need', 'no-reuse']);

interface State {
  readonly files: OpenFiles;
  readonly root: PreopenRoot;
  readonly type: DescriptorType;
  readonly flags: DescriptorFlags;
  /** A directory's handle (undefined for a preopen whose root could not be opened). */
  handle: DirHandle | undefined;
  /** A file's host fd (-1 for directories). */
  fd: number;
  /** Preopens share their grant's root handle: dropping one releases nothing. */
  readonly preopen: boolean;
  closed: boolean;
}

/** Offsets are u64; Node takes safe integers. Past 2^53 a read is at end of file. */
function offsetOf(offset: bigint): number | undefined {
  return typeof offset === 'bigint' && offset >= 0n && offset <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(offset) : undefined;
}

function hostCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fsError(err);
  }
}

/** `lstat` of entry `name` of `dir`, or undefined when there is none (for quota bookkeeping). */
function existing(dir: DirHandle, name: string): Stats | undefined {
  try {
    return lstatSync(dir.child(name));
  } catch {
    return undefined;
  }
}

/** `lstat` of the walk's last component (or of its directory, when the path names that). */
function statWalk(walk: Walk): BigIntStats {
  if (walk.name === undefined) return walk.dir.stat();
  const name = walk.name;
  const s = hostCall(() => lstatSync(walk.dir.child(name), { bigint: true }));
  if (walk.dirOnly && !s.isDirectory()) throw 'not-directory';
  return s;
}

export class Descriptor {
  #s: State | undefined;

  /** A preopen's descriptor for one instance (created at instantiation; survives `reset`). */
  static preopen(files: OpenFiles, root: PreopenRoot): Descriptor {
    const flags = { read: true, mutateDirectory: !root.readOnly };
    const d = Descriptor.#create({ files, root, type: 'directory', flags, handle: root.acquire(), fd: -1, preopen: true, closed: false });
    return files.scope.track(d, DESCRIPTOR, (x) => x.#close());
  }

  static #create(state: State): Descriptor {
    const d = new Descriptor();
    d.#s = state;
    return d;
  }

  /** The state of a live descriptor of ours, else `bad-descriptor`; `interrupted` past the call's deadline. */
  static #state(d: unknown): State {
    if (typeof d !== 'object' || d === null || !(#s in d)) throw 'bad-descriptor';
    const s = (d as Descriptor).#s;
    if (!s || s.closed) throw 'bad-descriptor';
    if (pastDeadline()) throw 'interrupted';
    return s;
  }

  // The helpers below are static and take the receiver as an argument: a private *method* called
  // on a bare object (a made-up handle) would throw V8's brand-check TypeError before our check.

  /** A directory descriptor's handle, checked to still name its directory. */
  static #dir(d: unknown): DirHandle {
    const s = Descriptor.#state(d);
    if (s.type !== 'directory') throw 'not-directory';
    if (!s.handle) throw 'no-entry';
    s.handle.verify();
    return s.handle;
  }

  /** Like `#dir`, for operations that change the tree. */
  static #mutableDir(d: unknown): DirHandle {
    const s = Descriptor.#state(d);
    if (s.type === 'directory' && s.root.readOnly) throw 'read-only';
    return Descriptor.#dir(d);
  }

  /** A file descriptor's state. */
  static #file(d: unknown): State {
    const s = Descriptor.#state(d);
    if (s.type === 'directory') throw 'is-directory';
    return s;
  }

  /** The other directory of a `rename-at` / `link-at`: ours, a directory, same preopen, writable. */
  static #peer(d: unknown, other: unknown): DirHandle {
    const mine = Descriptor.#state(d);
    const theirs = Descriptor.#state(other);
    if (theirs.root !== mine.root) throw 'cross-device';
    return Descriptor.#mutableDir(other);
  }

  /** Runs `create`, which adds one entry to the tree, within the grant's quota. */
  static #creating(d: unknown, create: () => void): void {
    const usage = Descriptor.#state(d).root.usage;
    if (usage) usage.withEntry(create);
    else create();
  }

  /** Runs `remove`, which takes entry `name` of `dir` out of the tree, and refunds what that frees. */
  static #removing(d: unknown, dir: DirHandle, name: string, remove: () => void): void {
    const usage = Descriptor.#state(d).root.usage;
    const gone = usage && existing(dir, name);
    remove();
    if (gone) usage!.removed(gone);
  }

  readViaStream(offset: bigint): FileInputStream {
    const s = Descriptor.#file(this);
    if (!s.flags.read) throw 'bad-descriptor';
    const at = offsetOf(offset);
    if (at === undefined) throw 'invalid';
    s.files.admit();
    return FileInputStream.create(s, at);
  }

  writeViaStream(offset: bigint): FileOutputStream {
    const s = Descriptor.#writableFile(this);
    const at = offsetOf(offset);
    if (at === undefined) throw 'file-too-large';
    s.files.admit();
    return FileOutputStream.create(s, at, false);
  }

  appendViaStream(): FileOutputStream {
    const s = Descriptor.#writableFile(this);
    s.files.admit();
    return FileOutputStream.create(s, 0, true);
  }

  static #writableFile(d: unknown): State {
    const s = Descriptor.#file(d);
    if (s.root.readOnly) throw 'read-only';
    if (!s.flags.write) throw 'bad-descriptor';
    return s;
  }

  advise(offset: bigint, length: bigint, advice: string): void {
    const s = Descriptor.#state(this);
    if (s.type === 'directory') throw 'bad-descriptor';
    if (typeof offset !== 'bigint' || typeof length !== 'bigint' || !ADVICE.has(advice)) throw 'invalid';
    // Advice only; Node has no posix_fadvise.
  }

  syncData(): void {
    Descriptor.#sync(this, fdatasyncSync);
  }

  sync(): void {
    Descriptor.#sync(this, fsyncSync);
  }

  static #sync(d: unknown, fn: (fd: number) => void): void {
    const s = Descriptor.#state(d);
    if (s.type !== 'directory') return hostCall(() => fn(s.fd));
    const dir = Descriptor.#dir(d);
    const fd = dir.open(undefined, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    try {
      hostCall(() => fn(fd));
    } finally {
      closeSync(fd);
    }
  }

  getFlags(): DescriptorFlags {
    return { ...Descriptor.#state(this).flags };
  }

  getType(): DescriptorType {
    return Descriptor.#state(this).type;
  }

  setSize(size: bigint): void {
    const s = Descriptor.#file(this);
    if (s.root.readOnly) throw 'read-only';
    if (!s.flags.write) throw 'bad-descriptor';
    const n = offsetOf(size);
    if (n === undefined) throw 'file-too-large';
    const usage = s.root.usage;
    hostCall(() => (usage ? usage.withGrowth(s.fd, () => n, () => Descriptor.#truncate(usage, s.fd, n)) : ftruncateSync(s.fd, n)));
  }

  /** Sets a file's size, refunding what a shrink frees. */
  static #truncate(usage: DiskUsage, fd: number, size: number): void {
    const before = fstatSync(fd).size;
    ftruncateSync(fd, size);
    if (size < before) usage.refundBytes(before - size);
  }

  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    const s = Descriptor.#state(this);
    if (s.root.readOnly) throw 'read-only';
    if (s.type === 'directory') {
      const dir = Descriptor.#mutableDir(this);
      const [a, m] = times(atime, mtime, () => dir.stat());
      if (a !== undefined) hostCall(() => utimesSync(dir.path, a, m!));
      return;
    }
    if (!s.flags.write) throw 'not-permitted';
    const [a, m] = times(atime, mtime, () => hostCall(() => fstatSync(s.fd, { bigint: true })));
    if (a !== undefined) hostCall(() => futimesSync(s.fd, a, m!));
  }

  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const s = Descriptor.#file(this);
    if (!s.flags.read) throw 'bad-descriptor';
    if (typeof length !== 'bigint' || typeof offset !== 'bigint' || length < 0n || offset < 0n) throw 'invalid';
    const at = offsetOf(offset);
    if (at === undefined || length === 0n) return [new Uint8Array(0), at === undefined];
    const want = length > BigInt(MAX_READ_BYTES) ? MAX_READ_BYTES : Number(length);
    const buf = new Uint8Array(want);
    const got = hostCall(() => readSync(s.fd, buf, 0, want, at));
    return [got === want ? buf : buf.subarray(0, got), got < want];
  }

  write(buffer: Uint8Array, offset: bigint): bigint {
    const s = Descriptor.#writableFile(this);
    const at = offsetOf(offset);
    if (at === undefined || !(buffer instanceof Uint8Array)) throw at === undefined ? 'file-too-large' : 'invalid';
    const write = () => writeSync(s.fd, buffer, 0, buffer.byteLength, at);
    const usage = s.root.usage;
    return BigInt(hostCall(() => (usage ? usage.withGrowth(s.fd, () => at + buffer.byteLength, write) : write())));
  }

  readDirectory(): DirectoryEntryStream {
    const dir = Descriptor.#dir(this);
    const s = Descriptor.#state(this);
    s.files.admit();
    return DirectoryEntryStream.open(s.files, dir, s);
  }

  createDirectoryAt(path: string): void {
    walkPath(Descriptor.#mutableDir(this), path, (walk) => {
      const name = walk.name;
      if (name === undefined) throw 'exist';
      Descriptor.#creating(this, () => hostCall(() => mkdirSync(walk.dir.child(name), 0o777)));
    });
  }

  stat(): DescriptorStat {
    const s = Descriptor.#state(this);
    return descriptorStat(s.type === 'directory' ? Descriptor.#dir(this).stat() : hostCall(() => fstatSync(s.fd, { bigint: true })));
  }

  statAt(pathFlags: PathFlags, path: string): DescriptorStat {
    return descriptorStat(Descriptor.#statAt(this, pathFlags, path));
  }

  static #statAt(d: unknown, pathFlags: PathFlags, path: string): BigIntStats {
    return walkPath(Descriptor.#dir(d), path, (walk) => {
      if (pathFlags?.symlinkFollow || walk.dirOnly) walk.follow();
      return statWalk(walk);
    });
  }

  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    walkPath(Descriptor.#mutableDir(this), path, (walk) => {
      if (pathFlags?.symlinkFollow || walk.dirOnly) walk.follow();
      const [a, m] = times(atime, mtime, () => statWalk(walk));
      if (a === undefined) return;
      const name = walk.name;
      // Resolution already followed what was to be followed: never let the host follow more.
      hostCall(() => (name === undefined ? utimesSync(walk.dir.path, a, m!) : lutimesSync(walk.dir.child(name), a, m!)));
    });
  }

  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const from = Descriptor.#mutableDir(this);
    const to = Descriptor.#peer(this, newDescriptor);
    walkPath(from, oldPath, (source) => {
      if (oldPathFlags?.symlinkFollow) source.follow();
      const oldName = source.name;
      if (oldName === undefined) throw 'not-permitted'; // a directory (hard links to them are not allowed)
      walkPath(to, newPath, (target) => {
        const newName = target.name;
        if (newName === undefined) throw 'exist';
        // The source was resolved under this descriptor: only something already inside can be linked.
        Descriptor.#creating(this, () => hostCall(() => linkSync(source.dir.child(oldName), target.dir.child(newName))));
      });
    });
  }

  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    const s = Descriptor.#state(this);
    const create = !!openFlags?.create, exclusive = !!openFlags?.exclusive, truncate = !!openFlags?.truncate;
    const wantDirectory = !!openFlags?.directory;
    const read = !!flags?.read, write = !!flags?.write;
    if (s.type === 'directory' && s.root.readOnly && (create || exclusive || truncate || write || flags?.mutateDirectory)) throw 'read-only';
    const dir = Descriptor.#dir(this);
    if (create && wantDirectory) throw 'invalid';
    s.files.admit();
    let hostFlags = (write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY) | O_NONBLOCK
      | (create ? O_CREAT : 0) | (exclusive ? O_EXCL : 0) | (truncate ? O_TRUNC : 0) | (wantDirectory ? O_DIRECTORY : 0)
      | (flags?.fileIntegritySync || flags?.requestedWriteSync ? O_SYNC : 0) | (flags?.dataIntegritySync ? O_DSYNC : 0);
    const { fd, handle, type } = walkPath(dir, path, (walk): { fd: number; handle: DirHandle | undefined; type: DescriptorType } => {
      if (walk.dirOnly) hostFlags |= O_DIRECTORY;
      const follow = !!pathFlags?.symlinkFollow || walk.dirOnly;
      const usage = s.root.usage;
      for (;;) {
        let fd: number;
        // Quota: a new file is an entry; truncating an existing one frees its data.
        const before = usage && walk.name !== undefined && (create || truncate) ? existing(walk.dir, walk.name) : undefined;
        const adds = !!usage && create && walk.name !== undefined && before === undefined;
        try {
          if (adds) usage.chargeEntry();
          try {
            fd = walk.dir.open(walk.name, hostFlags, FILE_MODE);
          } catch (err) {
            if (adds) usage.refundEntry();
            throw err;
          }
          if (before?.isFile() && truncate) usage!.refundBytes(before.size);
        } catch (code) {
          // O_NOFOLLOW met a symlink (ELOOP, or ENOTDIR with O_DIRECTORY): follow it ourselves.
          const name = walk.name;
          if (!follow || name === undefined || !(code === 'loop' || (code === 'not-directory' && hostFlags & O_DIRECTORY))) throw code;
          const target = walk.dir.readLink(name);
          if (target === undefined) throw code;
          walk.through(target);
          continue;
        }
        let mode: number;
        try {
          mode = fstatSync(fd).mode;
        } catch (err) {
          closeSync(fd);
          throw fsError(err);
        }
        const type = typeOfMode(mode);
        if (type === 'regular-file') usage?.opened(fd);
        if (type !== 'directory') return { fd, handle: undefined, type };
        return { fd: -1, handle: walk.dir.adopt(walk.name, fd), type };
      }
    });
    const opened = Descriptor.#create({
      files: s.files, root: s.root, type, flags: { ...flags }, handle, fd, preopen: false, closed: false,
    });
    return s.files.scope.track(opened, DESCRIPTOR, (x) => x.#close());
  }

  readlinkAt(path: string): string {
    return walkPath(Descriptor.#dir(this), path, (walk) => {
      const name = walk.name;
      if (name === undefined) throw 'invalid';
      const target = walk.dir.readLink(name);
      if (target === undefined) {
        statWalk(walk); // `no-entry` for nothing there
        throw 'invalid';
      }
      // Only a target that stays under this descriptor is shown: others would name host paths.
      if (!targetStaysBelow(parseLinkTarget(target), walk.depth)) throw 'not-permitted';
      return target;
    });
  }

  removeDirectoryAt(path: string): void {
    walkPath(Descriptor.#mutableDir(this), path, (walk) => {
      const name = walk.name;
      if (name === undefined) throw 'invalid';
      Descriptor.#removing(this, walk.dir, name, () => hostCall(() => rmdirSync(walk.dir.child(name))));
    });
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const from = Descriptor.#mutableDir(this);
    const to = Descriptor.#peer(this, newDescriptor);
    walkPath(from, oldPath, (source) => {
      const oldName = source.name;
      if (oldName === undefined) throw 'busy';
      if (source.dirOnly) statWalk(source);
      walkPath(to, newPath, (target) => {
        const newName = target.name;
        if (newName === undefined) throw 'busy';
        const rename = () => hostCall(() => renameSync(source.dir.child(oldName), target.dir.child(newName)));
        const usage = Descriptor.#state(this).root.usage;
        const from = usage && existing(source.dir, oldName);
        // Renaming over an entry removes it (unless both names are links to one file: a no-op).
        if (from && existing(target.dir, newName)?.ino !== from.ino) Descriptor.#removing(this, target.dir, newName, rename);
        else rename();
      });
    });
  }

  symlinkAt(oldPath: string, newPath: string): void {
    const dir = Descriptor.#mutableDir(this);
    const parts = parseLinkTarget(oldPath);
    walkPath(dir, newPath, (walk) => {
      const name = walk.name;
      if (name === undefined) throw 'exist';
      // Refused at creation when it would lead above this descriptor from where it is placed
      // (resolution checks again on every use: a rename can still move it; see README).
      if (!targetStaysBelow(parts, walk.depth)) throw 'not-permitted';
      Descriptor.#creating(this, () => hostCall(() => symlinkSync(oldPath, walk.dir.child(name))));
    });
  }

  unlinkFileAt(path: string): void {
    walkPath(Descriptor.#mutableDir(this), path, (walk) => {
      const name = walk.name;
      if (name === undefined) throw 'is-directory';
      if (walk.dirOnly) throw statWalk(walk).isDirectory() ? 'is-directory' : 'not-directory';
      Descriptor.#removing(this, walk.dir, name, () => hostCall(() => unlinkSync(walk.dir.child(name))));
    });
  }

  isSameObject(other: Descriptor): boolean {
    try {
      const a = Descriptor.#identity(this);
      const b = Descriptor.#identity(other);
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  }

  static #identity(d: unknown): BigIntStats {
    const s = Descriptor.#state(d);
    return s.type === 'directory' ? Descriptor.#dir(d).stat() : hostCall(() => fstatSync(s.fd, { bigint: true }));
  }

  metadataHash(): MetadataHashValue {
    return metadataHash(Descriptor.#identity(this));
  }

  metadataHashAt(pathFlags: PathFlags, path: string): MetadataHashValue {
    return metadataHash(Descriptor.#statAt(this, pathFlags, path));
  }

  /** The guest dropped its handle. Preopens stay open: their root belongs to the grant. */
  [Symbol.dispose](): void {
    if (!(#s in this)) return;
    const s = this.#s;
    if (!s || s.closed || s.preopen) return;
    s.files.scope.untrack(this);
    this.#close();
  }

  #close(): void {
    const s = this.#s;
    if (!s || s.closed) return;
    s.closed = true;
    if (s.preopen) {
      s.root.release();
      return;
    }
    s.handle?.close();
    if (s.fd >= 0) {
      if (s.type === 'regular-file') s.root.usage?.closing(s.fd);
      try { closeSync(s.fd); } catch { /* already closed */ }
    }
  }
}

/** Both new times in seconds (undefined when neither changes), reading the current ones only if needed. */
function times(atime: NewTimestamp, mtime: NewTimestamp, current: () => BigIntStats): [number | undefined, number | undefined] {
  if (atime?.tag === 'no-change' && mtime?.tag === 'no-change') return [undefined, undefined];
  const now = atime?.tag === 'no-change' || mtime?.tag === 'no-change' ? current() : undefined;
  return [timestampSeconds(atime, now?.atimeNs), timestampSeconds(mtime, now?.mtimeNs)];
}
