// sfirt's AssemblyScript kit: write a component's functions, not its canonical ABI.
//
//   import { liftString, returnString } from "sfirt/assembly";
//   export function greet(namePtr: usize, nameLen: usize): usize {   // greet: func(name: string) -> string
//     return returnString("Hello, " + liftString(namePtr, nameLen) + "!");
//   }
//
// `sfirt build` adds `cabi_realloc` and every `cabi_post_*` the world calls for. Memory: every
// buffer of a call (arguments the host lowers, results, anything from `alloc`) lives in a call
// arena that the post-return frees after the host has read the results, together with the managed
// objects (strings, arrays) the call made. So a pooled instance does not grow call after call.
//
// How WIT maps to AssemblyScript parameters and results (canonical ABI, memory32, UTF-8):
//   u8/u16/u32/s32/bool/char → u8/u16/u32/i32/bool/u32;  u64/s64 → u64/i64;  f32/f64 → f32/f64
//   string, list<T>          → two parameters (ptr: usize, len: usize), len in elements
//   a string/list result     → return `returnString(s)` / `returnBytes(b)` / `returnList(ptr, len)`
export { alloc, cabi_realloc, releaseCallMemory, lowerString, storeString } from "./cabi";
import { alloc } from "./cabi";

/** Where (ptr, len) of a string/list result goes; also a scratch area for an import's results. */
const RETURN_AREA: usize = memory.data(16, 8);

/** The static return area (16 bytes, 8-aligned): pass it to an import whose result does not fit in one value. */
export function returnArea(): usize {
  return RETURN_AREA;
}

/** A `string` parameter (ptr, len) as an AssemblyScript string. */
export function liftString(ptr: usize, len: usize): string {
  return String.UTF8.decodeUnsafe(ptr, len);
}

/** A `list<u8>` parameter (ptr, len) as a Uint8Array (a copy). */
export function liftBytes(ptr: usize, len: usize): Uint8Array {
  const out = new Uint8Array(<i32>len);
  memory.copy(out.dataStart, ptr, len);
  return out;
}

/** The string whose (ptr, len) the host wrote at `at` (an import's `string` result in a return area). */
export function liftStringAt(at: usize): string {
  return String.UTF8.decodeUnsafe(<usize>load<u32>(at), <usize>load<u32>(at, 4));
}

/** Returns a list already in memory (`len` in elements): stores (ptr, len) in the return area. */
export function returnList(ptr: usize, len: usize): usize {
  store<u32>(RETURN_AREA, <u32>ptr);
  store<u32>(RETURN_AREA, <u32>len, 4);
  return RETURN_AREA;
}

/** Returns a `string` result: encodes it as UTF-8 in the call arena. */
export function returnString(s: string): usize {
  const len = <usize>String.UTF8.byteLength(s);
  const ptr = alloc(len);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, ptr);
  return returnList(ptr, len);
}

/** Returns a `list<u8>` result: copies the bytes into the call arena. */
export function returnBytes(bytes: Uint8Array): usize {
  const len = <usize>bytes.length;
  const ptr = alloc(len);
  memory.copy(ptr, bytes.dataStart, len);
  return returnList(ptr, len);
}
