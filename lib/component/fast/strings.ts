/**
 * Strings in the `utf16` and `latin1+utf16` canonical encodings (utf8 lives in codec.ts).
 * `utf16` mirrors jco 1.35's glue exactly (same allocation, same decoder). jco cannot transpile
 * `latin1+utf16` components at all (its bindgen asserts utf8/utf16), so that one follows the
 * Component Model's canonical ABI (`store_string_to_latin1_or_utf16`, `load_string`): the same
 * `realloc` calls, the UTF-16 tag bit, and traps on misaligned or out-of-bounds strings.
 */

/** Canonical option `string-encoding`, as stored in a MemoryContext. */
export type Encoding = typeof UTF8 | typeof UTF16 | typeof LATIN1_UTF16;
export const UTF8 = 0;
export const UTF16 = 1;
export const LATIN1_UTF16 = 2;

/** The MemoryContext code of a canonical `string-encoding`. */
export function encodingCode(name: 'utf8' | 'utf16' | 'latin1+utf16'): Encoding {
  return name === 'utf8' ? UTF8 : name === 'utf16' ? UTF16 : LATIN1_UTF16;
}

/** What the string functions need of a MemoryContext. */
interface StringContext {
  memory: WebAssembly.Memory | undefined;
  realloc: ((oldPtr: number, oldSize: number, align: number, newSize: number) => number) | undefined;
}

const UTF16_TAG = 2 ** 31;
const utf16Decoder = new TextDecoder('utf-16');

function memoryOf(cx: StringContext): WebAssembly.Memory {
  if (!cx.memory) throw new TypeError('canonical ABI: no memory for this function');
  return cx.memory;
}

function reallocOf(cx: StringContext): NonNullable<StringContext['realloc']> {
  if (!cx.realloc) throw new TypeError('canonical ABI: no realloc for this function');
  return cx.realloc;
}

/** Host → guest string in `enc` (utf16 or latin1+utf16): [pointer, length as the ABI stores it]. */
export function lowerEncodedString(cx: StringContext, enc: Encoding, s: unknown): [number, number] {
  return enc === UTF16 ? lowerUtf16(cx, s) : lowerLatin1Utf16(cx, s as string);
}

/** Guest → host string in `enc` (utf16 or latin1+utf16). */
export function liftEncodedString(cx: StringContext, enc: Encoding, ptr: number, len: number): string {
  if (enc === UTF16) return utf16Decoder.decode(new Uint16Array(memoryOf(cx).buffer, ptr, len));
  return liftLatin1Utf16(cx, ptr, len);
}

/** jco's `_utf16AllocateAndEncode`, literally (non-strings coerce as they do there). */
function lowerUtf16(cx: StringContext, str: unknown): [number, number] {
  const len = (str as string).length;
  const ptr = reallocOf(cx)(0, 0, 2, len * 2);
  const out = new Uint16Array(memoryOf(cx).buffer, ptr, len);
  for (let i = 0; i < len; i++) out[i] = (str as string).charCodeAt(i);
  return [ptr, len];
}

function trap(message: string): never {
  throw new WebAssembly.RuntimeError(`wasm trap: ${message}`);
}

function checkRange(cx: StringContext, ptr: number, bytes: number): Uint8Array {
  if (ptr % 2 !== 0) trap('unaligned string pointer');
  const buffer = memoryOf(cx).buffer;
  if (ptr < 0 || ptr + bytes > buffer.byteLength) trap('string out of bounds');
  return new Uint8Array(buffer);
}

/** The canonical ABI's `store_string_to_latin1_or_utf16` for a JS (UTF-16) source. */
function lowerLatin1Utf16(cx: StringContext, s: string): [number, number] {
  if (typeof s !== 'string') throw new TypeError(`expected a string, received [${typeof s}]`);
  const realloc = reallocOf(cx);
  const units = s.length;
  let ptr = realloc(0, 0, 2, units);
  let mem = checkRange(cx, ptr, units);
  let n = 0;
  for (let i = 0; i < units; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x100) {
      mem[ptr + n++] = c;
      continue;
    }
    // A code unit past latin1: widen what is there to UTF-16 and encode the whole string so.
    const worst = 2 * units;
    ptr = realloc(ptr, units, 2, worst);
    mem = checkRange(cx, ptr, worst);
    for (let j = n - 1; j >= 0; j--) {
      mem[ptr + 2 * j] = mem[ptr + j]!;
      mem[ptr + 2 * j + 1] = 0;
    }
    for (let j = n; j < units; j++) {
      const u = s.charCodeAt(j);
      mem[ptr + 2 * j] = u & 0xff;
      mem[ptr + 2 * j + 1] = u >>> 8;
    }
    return [ptr, units + UTF16_TAG];
  }
  if (n < units) {
    ptr = realloc(ptr, units, 2, n);
    checkRange(cx, ptr, n);
  }
  return [ptr, n];
}

/** The canonical ABI's `load_string` for `latin1+utf16`. */
function liftLatin1Utf16(cx: StringContext, ptr: number, tagged: number): string {
  const t = tagged >>> 0;
  if (t >= UTF16_TAG) {
    const units = t - UTF16_TAG;
    checkRange(cx, ptr, 2 * units);
    return utf16Decoder.decode(new Uint16Array(memoryOf(cx).buffer, ptr, units));
  }
  const mem = checkRange(cx, ptr, t);
  let out = '';
  for (let i = 0; i < t; i += 8192) out += String.fromCharCode(...mem.subarray(ptr + i, ptr + Math.min(t, i + 8192)));
  return out;
}
