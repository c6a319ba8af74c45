// bytes: list<u8> in and out. `reverse` works in place on the argument buffer and returns it.
import { freeBuffer, freeReturnedBuffer, returnBuffer } from "../_lib/abi";
export { cabi_realloc } from "../_lib/abi";

const ADLER_MOD: u32 = 65521;
/** Largest run of bytes whose sums cannot overflow a u32 before the modulo (zlib's NMAX). */
const ADLER_RUN: usize = 5552;

export function reverse(ptr: usize, len: usize): usize {
  if (len < 2) return returnBuffer(ptr, len);
  let lo = ptr;
  let hi = ptr + len - 1;
  while (lo < hi) {
    const a = load<u8>(lo);
    store<u8>(lo, load<u8>(hi));
    store<u8>(hi, a);
    lo++;
    hi--;
  }
  return returnBuffer(ptr, len);
}

export function cabi_post_reverse(retptr: usize): void {
  freeReturnedBuffer(retptr);
}

export function checksum(ptr: usize, len: usize): u32 {
  let a: u32 = 1;
  let b: u32 = 0;
  let i: usize = 0;
  while (i < len) {
    const end = min(len, i + ADLER_RUN);
    for (; i < end; i++) {
      a += load<u8>(ptr + i);
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  freeBuffer(ptr, len);
  return (b << 16) | a;
}
