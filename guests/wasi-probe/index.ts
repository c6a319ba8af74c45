// The `wasi-probe` guest: each export exercises one WASI 0.2.0 capability and reports what the host
// allowed, so tests can check a host's deny-by-default policy from the inside. Canonical ABI by
// hand: exports whose result flattens to more than one value return a pointer to it.
import {
  alloc, releaseCallMemory, storeString,
} from '../_lib/cabi';
import {
  getEnvironment, getArguments, getStdout, getStderr, blockingWriteAndFlush, dropOutputStream,
  dropIoError, getDirectories, openAt, descriptorRead, descriptorWrite, readDirectory,
  readDirectoryEntry, dropDescriptor, getType, TYPE_DIRECTORY, dropDirectoryEntryStream, FILESYSTEM_ERROR_CODES,
  SYMLINK_FOLLOW, OPEN_CREATE, OPEN_DIRECTORY, OPEN_TRUNCATE, DESCRIPTOR_READ, DESCRIPTOR_WRITE,
  wallClockNow, monotonicNow, getRandomBytes,
} from './wasi';

export { cabi_realloc } from '../_lib/cabi';

/** Bytes per descriptor.read / blocking-write-and-flush call (the latter allows at most 4096). */
const READ_CHUNK: u64 = 65536;
const WRITE_CHUNK: usize = 4096;
const SLASH: u8 = 0x2f;
/** Index of `is-directory` in FILESYSTEM_ERROR_CODES. */
const IS_DIRECTORY: u8 = 14;

// ---- results ----------------------------------------------------------------------------------

/** A result<T, string> buffer: [0] tag, [4] string ptr, [8] string len (12 bytes, align 4). */
function errorResult(ret: usize, message: string): usize {
  store<u8>(ret, 1);
  storeString(ret + 4, message);
  return ret;
}

function filesystemError(ret: usize, code: u8): usize {
  return errorResult(ret, code < <u8>FILESYSTEM_ERROR_CODES.length ? FILESYSTEM_ERROR_CODES[code] : 'unknown');
}

// ---- preopens ----------------------------------------------------------------------------------

/** Relative path inside the preopen that `resolvePreopen` chose. */
let relativePtr: usize = 0;
let relativeLength: usize = 0;

function hasPrefix(path: usize, pathLength: usize, prefix: usize, prefixLength: usize): bool {
  if (prefixLength > pathLength) return false;
  if (memory.compare(path, prefix, prefixLength) != 0) return false;
  return prefixLength == pathLength
    || load<u8>(path + prefixLength) == SLASH
    || (prefixLength > 0 && load<u8>(prefix + prefixLength - 1) == SLASH);
}

/**
 * Finds the preopen whose guest path is the longest prefix of the absolute `path`, drops the
 * handles of all the others, and returns its descriptor handle (or -1). Sets `relativePtr` /
 * `relativeLength` to the rest of the path ("." for the preopen itself).
 */
function resolvePreopen(path: usize, pathLength: usize): i32 {
  const list = alloc(8);
  getDirectories(list);
  const entries = <usize>load<u32>(list);
  const count = load<u32>(list, 4);
  let best: i32 = -1;
  let bestLength: usize = 0;
  for (let i: u32 = 0; i < count; i++) {
    const entry = entries + <usize>i * 12;
    const name = <usize>load<u32>(entry, 4);
    const nameLength = <usize>load<u32>(entry, 8);
    if (hasPrefix(path, pathLength, name, nameLength) && (best < 0 || nameLength > bestLength)) {
      best = <i32>i;
      bestLength = nameLength;
    }
  }
  for (let i: u32 = 0; i < count; i++) {
    if (<i32>i != best) dropDescriptor(load<i32>(entries + <usize>i * 12));
  }
  if (best < 0) return -1;
  let start = bestLength;
  while (start < pathLength && load<u8>(path + start) == SLASH) start++;
  if (start == pathLength) {
    relativePtr = alloc(1);
    store<u8>(relativePtr, 0x2e); // "."
    relativeLength = 1;
  } else {
    relativePtr = path + start;
    relativeLength = pathLength - start;
  }
  return load<i32>(entries + <usize>best * 12);
}

/** Opens `path` through its preopen; on failure writes the error to `ret` and returns -1. */
function open(path: usize, pathLength: usize, openFlags: i32, flags: i32, ret: usize): i32 {
  const dir = resolvePreopen(path, pathLength);
  if (dir < 0) {
    errorResult(ret, 'no preopen for ' + String.UTF8.decodeUnsafe(path, pathLength));
    return -1;
  }
  const opened = alloc(8);
  openAt(dir, SYMLINK_FOLLOW, relativePtr, relativeLength, openFlags, flags, opened);
  dropDescriptor(dir);
  if (load<u8>(opened) != 0) {
    filesystemError(ret, load<u8>(opened, 4));
    return -1;
  }
  return load<i32>(opened, 4);
}

// ---- exports -----------------------------------------------------------------------------------

/** `env: func() -> list<tuple<string, string>>`: the host's lowered list is already our result. */
export function env(): usize {
  const ret = alloc(8);
  getEnvironment(ret);
  return ret;
}

/** `args: func() -> list<string>` */
export function args(): usize {
  const ret = alloc(8);
  getArguments(ret);
  return ret;
}

function writeAll(stream: i32, ptr: usize, length: usize): void {
  const ret = alloc(12);
  let offset: usize = 0;
  while (offset < length) {
    const n = min(WRITE_CHUNK, length - offset);
    blockingWriteAndFlush(stream, ptr + offset, n, ret);
    if (load<u8>(ret) != 0) {
      // stream-error: drop the error resource of last-operation-failed; stop writing either way.
      if (load<u8>(ret, 4) == 0) dropIoError(load<i32>(ret, 8));
      break;
    }
    offset += n;
  }
  dropOutputStream(stream);
}

/** `print: func(out: string, err: string)` */
export function print(out: usize, outLength: usize, err: usize, errLength: usize): void {
  writeAll(getStdout(), out, outLength);
  writeAll(getStderr(), err, errLength);
}

/** `read-file: func(path: string) -> result<string, string>` */
export function read_file(path: usize, pathLength: usize): usize {
  const ret = alloc(12);
  const file = open(path, pathLength, 0, DESCRIPTOR_READ, ret);
  if (file < 0) return ret;
  // Reading a directory would surface as a host exception with some hosts; ask first.
  const type = alloc(2);
  getType(file, type);
  if (load<u8>(type) != 0 || load<u8>(type, 1) == TYPE_DIRECTORY) {
    dropDescriptor(file);
    return filesystemError(ret, load<u8>(type) != 0 ? load<u8>(type, 1) : IS_DIRECTORY);
  }
  const chunk = alloc(16);
  let data: usize = 0;
  let size: usize = 0;
  while (true) {
    descriptorRead(file, READ_CHUNK, <u64>size, chunk);
    if (load<u8>(chunk) != 0) {
      dropDescriptor(file);
      return filesystemError(ret, load<u8>(chunk, 4));
    }
    const bytes = <usize>load<u32>(chunk, 4);
    const n = <usize>load<u32>(chunk, 8);
    const eof = load<u8>(chunk, 12);
    if (n > 0) {
      const grown = alloc(size + n);
      if (size > 0) memory.copy(grown, data, size);
      memory.copy(grown + size, bytes, n);
      data = grown;
      size += n;
    }
    if (eof != 0 || n == 0) break;
  }
  dropDescriptor(file);
  store<u8>(ret, 0);
  store<u32>(ret, <u32>data, 4);
  store<u32>(ret, <u32>size, 8);
  return ret;
}

/** `write-file: func(path: string, contents: string) -> result<_, string>` */
export function write_file(path: usize, pathLength: usize, contents: usize, contentsLength: usize): usize {
  const ret = alloc(12);
  const file = open(path, pathLength, OPEN_CREATE | OPEN_TRUNCATE, DESCRIPTOR_WRITE, ret);
  if (file < 0) return ret;
  const written = alloc(16);
  let offset: usize = 0;
  while (offset < contentsLength) {
    descriptorWrite(file, contents + offset, contentsLength - offset, <u64>offset, written);
    if (load<u8>(written) != 0) {
      dropDescriptor(file);
      return filesystemError(ret, load<u8>(written, 8));
    }
    const n = <usize>load<u64>(written, 8);
    if (n == 0) {
      dropDescriptor(file);
      return errorResult(ret, 'io');
    }
    offset += n;
  }
  dropDescriptor(file);
  store<u8>(ret, 0);
  return ret;
}

/** `list-dir: func(path: string) -> result<list<string>, string>` */
export function list_dir(path: usize, pathLength: usize): usize {
  const ret = alloc(12);
  const dir = open(path, pathLength, OPEN_DIRECTORY, DESCRIPTOR_READ, ret);
  if (dir < 0) return ret;
  const opened = alloc(8);
  readDirectory(dir, opened);
  if (load<u8>(opened) != 0) {
    dropDescriptor(dir);
    return filesystemError(ret, load<u8>(opened, 4));
  }
  const stream = load<i32>(opened, 4);
  const entry = alloc(20);
  let names: usize = 0;
  let count: usize = 0;
  while (true) {
    readDirectoryEntry(stream, entry);
    if (load<u8>(entry) != 0) {
      dropDirectoryEntryStream(stream);
      dropDescriptor(dir);
      return filesystemError(ret, load<u8>(entry, 4));
    }
    if (load<u8>(entry, 4) == 0) break; // none: end of directory
    const grown = alloc((count + 1) * 8);
    if (count > 0) memory.copy(grown, names, count * 8);
    store<u32>(grown + count * 8, load<u32>(entry, 12));
    store<u32>(grown + count * 8, load<u32>(entry, 16), 4);
    names = grown;
    count++;
  }
  dropDirectoryEntryStream(stream);
  dropDescriptor(dir);
  store<u8>(ret, 0);
  store<u32>(ret, <u32>names, 4);
  store<u32>(ret, <u32>count, 8);
  return ret;
}

/** `preopens: func() -> list<string>` */
export function preopens(): usize {
  const list = alloc(8);
  getDirectories(list);
  const entries = <usize>load<u32>(list);
  const count = <usize>load<u32>(list, 4);
  const names = alloc(count * 8);
  for (let i: usize = 0; i < count; i++) {
    const entry = entries + i * 12;
    dropDescriptor(load<i32>(entry));
    store<u32>(names + i * 8, load<u32>(entry, 4));
    store<u32>(names + i * 8, load<u32>(entry, 8), 4);
  }
  const ret = alloc(8);
  store<u32>(ret, <u32>names);
  store<u32>(ret, <u32>count, 4);
  return ret;
}

/** `wall-clock: func() -> u64`: nanoseconds since the Unix epoch. */
export function wall_clock(): u64 {
  const now = alloc(16);
  wallClockNow(now);
  return load<u64>(now) * 1_000_000_000 + <u64>load<u32>(now, 8);
}

/** `monotonic: func() -> u64` */
export function monotonic(): u64 {
  return monotonicNow();
}

/** `random: func(n: u32) -> list<u8>` */
export function random(n: u32): usize {
  const ret = alloc(8);
  getRandomBytes(<u64>n, ret);
  return ret;
}

// Post-return functions: the host has read the results; free everything this call allocated.
export function cabi_post_env(ret: usize): void { releaseCallMemory(); }
export function cabi_post_args(ret: usize): void { releaseCallMemory(); }
export function cabi_post_print(): void { releaseCallMemory(); }
export function cabi_post_read_file(ret: usize): void { releaseCallMemory(); }
export function cabi_post_write_file(ret: usize): void { releaseCallMemory(); }
export function cabi_post_list_dir(ret: usize): void { releaseCallMemory(); }
export function cabi_post_preopens(ret: usize): void { releaseCallMemory(); }
export function cabi_post_wall_clock(result: u64): void { releaseCallMemory(); }
export function cabi_post_monotonic(result: u64): void { releaseCallMemory(); }
export function cabi_post_random(ret: usize): void { releaseCallMemory(); }
