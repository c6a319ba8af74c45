// Canonical-ABI helpers with explicit ownership (wasm32, UTF-8 strings): the guest frees what it
// is handed and writes its own `cabi_post_*`. Used by the repository's guests (guests/_lib/abi.ts);
// new guests use the call-arena kit (`import ... from "sfirt/assembly"`, see index.ts).
//
// Ownership rules of the component model, as these helpers apply them:
// - The host copies every string/list argument into a buffer it obtains from `cabi_realloc`;
//   the export owns that buffer and must free it (`freeBuffer`) or hand it back as its result.
// - A string/list result is returned through a static return area holding (ptr, len). The host
//   copies it out, then calls `cabi_post_<export>`, which frees the buffer (`freeReturnedBuffer`).
// - Buffers the host returns from an import (e.g. an `option<string>`) also come from
//   `cabi_realloc` and belong to the guest.
// Everything here uses the raw allocator (`heap.alloc`/`heap.free`, TLSF with `--runtime minimal`),
// never managed objects, so a pooled instance serving 100,000 calls keeps a bounded heap.

/** Size of the static return area: enough for (ptr, len) and for an `option<string>`. */
const RETURN_AREA_SIZE = 16;
const RETURN_AREA: usize = memory.data(RETURN_AREA_SIZE, 8);

/** The allocator the host uses to pass strings and lists into the guest. */
export function cabi_realloc(oldPtr: usize, oldLen: usize, align: usize, newLen: usize): usize {
  if (newLen == 0) {
    freeBuffer(oldPtr, oldLen);
    return align; // a non-null, aligned pointer for an empty buffer; never dereferenced
  }
  // TLSF blocks are 16-byte aligned, which covers every canonical ABI alignment (<= 8).
  if (oldPtr == 0 || oldLen == 0) return heap.alloc(newLen);
  return heap.realloc(oldPtr, newLen);
}

/** Frees a buffer obtained from `cabi_realloc`; empty buffers were never allocated. */
export function freeBuffer(ptr: usize, len: usize): void {
  if (len != 0) heap.free(ptr);
}

/** Stores (ptr, len) in the return area and returns its address: how a string/list is returned. */
export function returnBuffer(ptr: usize, len: usize): usize {
  store<u32>(RETURN_AREA, <u32>ptr);
  store<u32>(RETURN_AREA, <u32>len, 4);
  return RETURN_AREA;
}

/** For `cabi_post_<export>`: frees the buffer an export returned with `returnBuffer`. */
export function freeReturnedBuffer(retptr: usize): void {
  freeBuffer(load<u32>(retptr), load<u32>(retptr, 4));
}

/**
 * A scratch area the guest passes to an import whose result does not fit in one value
 * (e.g. `option<string>`: tag at +0, ptr at +4, len at +8). Valid until the next import call.
 */
export function importReturnArea(): usize {
  return RETURN_AREA;
}

/** Allocates a buffer of `len` bytes that the host will free through a post-return. */
export function allocBuffer(len: usize): usize {
  return len == 0 ? 1 : heap.alloc(len);
}

/** Copies `len` bytes from `src` into a fresh buffer (the caller owns it). */
export function copyBuffer(src: usize, len: usize): usize {
  const dst = allocBuffer(len);
  memory.copy(dst, src, len);
  return dst;
}

/**
 * Decodes a UTF-8 buffer into a managed AssemblyScript string. Managed objects are only reclaimed
 * by `__collect()` with `--runtime minimal`: call `collectGarbage()` before an export returns if it
 * created any, or a reused instance grows without bound.
 */
export function liftString(ptr: usize, len: usize): string {
  return String.UTF8.decodeUnsafe(ptr, len);
}

/** Encodes a managed string into a fresh UTF-8 buffer and returns it through the return area. */
export function returnString(s: string): usize {
  const len = <usize>String.UTF8.byteLength(s);
  const buf = allocBuffer(len);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, buf);
  return returnBuffer(buf, len);
}

/**
 * Frees every managed object no global still references. Safe only where no managed value held
 * in a local is used afterwards, e.g. as the last statement of an export.
 */
export function collectGarbage(): void {
  __collect();
}
