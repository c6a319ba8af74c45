// The `fs-ops` guest: an interpreter of `wasi:filesystem` calls. `run(program)` executes each
// operation of `program` in order, exactly as encoded (any descriptor number, any path, any
// flags), and returns one result per operation. The tests build programs and decode results with
// test/wasi/fs-ops.mjs, whose opcode table must match this one.
//
// Program: flags:u8 (bit 0: keep the handles it obtained after the call; otherwise every handle
// obtained and not dropped is dropped at the end), then operations `opcode:u8 args...`, all
// little-endian. Argument encodings:
//   handle  kind:u8 — 0: a raw handle number (u32 follows); 1: a handle an earlier operation of
//           this program returned (op index u16, item u8: the item of get-directories' list)
//   str/bytes  len:u32 then the bytes        u8 / u32 / u64 as such
//   time    tag:u8 (0 no-change, 1 now, 2 timestamp: seconds u64, nanoseconds u32)
// Result of each operation: status:u8, then
//   0 ok: the operation's payload (below)       1 error-code: code:u8
//   2 stream closed                             3 stream failed: code:u8 (filesystem-error-code; 255 = none)
//   4 skipped: a handle argument referred to an operation that returned no handle (it failed), so
//     nothing was called (made-up handles are passed as raw numbers instead)
import { alloc, releaseCallMemory } from '../_lib/cabi';
import {
  getDirectories, readViaStream, writeViaStream, appendViaStream, openAt, readDirectory, advise, syncData, sync,
  getFlags, getType, setSize, setTimes, createDirectoryAt, setTimesAt, linkAt, removeDirectoryAt, renameAt,
  symlinkAt, unlinkFileAt, read, write, stat, statAt, readlinkAt, isSameObject, metadataHash, metadataHashAt,
  dropDescriptor, readDirectoryEntry, dropDirectoryEntryStream, filesystemErrorCode, inputRead, inputSkip,
  outputCheckWrite, outputWrite, outputWriteZeroes, dropInputStream, dropOutputStream, dropError,
} from './wasi';

export { cabi_realloc } from '../_lib/cabi';

// Opcodes (keep in step with test/wasi/fs-ops.mjs).
const GET_DIRECTORIES: u8 = 0;
const OPEN_AT: u8 = 1;
const READ: u8 = 2;
const WRITE: u8 = 3;
const READ_DIR_ALL: u8 = 4;
const READ_DIRECTORY: u8 = 5;
const READ_DIR_ENTRY: u8 = 6;
const CREATE_DIR: u8 = 7;
const REMOVE_DIR: u8 = 8;
const UNLINK: u8 = 9;
const SYMLINK: u8 = 10;
const READLINK: u8 = 11;
const RENAME: u8 = 12;
const LINK: u8 = 13;
const STAT: u8 = 14;
const STAT_AT: u8 = 15;
const GET_TYPE: u8 = 16;
const SET_SIZE: u8 = 17;
const SET_TIMES_AT: u8 = 18;
const SET_TIMES: u8 = 19;
const DROP_DESCRIPTOR: u8 = 20;
const DROP_DIR_STREAM: u8 = 21;
const READ_VIA_STREAM: u8 = 22;
const STREAM_READ: u8 = 23;
const DROP_INPUT: u8 = 24;
const WRITE_VIA_STREAM: u8 = 25;
const APPEND_VIA_STREAM: u8 = 26;
const STREAM_WRITE: u8 = 27;
const DROP_OUTPUT: u8 = 28;
const GET_FLAGS: u8 = 29;
const IS_SAME: u8 = 30;
const METADATA_HASH: u8 = 31;
const METADATA_HASH_AT: u8 = 32;
const SYNC: u8 = 33;
const SYNC_DATA: u8 = 34;
const ADVISE: u8 = 35;
const STREAM_SKIP: u8 = 36;
const CHECK_WRITE: u8 = 37;
const WRITE_ZEROES: u8 = 38;

// Kinds of handles, for the final clean-up.
const DESCRIPTOR: u8 = 0;
const DIR_STREAM: u8 = 1;
const INPUT: u8 = 2;
const OUTPUT: u8 = 3;

// ---- program reader ---------------------------------------------------------------------------------
let at: usize = 0;
let end: usize = 0;

function u8_(): u8 { const v = at < end ? load<u8>(at) : <u8>0; at += 1; return v; }
function u16_(): u16 { const v = at + 2 <= end ? load<u16>(at) : <u16>0; at += 2; return v; }
function u32_(): u32 { const v = at + 4 <= end ? load<u32>(at) : <u32>0; at += 4; return v; }
function u64_(): u64 { const v = at + 8 <= end ? load<u64>(at) : <u64>0; at += 8; return v; }
/** A str/bytes argument: its address in the program (the length is left in `argLength`). */
let argLength: usize = 0;
function bytes_(): usize {
  let n = <usize>u32_();
  if (at + n > end) n = end > at ? end - at : 0;
  const ptr = at;
  at += n;
  argLength = n;
  return ptr;
}

// ---- handles obtained in this program -----------------------------------------------------------------
// Records of 12 bytes: op index u32, item u32, handle i32; plus kind u8 and a dropped flag in a
// parallel 2-byte record.
let handles: usize = 0;
let handleInfo: usize = 0;
let handleCount: i32 = 0;
let handleCapacity: i32 = 0;

function remember(op: u32, item: u32, handle: i32, kind: u8): void {
  if (handleCount == handleCapacity) {
    const capacity = handleCapacity == 0 ? 32 : handleCapacity * 2;
    const grown = alloc(<usize>capacity * 12);
    const grownInfo = alloc(<usize>capacity * 2);
    if (handleCount > 0) {
      memory.copy(grown, handles, <usize>handleCount * 12);
      memory.copy(grownInfo, handleInfo, <usize>handleCount * 2);
    }
    handles = grown;
    handleInfo = grownInfo;
    handleCapacity = capacity;
  }
  const rec = handles + <usize>handleCount * 12;
  store<u32>(rec, op);
  store<u32>(rec, item, 4);
  store<i32>(rec, handle, 8);
  store<u8>(handleInfo + <usize>handleCount * 2, kind);
  store<u8>(handleInfo + <usize>handleCount * 2, 0, 1);
  handleCount++;
}

/** Set when a handle argument referred to an operation that produced no handle. */
let missing = false;

function handle_(): i32 {
  if (u8_() == 0) return <i32>u32_();
  const op = <u32>u16_();
  const item = <u32>u8_();
  for (let i = 0; i < handleCount; i++) {
    const rec = handles + <usize>i * 12;
    if (load<u32>(rec) == op && load<u32>(rec, 4) == item) return load<i32>(rec, 8);
  }
  missing = true;
  return -1;
}

/** After an operation's arguments are read: true (and a `skipped` result) when one was missing. */
function skipped(): bool {
  if (!missing) return false;
  missing = false;
  put8(4);
  return true;
}

/** An explicit drop: the final clean-up skips it. */
function forget(handle: i32, kind: u8): void {
  for (let i = 0; i < handleCount; i++) {
    const info = handleInfo + <usize>i * 2;
    if (load<i32>(handles + <usize>i * 12, 8) == handle && load<u8>(info) == kind && load<u8>(info, 1) == 0) {
      store<u8>(info, 1, 1);
      return;
    }
  }
}

function dropAll(): void {
  for (let i = handleCount - 1; i >= 0; i--) {
    const info = handleInfo + <usize>i * 2;
    if (load<u8>(info, 1) != 0) continue;
    const h = load<i32>(handles + <usize>i * 12, 8);
    const kind = load<u8>(info);
    if (kind == DESCRIPTOR) dropDescriptor(h);
    else if (kind == DIR_STREAM) dropDirectoryEntryStream(h);
    else if (kind == INPUT) dropInputStream(h);
    else dropOutputStream(h);
  }
}

// ---- result writer ---------------------------------------------------------------------------------------
let out: usize = 0;
let outLength: usize = 0;
let outCapacity: usize = 0;

function reserve(n: usize): usize {
  if (outLength + n > outCapacity) {
    let capacity: usize = outCapacity == 0 ? 256 : outCapacity * 2;
    while (capacity < outLength + n) capacity *= 2;
    const grown = heap.alloc(capacity);
    if (outLength > 0) memory.copy(grown, out, outLength);
    if (out != 0) heap.free(out);
    out = grown;
    outCapacity = capacity;
  }
  const p = out + outLength;
  outLength += n;
  return p;
}
function put8(v: u8): void { store<u8>(reserve(1), v); }
function put32(v: u32): void { store<u32>(reserve(4), v); }
function put64(v: u64): void { store<u64>(reserve(8), v); }
function putBytes(ptr: usize, len: usize): void {
  put32(<u32>len);
  memory.copy(reserve(len), ptr, len);
}

// ---- operations ----------------------------------------------------------------------------------------
const RET: usize = memory.data(128, 8);

/** For result<_, error-code> / result<u8, error-code> at RET: writes the status; true when ok. */
function small(): bool {
  if (load<u8>(RET) == 0) { put8(0); return true; }
  put8(1); put8(load<u8>(RET, 1));
  return false;
}

/** result<own<R>, error-code> at RET: records and writes the handle. */
function owned(op: u32, kind: u8): void {
  if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 4)); return; }
  const h = load<i32>(RET, 4);
  remember(op, 0, h, kind);
  put8(0); put32(<u32>h);
}

/** A stream-error whose tag is at `tagAt` and error handle at `tagAt + 4`. */
function streamError(tagAt: usize): void {
  if (load<u8>(RET + tagAt) == 1) { put8(2); return; }
  const error = load<i32>(RET + tagAt + 4);
  const code = alloc(2);
  filesystemErrorCode(error, code);
  dropError(error);
  put8(3); put8(load<u8>(code) == 0 ? <u8>255 : load<u8>(code, 1));
}

function putStat(): void {
  if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 8)); return; }
  put8(0);
  put8(load<u8>(RET, 8));
  put64(load<u64>(RET, 16));
  put64(load<u64>(RET, 24));
  for (let i: usize = 0; i < 3; i++) {
    const t = RET + 32 + i * 24;
    put8(load<u8>(t));
    put64(load<u64>(t, 8));
    put32(load<u32>(t, 16));
  }
}

function putHash(): void {
  if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 8)); return; }
  put8(0); put64(load<u64>(RET, 8)); put64(load<u64>(RET, 16));
}

// Timestamps read from the program: tag, seconds, nanoseconds.
let tsTag: i32 = 0;
let tsSec: u64 = 0;
let tsNs: u32 = 0;
function timestamp_(): void {
  tsTag = <i32>u8_();
  tsSec = 0; tsNs = 0;
  if (tsTag == 2) { tsSec = u64_(); tsNs = u32_(); }
}

function readDirAll(dir: i32): void {
  readDirectory(dir, RET);
  if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 4)); return; }
  const stream = load<i32>(RET, 4);
  // Entries are written after a placeholder count; an error midway replaces the whole result.
  const start = outLength;
  put8(0);
  const countAt = outLength;
  put32(0);
  let count: u32 = 0;
  while (true) {
    readDirectoryEntry(stream, RET);
    if (load<u8>(RET) != 0) {
      outLength = start;
      put8(1); put8(load<u8>(RET, 4));
      break;
    }
    if (load<u8>(RET, 4) == 0) { store<u32>(out + countAt, count); break; }
    put8(load<u8>(RET, 8));
    putBytes(<usize>load<u32>(RET, 12), <usize>load<u32>(RET, 16));
    count++;
  }
  dropDirectoryEntryStream(stream);
}

function step(op: u32, code: u8): void {
  switch (code) {
    case GET_DIRECTORIES: {
      getDirectories(RET);
      const list = <usize>load<u32>(RET);
      const n = load<u32>(RET, 4);
      put8(0); put32(n);
      for (let i: u32 = 0; i < n; i++) {
        const e = list + <usize>i * 12;
        const h = load<i32>(e);
        remember(op, i, h, DESCRIPTOR);
        put32(<u32>h);
        putBytes(<usize>load<u32>(e, 4), <usize>load<u32>(e, 8));
      }
      break;
    }
    case OPEN_AT: {
      const self = handle_(); const pathFlags = <i32>u8_(); const path = bytes_(); const len = argLength;
      const openFlags = <i32>u8_(); const flags = <i32>u8_();
      if (skipped()) break;
      openAt(self, pathFlags, path, len, openFlags, flags, RET);
      owned(op, DESCRIPTOR);
      break;
    }
    case READ: {
      const self = handle_(); const length = u64_(); const offset = u64_();
      if (skipped()) break;
      read(self, length, offset, RET);
      if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 4)); break; }
      put8(0); put8(load<u8>(RET, 12)); putBytes(<usize>load<u32>(RET, 4), <usize>load<u32>(RET, 8));
      break;
    }
    case WRITE: {
      const self = handle_(); const data = bytes_(); const len = argLength; const offset = u64_();
      if (skipped()) break;
      write(self, data, len, offset, RET);
      if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 8)); break; }
      put8(0); put64(load<u64>(RET, 8));
      break;
    }
    case READ_DIR_ALL: { const h = handle_(); if (skipped()) break; readDirAll(h); break; }
    case READ_DIRECTORY: { const h = handle_(); if (skipped()) break; readDirectory(h, RET); owned(op, DIR_STREAM); break; }
    case READ_DIR_ENTRY: {
      const h = handle_(); if (skipped()) break;
      readDirectoryEntry(h, RET);
      if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 4)); break; }
      put8(0); put8(load<u8>(RET, 4));
      if (load<u8>(RET, 4) != 0) { put8(load<u8>(RET, 8)); putBytes(<usize>load<u32>(RET, 12), <usize>load<u32>(RET, 16)); }
      break;
    }
    case CREATE_DIR: { const self = handle_(); const p = bytes_(); if (skipped()) break; createDirectoryAt(self, p, argLength, RET); small(); break; }
    case REMOVE_DIR: { const self = handle_(); const p = bytes_(); if (skipped()) break; removeDirectoryAt(self, p, argLength, RET); small(); break; }
    case UNLINK: { const self = handle_(); const p = bytes_(); if (skipped()) break; unlinkFileAt(self, p, argLength, RET); small(); break; }
    case SYMLINK: {
      const self = handle_(); const target = bytes_(); const targetLen = argLength; const p = bytes_();
      if (skipped()) break;
      symlinkAt(self, target, targetLen, p, argLength, RET);
      small();
      break;
    }
    case READLINK: {
      const self = handle_(); const p = bytes_();
      if (skipped()) break;
      readlinkAt(self, p, argLength, RET);
      if (load<u8>(RET) != 0) { put8(1); put8(load<u8>(RET, 4)); break; }
      put8(0); putBytes(<usize>load<u32>(RET, 4), <usize>load<u32>(RET, 8));
      break;
    }
    case RENAME: {
      const self = handle_(); const from = bytes_(); const fromLen = argLength; const other = handle_(); const to = bytes_();
      if (skipped()) break;
      renameAt(self, from, fromLen, other, to, argLength, RET);
      small();
      break;
    }
    case LINK: {
      const self = handle_(); const flags = <i32>u8_(); const from = bytes_(); const fromLen = argLength;
      const other = handle_(); const to = bytes_();
      if (skipped()) break;
      linkAt(self, flags, from, fromLen, other, to, argLength, RET);
      small();
      break;
    }
    case STAT: { const h = handle_(); if (skipped()) break; stat(h, RET); putStat(); break; }
    case STAT_AT: { const self = handle_(); const flags = <i32>u8_(); const p = bytes_(); if (skipped()) break; statAt(self, flags, p, argLength, RET); putStat(); break; }
    case GET_TYPE: { const h = handle_(); if (skipped()) break; getType(h, RET); if (small()) put8(load<u8>(RET, 1)); break; }
    case GET_FLAGS: { const h = handle_(); if (skipped()) break; getFlags(h, RET); if (small()) put8(load<u8>(RET, 1)); break; }
    case SET_SIZE: { const self = handle_(); const size = u64_(); if (skipped()) break; setSize(self, size, RET); small(); break; }
    case SET_TIMES_AT: {
      const self = handle_(); const flags = <i32>u8_(); const p = bytes_(); const len = argLength;
      timestamp_(); const aTag = tsTag; const aSec = tsSec; const aNs = tsNs;
      timestamp_();
      if (skipped()) break;
      setTimesAt(self, flags, p, len, aTag, aSec, aNs, tsTag, tsSec, tsNs, RET);
      small();
      break;
    }
    case SET_TIMES: {
      const self = handle_();
      timestamp_(); const aTag = tsTag; const aSec = tsSec; const aNs = tsNs;
      timestamp_();
      if (skipped()) break;
      setTimes(self, aTag, aSec, aNs, tsTag, tsSec, tsNs, RET);
      small();
      break;
    }
    case DROP_DESCRIPTOR: { const h = handle_(); if (skipped()) break; dropDescriptor(h); forget(h, DESCRIPTOR); put8(0); break; }
    case DROP_DIR_STREAM: { const h = handle_(); if (skipped()) break; dropDirectoryEntryStream(h); forget(h, DIR_STREAM); put8(0); break; }
    case DROP_INPUT: { const h = handle_(); if (skipped()) break; dropInputStream(h); forget(h, INPUT); put8(0); break; }
    case DROP_OUTPUT: { const h = handle_(); if (skipped()) break; dropOutputStream(h); forget(h, OUTPUT); put8(0); break; }
    case READ_VIA_STREAM: { const self = handle_(); const offset = u64_(); if (skipped()) break; readViaStream(self, offset, RET); owned(op, INPUT); break; }
    case WRITE_VIA_STREAM: { const self = handle_(); const offset = u64_(); if (skipped()) break; writeViaStream(self, offset, RET); owned(op, OUTPUT); break; }
    case APPEND_VIA_STREAM: { const h = handle_(); if (skipped()) break; appendViaStream(h, RET); owned(op, OUTPUT); break; }
    case STREAM_READ: {
      const self = handle_();
      const len = u64_(); if (skipped()) break;
      inputRead(self, len, RET);
      if (load<u8>(RET) != 0) { streamError(4); break; }
      put8(0); putBytes(<usize>load<u32>(RET, 4), <usize>load<u32>(RET, 8));
      break;
    }
    case STREAM_SKIP: {
      const self = handle_();
      const len = u64_(); if (skipped()) break;
      inputSkip(self, len, RET);
      if (load<u8>(RET) != 0) { streamError(8); break; }
      put8(0); put64(load<u64>(RET, 8));
      break;
    }
    case STREAM_WRITE: {
      const self = handle_(); const data = bytes_();
      if (skipped()) break;
      outputWrite(self, data, argLength, RET);
      if (load<u8>(RET) != 0) { streamError(4); break; }
      put8(0);
      break;
    }
    case CHECK_WRITE: {
      const h = handle_(); if (skipped()) break;
      outputCheckWrite(h, RET);
      if (load<u8>(RET) != 0) { streamError(8); break; }
      put8(0); put64(load<u64>(RET, 8));
      break;
    }
    case WRITE_ZEROES: {
      const self = handle_();
      const len = u64_(); if (skipped()) break;
      outputWriteZeroes(self, len, RET);
      if (load<u8>(RET) != 0) { streamError(4); break; }
      put8(0);
      break;
    }
    case IS_SAME: { const self = handle_(); const other = handle_(); if (skipped()) break; put8(0); put8(<u8>isSameObject(self, other)); break; }
    case METADATA_HASH: { const h = handle_(); if (skipped()) break; metadataHash(h, RET); putHash(); break; }
    case METADATA_HASH_AT: { const self = handle_(); const flags = <i32>u8_(); const p = bytes_(); if (skipped()) break; metadataHashAt(self, flags, p, argLength, RET); putHash(); break; }
    case SYNC: { const h = handle_(); if (skipped()) break; sync(h, RET); small(); break; }
    case SYNC_DATA: { const h = handle_(); if (skipped()) break; syncData(h, RET); small(); break; }
    case ADVISE: {
      const self = handle_(); const offset = u64_(); const length = u64_();
      const advice = <i32>u8_(); if (skipped()) break;
      advise(self, offset, length, advice, RET);
      small();
      break;
    }
    default:
      // An unknown opcode ends the program (its operands cannot be skipped).
      put8(255);
      at = end;
  }
}

/** `run: func(program: list<u8>) -> list<u8>` */
export function run(program: usize, length: usize): usize {
  at = program;
  end = program + length;
  handleCount = 0;
  handleCapacity = 0;
  missing = false;
  outLength = 0;
  const keep = (u8_() & 1) != 0;
  let op: u32 = 0;
  while (at < end) step(op++, u8_());
  if (!keep) dropAll();
  const ret = alloc(8);
  store<u32>(ret, <u32>out);
  store<u32>(ret, <u32>outLength, 4);
  return ret;
}

export function cabi_post_run(ret: usize): void {
  releaseCallMemory();
}
