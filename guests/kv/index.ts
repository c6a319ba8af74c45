// kv: calls the host's `sfirt:kv/store` and `sfirt:kv/log` imports.
import { freeBuffer, importReturnArea, allocBuffer } from "../_lib/abi";
export { cabi_realloc } from "../_lib/abi";

// Core signatures follow the canonical ABI: strings are (ptr, len); an `option<string>` result is
// written by the host to a return area the guest passes: tag u8 at +0, ptr at +4, len at +8.
@external("sfirt:kv/store", "get")
declare function storeGet(keyPtr: usize, keyLen: usize, retPtr: usize): void;
@external("sfirt:kv/store", "set")
declare function storeSet(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): void;
@external("sfirt:kv/log", "log")
declare function hostLog(level: u8, messagePtr: usize, messageLen: usize): void;

const LOG_INFO: u8 = 1;
const MAX_U32_DIGITS: usize = 10;
const INCR_PREFIX = "incr ";
const INCR_SEPARATOR = " = ";

/** Parses an unsigned decimal (wrapping past u32); anything that is not all digits is 0. */
function parseDecimal(ptr: usize, len: usize): u32 {
  if (len == 0) return 0;
  let value: u32 = 0;
  for (let i: usize = 0; i < len; i++) {
    const digit = <u32>load<u8>(ptr + i) - 0x30;
    if (digit > 9) return 0;
    value = value * 10 + digit;
  }
  return value;
}

/** Writes `value` in decimal at `dst`; returns the number of bytes written. */
function writeDecimal(dst: usize, value: u32): usize {
  let digits: usize = 1;
  for (let v = value; v >= 10; v /= 10) digits++;
  for (let i = digits; i > 0; i--) {
    store<u8>(dst + i - 1, <u8>(0x30 + value % 10));
    value /= 10;
  }
  return digits;
}

/** Writes an ASCII string literal's bytes at `dst`; returns its length. */
function writeAscii(dst: usize, text: string): usize {
  const len = <usize>text.length;
  const src = changetype<usize>(text);
  for (let i: usize = 0; i < len; i++) store<u8>(dst + i, <u8>load<u16>(src + (i << 1)));
  return len;
}

/** Calls the host's `get`; returns the value's (ptr, len) through `out`, or false if none. */
function getValue(keyPtr: usize, keyLen: usize, out: usize): bool {
  const ret = importReturnArea();
  storeGet(keyPtr, keyLen, ret);
  if (load<u8>(ret) == 0) return false;
  store<u32>(out, load<u32>(ret, 4));
  store<u32>(out, load<u32>(ret, 8), 4);
  return true;
}

const VALUE: usize = memory.data(8, 4);

export function incr(keyPtr: usize, keyLen: usize): u32 {
  let current: u32 = 0;
  if (getValue(keyPtr, keyLen, VALUE)) {
    const valuePtr = <usize>load<u32>(VALUE);
    const valueLen = <usize>load<u32>(VALUE, 4);
    current = parseDecimal(valuePtr, valueLen);
    freeBuffer(valuePtr, valueLen); // the host allocated it through cabi_realloc
  }
  const next = current + 1;

  const digits = allocBuffer(MAX_U32_DIGITS);
  const digitsLen = writeDecimal(digits, next);
  storeSet(keyPtr, keyLen, digits, digitsLen);

  const message = allocBuffer(<usize>INCR_PREFIX.length + keyLen + <usize>INCR_SEPARATOR.length + digitsLen);
  let at = message + writeAscii(message, INCR_PREFIX);
  memory.copy(at, keyPtr, keyLen);
  at += keyLen;
  at += writeAscii(at, INCR_SEPARATOR);
  memory.copy(at, digits, digitsLen);
  at += digitsLen;
  hostLog(LOG_INFO, message, at - message);

  heap.free(message);
  heap.free(digits);
  freeBuffer(keyPtr, keyLen);
  return next;
}

export function copy(fromPtr: usize, fromLen: usize, toPtr: usize, toLen: usize): bool {
  const found = getValue(fromPtr, fromLen, VALUE);
  if (found) {
    const valuePtr = <usize>load<u32>(VALUE);
    const valueLen = <usize>load<u32>(VALUE, 4);
    storeSet(toPtr, toLen, valuePtr, valueLen);
    freeBuffer(valuePtr, valueLen);
  }
  freeBuffer(fromPtr, fromLen);
  freeBuffer(toPtr, toLen);
  return found;
}
