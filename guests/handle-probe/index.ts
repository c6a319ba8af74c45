// The `handle-probe` guest: caller A leaves host resources open (`leave-open`), caller B names
// every handle number it was never given (`probe`). See world.wit.
//
// `probe` result: records `kind:u8 handle:u32 len:u32 bytes[len]` (little-endian), one per answer
// that handed over data: kind 0 a descriptor `read` (the bytes read), 2 a directory listing's
// next entry (its name). Handles that answer with an error (the host's `bad-descriptor` for a
// handle it does not know) or no data produce no record. Streams and pollables the host does not
// know trap instead, so they are probed one number per call (`read-stream`, `ready`).
import { alloc, releaseCallMemory } from '../_lib/cabi';
import {
  getDirectories, openAt, readViaStream, readDirectory, read, readDirectoryEntry, inputRead,
  subscribeDuration, monotonicNow, getRandomBytes, pollableReady,
} from './wasi';

export { cabi_realloc } from '../_lib/cabi';

/** Bytes asked of each probe: enough for a secret, small enough that memory never grows. */
const PROBE_BYTES: u64 = 64;

function returnList(ptr: usize, len: usize): usize {
  const ret = alloc(8);
  store<u32>(ret, <u32>ptr);
  store<u32>(ret, <u32>len, 4);
  return ret;
}

export function leave_open(path: usize, pathLen: usize): usize {
  const ret = alloc(24);
  const out = alloc(16);
  memory.fill(out, 0, 16);
  getDirectories(ret);
  if (load<u32>(ret, 4) == 0) return returnList(out, 4);
  const root = load<i32>(load<u32>(ret));
  openAt(root, 0, path, pathLen, 0, 1 /* read */, ret);
  if (load<u8>(ret) == 0) {
    const file = load<i32>(ret, 4);
    store<u32>(out, <u32>file);
    readViaStream(file, 0, ret);
    if (load<u8>(ret) == 0) store<u32>(out, load<u32>(ret, 4), 4);
  }
  readDirectory(root, ret);
  if (load<u8>(ret) == 0) store<u32>(out, load<u32>(ret, 4), 8);
  store<u32>(out, <u32>subscribeDuration(3_600_000_000_000), 12);
  return returnList(out, 4);
}

export function cabi_post_leave_open(ret: usize): void { releaseCallMemory(); }

let out: usize = 0;
let outLength: usize = 0;

function record(kind: u8, handle: u32, data: usize, len: usize): void {
  store<u8>(out + outLength, kind);
  store<u32>(out + outLength + 1, handle);
  store<u32>(out + outLength + 5, <u32>len);
  memory.copy(out + outLength + 9, data, len);
  outLength += 9 + len;
}

export function probe(max: u32): usize {
  const ret = alloc(24);
  out = alloc(<usize>max * 2 * (9 + <usize>PROBE_BYTES));
  outLength = 0;
  for (let h: u32 = 1; h <= max; h++) {
    read(<i32>h, PROBE_BYTES, 0, ret);
    if (load<u8>(ret) == 0 && load<u32>(ret, 8) > 0) record(0, h, <usize>load<u32>(ret, 4), <usize>load<u32>(ret, 8));
    readDirectoryEntry(<i32>h, ret);
    if (load<u8>(ret) == 0 && load<u8>(ret, 4) != 0) record(2, h, <usize>load<u32>(ret, 12), <usize>load<u32>(ret, 16));
  }
  return returnList(out, outLength);
}

export function cabi_post_probe(ret: usize): void { releaseCallMemory(); }

export function read_stream(handle: u32): usize {
  const ret = alloc(12);
  inputRead(<i32>handle, PROBE_BYTES, ret);
  if (load<u8>(ret) != 0) return returnList(0, 0);
  return returnList(<usize>load<u32>(ret, 4), <usize>load<u32>(ret, 8));
}

export function cabi_post_read_stream(ret: usize): void { releaseCallMemory(); }

export function ready(handle: u32): bool {
  return pollableReady(<i32>handle) != 0;
}

export function draw(len: u32): usize {
  const ret = alloc(8);
  getRandomBytes(<u64>len, ret);
  const out = alloc(<usize>len + 8);
  memory.copy(out, <usize>load<u32>(ret), <usize>len);
  store<u64>(out + <usize>len, monotonicNow());
  return returnList(out, <usize>len + 8);
}

export function cabi_post_draw(ret: usize): void { releaseCallMemory(); }
