// Builds programs for the hostile `fs-ops` guest (guests/fs-ops) and decodes its results.
// The opcode table and encodings mirror guests/fs-ops/index.ts.
export const ERROR_CODES = [
  'access', 'would-block', 'already', 'bad-descriptor', 'busy', 'deadlock', 'quota', 'exist',
  'file-too-large', 'illegal-byte-sequence', 'in-progress', 'interrupted', 'invalid', 'io',
  'is-directory', 'loop', 'too-many-links', 'message-size', 'name-too-long', 'no-device',
  'no-entry', 'no-lock', 'insufficient-memory', 'insufficient-space', 'not-directory',
  'not-empty', 'not-recoverable', 'unsupported', 'no-tty', 'no-such-device', 'overflow',
  'not-permitted', 'pipe', 'read-only', 'invalid-seek', 'text-file-busy', 'cross-device',
];
export const TYPES = ['unknown', 'block-device', 'character-device', 'directory', 'fifo', 'symbolic-link', 'regular-file', 'socket'];
const ADVICE = ['normal', 'sequential', 'random', 'will-need', 'dont-need', 'no-reuse'];

const OP = {
  getDirectories: 0, openAt: 1, read: 2, write: 3, readDirAll: 4, readDirectory: 5, readDirEntry: 6,
  createDir: 7, removeDir: 8, unlink: 9, symlink: 10, readlink: 11, rename: 12, link: 13, stat: 14,
  statAt: 15, getType: 16, setSize: 17, setTimesAt: 18, setTimes: 19, dropDescriptor: 20,
  dropDirStream: 21, readViaStream: 22, streamRead: 23, dropInput: 24, writeViaStream: 25,
  appendViaStream: 26, streamWrite: 27, dropOutput: 28, getFlags: 29, isSame: 30, metadataHash: 31,
  metadataHashAt: 32, sync: 33, syncData: 34, advise: 35, streamSkip: 36, checkWrite: 37, writeZeroes: 38,
};

/** A handle returned by operation `op` of the same program (`item`: index in get-directories' list). */
export const ref = (op, item = 0) => ({ op, item });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A program: each method appends one operation and returns its index (for `ref`). */
export class Program {
  #bytes = [];
  #ops = [];
  /** Each operation with its arguments, for failure reports. */
  trace = [];

  /** `keep`: leave every handle obtained open after the call (a `reuse` instance keeps them). */
  constructor({ keep = false } = {}) {
    this.#bytes.push(keep ? 1 : 0);
  }

  get ops() { return this.#ops; }

  bytes() { return Uint8Array.from(this.#bytes); }

  #op(name, ...args) {
    this.#bytes.push(OP[name]);
    for (const a of args) a(this.#bytes);
    this.#ops.push(name);
    return this.#ops.length - 1;
  }

  getDirectories() { return this.#op('getDirectories'); }
  openAt(h, path, o = {}) { return this.#op('openAt', handle(h), u8(o.follow ? 1 : 0), str(path), u8(openFlags(o)), u8(descriptorFlags(o))); }
  read(h, length, offset = 0) { return this.#op('read', handle(h), u64(length), u64(offset)); }
  write(h, data, offset = 0) { return this.#op('write', handle(h), str(data), u64(offset)); }
  readDirAll(h) { return this.#op('readDirAll', handle(h)); }
  readDirectory(h) { return this.#op('readDirectory', handle(h)); }
  readDirEntry(h) { return this.#op('readDirEntry', handle(h)); }
  createDir(h, path) { return this.#op('createDir', handle(h), str(path)); }
  removeDir(h, path) { return this.#op('removeDir', handle(h), str(path)); }
  unlink(h, path) { return this.#op('unlink', handle(h), str(path)); }
  symlink(h, target, path) { return this.#op('symlink', handle(h), str(target), str(path)); }
  readlink(h, path) { return this.#op('readlink', handle(h), str(path)); }
  rename(h, from, h2, to) { return this.#op('rename', handle(h), str(from), handle(h2), str(to)); }
  link(h, from, h2, to, { follow = false } = {}) { return this.#op('link', handle(h), u8(follow ? 1 : 0), str(from), handle(h2), str(to)); }
  stat(h) { return this.#op('stat', handle(h)); }
  statAt(h, path, { follow = false } = {}) { return this.#op('statAt', handle(h), u8(follow ? 1 : 0), str(path)); }
  getType(h) { return this.#op('getType', handle(h)); }
  getFlags(h) { return this.#op('getFlags', handle(h)); }
  setSize(h, size) { return this.#op('setSize', handle(h), u64(size)); }
  setTimesAt(h, path, atime, mtime, { follow = false } = {}) { return this.#op('setTimesAt', handle(h), u8(follow ? 1 : 0), str(path), time(atime), time(mtime)); }
  setTimes(h, atime, mtime) { return this.#op('setTimes', handle(h), time(atime), time(mtime)); }
  dropDescriptor(h) { return this.#op('dropDescriptor', handle(h)); }
  dropDirStream(h) { return this.#op('dropDirStream', handle(h)); }
  readViaStream(h, offset = 0) { return this.#op('readViaStream', handle(h), u64(offset)); }
  streamRead(h, length) { return this.#op('streamRead', handle(h), u64(length)); }
  streamSkip(h, length) { return this.#op('streamSkip', handle(h), u64(length)); }
  dropInput(h) { return this.#op('dropInput', handle(h)); }
  writeViaStream(h, offset = 0) { return this.#op('writeViaStream', handle(h), u64(offset)); }
  appendViaStream(h) { return this.#op('appendViaStream', handle(h)); }
  streamWrite(h, data) { return this.#op('streamWrite', handle(h), str(data)); }
  checkWrite(h) { return this.#op('checkWrite', handle(h)); }
  writeZeroes(h, length) { return this.#op('writeZeroes', handle(h), u64(length)); }
  dropOutput(h) { return this.#op('dropOutput', handle(h)); }
  isSame(h, h2) { return this.#op('isSame', handle(h), handle(h2)); }
  metadataHash(h) { return this.#op('metadataHash', handle(h)); }
  metadataHashAt(h, path, { follow = false } = {}) { return this.#op('metadataHashAt', handle(h), u8(follow ? 1 : 0), str(path)); }
  sync(h) { return this.#op('sync', handle(h)); }
  syncData(h) { return this.#op('syncData', handle(h)); }
  advise(h, offset, length, advice = 'normal') { return this.#op('advise', handle(h), u64(offset), u64(length), u8(ADVICE.indexOf(advice))); }
}

// Record every operation with its arguments in `trace` (for failure reports).
for (const name of Object.getOwnPropertyNames(Program.prototype)) {
  const d = Object.getOwnPropertyDescriptor(Program.prototype, name);
  if (!(name in OP) || typeof d.value !== 'function') continue;
  Program.prototype[name] = function (...args) {
    const index = d.value.apply(this, args);
    this.trace[index] = [name, ...args];
    return index;
  };
}

function openFlags(o) {
  return (o.create ? 1 : 0) | (o.directory ? 2 : 0) | (o.exclusive ? 4 : 0) | (o.truncate ? 8 : 0);
}
function descriptorFlags(o) {
  return (o.read ? 1 : 0) | (o.write ? 2 : 0) | (o.fileIntegritySync ? 4 : 0) | (o.dataIntegritySync ? 8 : 0)
    | (o.requestedWriteSync ? 16 : 0) | (o.mutateDirectory ? 32 : 0);
}
const u8 = (v) => (out) => out.push(v & 0xff);
const u32le = (out, v) => { for (let i = 0; i < 4; i++) out.push((v >>> (8 * i)) & 0xff); };
const u64 = (v) => (out) => { let b = BigInt.asUintN(64, BigInt(v)); for (let i = 0; i < 8; i++) { out.push(Number(b & 0xffn)); b >>= 8n; } };
const str = (s) => (out) => {
  const bytes = typeof s === 'string' ? encoder.encode(s) : s;
  u32le(out, bytes.length);
  for (const b of bytes) out.push(b);
};
const handle = (h) => (out) => {
  if (typeof h === 'number') { out.push(0); u32le(out, h >>> 0); return; }
  out.push(1, h.op & 0xff, (h.op >>> 8) & 0xff, h.item & 0xff);
};
/** 'no-change' | 'now' | { seconds, nanoseconds } */
const time = (t) => (out) => {
  if (t === 'no-change') out.push(0);
  else if (t === 'now') out.push(1);
  else { out.push(2); u64(t.seconds)(out); u32le(out, t.nanoseconds ?? 0); }
};

/**
 * Decodes the guest's results: one entry per operation, `{ ok: true, value }`, `{ err: code }`,
 * `{ closed: true }`, `{ streamError: code | null }`, or `{ skipped: true }` (a `ref` to an
 * operation that returned no handle: nothing was called).
 */
export function decode(program, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const r8 = () => view.getUint8(at++);
  const r32 = () => { const v = view.getUint32(at, true); at += 4; return v; };
  const r64 = () => { const v = view.getBigUint64(at, true); at += 8; return v; };
  const rBytes = () => { const n = r32(); const b = bytes.slice(at, at + n); at += n; return b; };
  const rStr = () => decoder.decode(rBytes());
  const rStat = () => {
    const s = { type: TYPES[r8()], linkCount: r64(), size: r64() };
    for (const k of ['atime', 'mtime', 'ctime']) {
      const some = r8(); const seconds = r64(); const nanoseconds = r32();
      s[k] = some ? { seconds, nanoseconds } : undefined;
    }
    return s;
  };
  const results = [];
  for (const name of program.ops) {
    const status = r8();
    if (status === 1) { results.push({ err: ERROR_CODES[r8()] ?? 'unknown' }); continue; }
    if (status === 2) { results.push({ closed: true }); continue; }
    if (status === 3) { const c = r8(); results.push({ streamError: c === 255 ? null : ERROR_CODES[c] }); continue; }
    if (status === 4) { results.push({ skipped: true }); continue; }
    if (status !== 0) throw new Error(`fs-ops: bad status ${status} for ${name}`);
    let value;
    switch (name) {
      case 'getDirectories': { const n = r32(); value = Array.from({ length: n }, () => ({ handle: r32(), path: rStr() })); break; }
      case 'openAt': case 'readDirectory': case 'readViaStream': case 'writeViaStream': case 'appendViaStream': value = r32(); break;
      case 'read': { const eof = !!r8(); value = { eof, data: rBytes() }; break; }
      case 'write': case 'streamSkip': case 'checkWrite': value = r64(); break;
      case 'readDirAll': { const n = r32(); value = Array.from({ length: n }, () => ({ type: TYPES[r8()], name: rStr() })); break; }
      case 'readDirEntry': value = r8() ? { type: TYPES[r8()], name: rStr() } : null; break;
      case 'readlink': value = rStr(); break;
      case 'stat': case 'statAt': value = rStat(); break;
      case 'getType': value = TYPES[r8()]; break;
      case 'getFlags': { const f = r8(); value = { read: !!(f & 1), write: !!(f & 2), mutateDirectory: !!(f & 32) }; break; }
      case 'streamRead': value = rBytes(); break;
      case 'isSame': value = !!r8(); break;
      case 'metadataHash': case 'metadataHashAt': value = { lower: r64(), upper: r64() }; break;
      default: value = undefined;
    }
    results.push({ ok: true, value });
  }
  if (at !== bytes.byteLength) throw new Error(`fs-ops: ${bytes.byteLength - at} trailing bytes`);
  return results;
}

/** Runs a program on a loaded fs-ops function and decodes its results. */
export async function run(fn, program) {
  return decode(program, await fn.call('run', program.bytes()));
}
