// state: module-level state in globals and on the heap, for instance-pool tests.
import { cabi_realloc as allocate, freeBuffer, returnBuffer } from "../_lib/abi";

const PAGE_SIZE: usize = 65536;
const MAX_PAGES: usize = 65536;

let counter: u32 = 0;
/** The secret lives in a heap buffer; its address, length and first 8 bytes live in globals. */
let secretPtr: usize = 0;
let secretLen: usize = 0;
let secretHead: u64 = 0;
let dirtyRound: u32 = 0;

/** One bit per page: set when the allocator grew memory into it (`dirty` must not write there). */
const HEAP_PAGES: usize = memory.data(<i32>(MAX_PAGES / 8));
/** `dirty`'s byte for page 0, which holds static data and the allocator's own structures. */
const PAGE0_MARKER: usize = memory.data(1);

function markHeapPages(from: usize, to: usize): void {
  for (let page = from; page < to; page++) {
    const byte = HEAP_PAGES + (page >> 3);
    store<u8>(byte, load<u8>(byte) | (<u8>1 << <u8>(page & 7)));
  }
}

function isHeapPage(page: usize): bool {
  return (load<u8>(HEAP_PAGES + (page >> 3)) & (<u8>1 << <u8>(page & 7))) != 0;
}

/** The shared allocator, recording which pages it grew memory by. */
export function cabi_realloc(oldPtr: usize, oldLen: usize, align: usize, newLen: usize): usize {
  const before = <usize>memory.size();
  const ptr = allocate(oldPtr, oldLen, align, newLen);
  markHeapPages(before, <usize>memory.size());
  return ptr;
}

export function incr(): u32 {
  return ++counter;
}

/** The first (up to) 8 bytes of a buffer as a little-endian u64. */
function head(ptr: usize, len: usize): u64 {
  let value: u64 = 0;
  for (let i: usize = 0; i < min<usize>(len, 8); i++) value |= <u64>load<u8>(ptr + i) << (<u64>i * 8);
  return value;
}

export function put(ptr: usize, len: usize): void {
  freeBuffer(secretPtr, secretLen);
  // The argument buffer is ours (the host allocated it for this call): keep it as the secret.
  secretPtr = ptr;
  secretLen = len;
  secretHead = head(ptr, len);
}

/**
 * Returns the stored buffer itself (the host copies it out), so nothing needs a post-return.
 * Traps if the heap no longer matches the globals: a half-reset instance must not pass as clean.
 */
export function get(): usize {
  if (head(secretPtr, secretLen) != secretHead) unreachable();
  return returnBuffer(secretPtr, secretLen);
}

export function put_then_trap(ptr: usize, len: usize): void {
  put(ptr, len);
  unreachable();
}

export function dirty(pages: u32): void {
  const wanted = <usize>pages;
  const have = <usize>memory.size();
  if (wanted > have && memory.grow(<i32>(wanted - have)) < 0) unreachable();
  dirtyRound++;
  const marker = <u8>(dirtyRound % 255 + 1);
  for (let page: usize = 0; page < wanted; page++) {
    if (page == 0) store<u8>(PAGE0_MARKER, marker);
    else if (!isHeapPage(page)) store<u8>(page * PAGE_SIZE, marker);
  }
}
