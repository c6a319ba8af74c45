// hello: string in, string out, without managed objects (bytes are copied raw).
import { freeBuffer, freeReturnedBuffer, allocBuffer, returnBuffer } from "../_lib/abi";
export { cabi_realloc } from "../_lib/abi";

const PREFIX = "Hello, ";
const PREFIX_LEN: usize = 7;
const SUFFIX: u8 = 0x21; // '!'

export function greet(namePtr: usize, nameLen: usize): usize {
  const len = PREFIX_LEN + nameLen + 1;
  const out = allocBuffer(len);
  // PREFIX is ASCII, so its UTF-8 bytes are the low bytes of its UTF-16 code units.
  const prefix = changetype<usize>(PREFIX);
  for (let i: usize = 0; i < PREFIX_LEN; i++) store<u8>(out + i, load<u16>(prefix + (i << 1)));
  memory.copy(out + PREFIX_LEN, namePtr, nameLen);
  store<u8>(out + len - 1, SUFFIX);
  freeBuffer(namePtr, nameLen);
  return returnBuffer(out, len);
}

export function cabi_post_greet(retptr: usize): void {
  freeReturnedBuffer(retptr);
}
