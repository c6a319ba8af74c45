/**
 * Canonical ABI codecs, compiled once per value type: flattening, size/alignment, lowering and
 * lifting to/from flat core values and linear memory. JS value shapes follow jco 1.35's glue
 * exactly (same coercions, same TypeErrors), so the fast path is indistinguishable from it.
 */
import { chargeLift, chargeList, decodeUtf8, liftUtf8, outOfBounds } from '../../limits/lift.js';
import type { GuestResourceTable } from './guest-resources.js';
import type { HandleTable } from './resources.js';
import { liftEncodedString, lowerEncodedString, UTF8, UTF16, type Encoding } from './strings.js';
import type { ResourceType, ValType } from './types.js';
import { camelCase } from './types.js';

export type FlatType = 'i32' | 'i64' | 'f32' | 'f64';

/** Per-instance memory access for one canonical-options set (memory + realloc). */
export interface MemoryContext {
  memory: WebAssembly.Memory | undefined;
  realloc: ((oldPtr: number, oldSize: number, align: number, newSize: number) => number) | undefined;
  dv: DataView | undefined;
  /** A byte view of the whole memory, cached like `dv` (see `bytesOf`). */
  u8?: Uint8Array | undefined;
  /**
   * The memory's dirty-page map when a `reset` pool tracks it (lib/instrument/dirty-map.ts): `realloc`
   * is then wrapped to mark what it hands out, and results stored at a return pointer are marked.
   */
  dirty?: Uint8Array | undefined;
  /** The instance's handle tables of imported resources, by `Plan.resources` index. */
  rt: HandleTable[];
  /** The instance's handle tables of resources it defines, by `Plan.definedResources` index. */
  gt: GuestResourceTable[];
  /** The canonical string encoding of this option set. */
  enc: Encoding;
}

/** A compiled value type. */
export interface Codec {
  size: number;
  align: number;
  flat: FlatType[];
  /** Pushes the flat core values of `v` onto `out`. */
  lowerFlat(cx: MemoryContext, v: unknown, out: unknown[]): void;
  /** Reads the value from `vals` starting at `pos.i` (advancing it). */
  liftFlat(cx: MemoryContext, vals: readonly unknown[], pos: { i: number }): unknown;
  store(cx: MemoryContext, v: unknown, ptr: number): void;
  load(cx: MemoryContext, ptr: number): unknown;
  /**
   * Strings and lists (two flat values): `liftFlat` of the pointer and length given as such, which
   * the generated trampolines call without an array and a position per call.
   */
  liftPair?(cx: MemoryContext, ptr: number, len: number): unknown;
  /**
   * For typed lists only: the same codec, except that lifting returns a view of the guest's memory
   * instead of a copy (see {@link BORROWED_LISTS}).
   */
  borrowed?: Codec;
  /**
   * For tuples of two strings/lists (`tuple<string, list<u8>>`, a `fields.from-list` entry): each
   * member's `liftPair`. A list of such tuples lifts its elements with these directly (see
   * `genericListCodec`): the same reads in the same order as `load`, without its shared calls.
   */
  pairTuple?: readonly [NonNullable<Codec['liftPair']>, NonNullable<Codec['liftPair']>];
}

/**
 * Marks a host function (or a resource class, for its constructor and methods) whose typed-list
 * parameters may be lifted as views of the guest's memory rather than copies: the host promises to
 * read them only during the call and to copy what it keeps. Only the runtime's own hosts (wasi:nn)
 * set it; it saves an off-heap allocation per list, which costs microseconds even for a few bytes.
 */
export const BORROWED_LISTS: unique symbol = Symbol.for('sfirt.borrowedLists') as never;

const TEXT_ENCODER = new TextEncoder();

/**
 * A DataView over the context's memory, renewed when the memory grew. Growing a (non-shared) wasm
 * memory detaches its old buffer, so a view whose buffer still has bytes is current: reading
 * `memory.buffer` (an API call, the largest part of a small store) is paid only after a growth.
 * A shared memory's buffer is never detached, so its view is never cached.
 */
export function view(cx: MemoryContext): DataView {
  const cached = cx.dv;
  if (cached !== undefined && cached.buffer.byteLength !== 0) return cached;
  const mem = cx.memory;
  if (!mem) throw new TypeError('canonical ABI: no memory for this function');
  const buffer = mem.buffer;
  const dv = new DataView(buffer);
  cx.dv = buffer instanceof ArrayBuffer ? dv : undefined;
  return dv;
}

/**
 * A Uint8Array over the context's whole memory, kept while its buffer is (as `view` keeps its
 * DataView): bulk copies into guest memory then need no view of their own (~0.05 µs each).
 */
function bytesOf(cx: MemoryContext): Uint8Array {
  const cached = cx.u8;
  if (cached !== undefined && cached.byteLength !== 0) return cached;
  const buffer = view(cx).buffer as ArrayBuffer;
  const u8 = new Uint8Array(buffer);
  cx.u8 = buffer instanceof ArrayBuffer ? u8 : undefined;
  return u8;
}

/** The context's memory buffer as of now (see `view`). */
function memoryBuffer(cx: MemoryContext): ArrayBuffer {
  return view(cx).buffer as ArrayBuffer;
}

function realloc(cx: MemoryContext, align: number, size: number): number {
  if (!cx.realloc) throw new TypeError('canonical ABI: no realloc for this function');
  return cx.realloc(0, 0, align, size);
}

/**
 * An empty array whose elements are boxed values. V8 stores numbers of an array holding only
 * numbers unboxed, and silences signalling NaNs on the way in (their payload loses its quiet bit):
 * flat values, payloads and tuple members pass through arrays made here so that a NaN keeps
 * exactly the bits it came with (as it does in jco's straight-line glue).
 */
export function boxedArray(): unknown[] {
  const a: unknown[] = [undefined];
  a.pop();
  return a;
}

/** `n` rounded up to a multiple of `align`. */
export function alignTo(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

// ---- jco's scalar coercions (host → guest) and checks (guest → host) ----

function toUint8(v: unknown): number { let x = (v as number) >>> 0; x %= 256; return x; }
function toInt8(v: unknown): number { let x = (v as number) >>> 0; x %= 256; if (x >= 128) x -= 256; return x; }
function toUint16(v: unknown): number { let x = (v as number) >>> 0; x %= 65536; return x; }
function toInt16(v: unknown): number { let x = (v as number) >>> 0; x %= 65536; if (x >= 32768) x -= 65536; return x; }
function toUint64(v: unknown): bigint { return BigInt.asUintN(64, BigInt(v as bigint)); }
function toInt64(v: unknown): bigint { return BigInt.asIntN(64, BigInt(v as bigint)); }

function clampGuest(i: number, min: number, max: number): number {
  if (i < min || i > max) throw new TypeError(`must be between ${min} and ${max}`);
  return i;
}

function guestBool(i: number): boolean {
  if (i === 0) return false;
  if (i === 1) return true;
  throw new TypeError('invalid variant discriminant for bool');
}

/** jco's `validateGuestChar`, on the code point read as a signed i32 (negative: RangeError). */
function guestChar(i: number): string {
  if (i > 0x10ffff || (i >= 0xd800 && i <= 0xdfff)) throw new TypeError('not a valid char');
  return String.fromCodePoint(i);
}

function hostChar(s: unknown): number {
  if (typeof s !== 'string') throw new TypeError('must be a string');
  return s.codePointAt(0)!;
}

/** jco's `_utf8AllocateAndEncode`: exact-size allocation, empty string without calling realloc. */
function lowerString(cx: MemoryContext, s: unknown): [number, number] {
  if (cx.enc !== UTF8) return lowerEncodedString(cx, cx.enc, s);
  if (typeof s !== 'string') throw new TypeError('expected a string, received [' + typeof s + ']');
  if (s.length === 0) return [1, 0];
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x80) len += 1;
    else if (ch < 0x800) len += 2;
    else if (ch >= 0xd800 && ch <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { len += 4; i++; }
    else len += 3;
  }
  const ptr = realloc(cx, 1, len);
  if (len === s.length && len <= SHORT_STRING_BYTES) {
    // Every unit is ASCII (anything else takes 2 or more bytes): its bytes are its char codes.
    // Written through the cached view, short strings skip a view of the memory and encodeInto.
    const mem = bytesOf(cx);
    if (ptr >= 0 && ptr + len <= mem.length) {
      for (let i = 0; i < len; i++) mem[ptr + i] = s.charCodeAt(i);
      return [ptr, len];
    }
  }
  const { read, written } = TEXT_ENCODER.encodeInto(s, new Uint8Array(memoryBuffer(cx), ptr, len));
  if (read !== s.length || written !== len) throw new Error('failed to encode whole string');
  return [ptr, len];
}

/** Charged against the call's lift budget, bounds-checked, strict UTF-8 (lib/limits/lift.ts). */
function liftString(cx: MemoryContext, ptr: number, len: number): string {
  if (cx.enc !== UTF8) {
    // utf16: 2 bytes per unit; latin1+utf16: the tag bit says which (lib/component/fast/strings.ts)
    const units = len >>> 0;
    chargeLift(cx.enc === UTF16 || units >= 2 ** 31 ? 2 * (units % 2 ** 31) : units);
    return liftEncodedString(cx, cx.enc, ptr, len);
  }
  if (!cx.memory) throw new TypeError('canonical ABI: no memory for this function');
  return (len >>> 0) <= SHORT_STRING_BYTES ? liftShortUtf8(cx, ptr >>> 0, len >>> 0) : liftUtf8(cx.memory, ptr, len);
}

/**
 * Strings up to this many bytes are read and written byte by byte when ASCII (names, enum-like
 * tags): a loop over the cached view costs less than a fresh view plus a TextDecoder/encodeInto
 * call into C++ (~0.05 µs each way for a 6-byte name).
 */
const SHORT_STRING_BYTES = 32;

/** `liftUtf8` for a short string: the same bounds check and charge first; non-ASCII bytes go to the decoder. */
function liftShortUtf8(cx: MemoryContext, ptr: number, len: number): string {
  const mem = bytesOf(cx);
  if (ptr + len > mem.length) return liftUtf8(cx.memory!, ptr, len); // traps as it does
  chargeLift(len);
  // A fresh array of `len` codes (a reused one resized per call was 4 times slower in V8).
  const codes = new Array<number>(len);
  for (let i = 0; i < len; i++) {
    const c = mem[ptr + i]!;
    if (c >= 0x80) return decodeUtf8(mem.subarray(ptr, ptr + len));
    codes[i] = c;
  }
  return String.fromCharCode.apply(null, codes);
}

// ---- scalar codecs ----

interface Scalar {
  size: number;
  flat: FlatType;
  /** host → core value */
  lower: (v: unknown) => unknown;
  /** core value (flat return/param) → host, with jco's checks */
  lift: (v: unknown) => unknown;
  get: (dv: DataView, ptr: number) => unknown;
  set: (dv: DataView, ptr: number, v: unknown) => void;
}

const SCALARS: Record<string, Scalar> = {
  bool: {
    size: 1, flat: 'i32', lower: (v) => (v ? 1 : 0), lift: (v) => guestBool(v as number),
    get: (dv, p) => guestBool(dv.getUint8(p)), set: (dv, p, v) => dv.setUint8(p, v as number),
  },
  u8: {
    size: 1, flat: 'i32', lower: toUint8, lift: (v) => clampGuest(v as number, 0, 255),
    get: (dv, p) => dv.getUint8(p), set: (dv, p, v) => dv.setUint8(p, v as number),
  },
  s8: {
    size: 1, flat: 'i32', lower: toInt8, lift: (v) => clampGuest(v as number, -128, 127),
    get: (dv, p) => dv.getInt8(p), set: (dv, p, v) => dv.setInt8(p, v as number),
  },
  u16: {
    size: 2, flat: 'i32', lower: toUint16, lift: (v) => clampGuest(v as number, 0, 65535),
    get: (dv, p) => dv.getUint16(p, true), set: (dv, p, v) => dv.setUint16(p, v as number, true),
  },
  s16: {
    size: 2, flat: 'i32', lower: toInt16, lift: (v) => clampGuest(v as number, -32768, 32767),
    get: (dv, p) => dv.getInt16(p, true), set: (dv, p, v) => dv.setInt16(p, v as number, true),
  },
  u32: {
    size: 4, flat: 'i32', lower: (v) => (v as number) >>> 0, lift: (v) => (v as number) >>> 0,
    get: (dv, p) => dv.getUint32(p, true), set: (dv, p, v) => dv.setUint32(p, v as number, true),
  },
  s32: {
    size: 4, flat: 'i32', lower: (v) => (v as number) >> 0, lift: (v) => v,
    get: (dv, p) => dv.getInt32(p, true), set: (dv, p, v) => dv.setInt32(p, v as number, true),
  },
  u64: {
    size: 8, flat: 'i64', lower: toUint64, lift: (v) => BigInt.asUintN(64, BigInt(v as bigint)),
    get: (dv, p) => dv.getBigUint64(p, true), set: (dv, p, v) => dv.setBigUint64(p, v as bigint, true),
  },
  s64: {
    size: 8, flat: 'i64', lower: toInt64, lift: (v) => v,
    get: (dv, p) => dv.getBigInt64(p, true), set: (dv, p, v) => dv.setBigInt64(p, v as bigint, true),
  },
  f32: {
    size: 4, flat: 'f32', lower: (v) => +(v as number), lift: (v) => v,
    get: (dv, p) => dv.getFloat32(p, true), set: (dv, p, v) => dv.setFloat32(p, v as number, true),
  },
  f64: {
    size: 8, flat: 'f64', lower: (v) => +(v as number), lift: (v) => v,
    get: (dv, p) => dv.getFloat64(p, true), set: (dv, p, v) => dv.setFloat64(p, v as number, true),
  },
  char: {
    size: 4, flat: 'i32', lower: hostChar, lift: (v) => guestChar(v as number),
    get: (dv, p) => guestChar(dv.getInt32(p, true)), set: (dv, p, v) => dv.setUint32(p, v as number, true),
  },
};

/** Direct lower/lift of a single-flat primitive (integers, floats, bool, char), or undefined. */
export function scalarFunctions(t: ValType): { lower: (v: unknown) => unknown; lift: (v: unknown) => unknown } | undefined {
  const s = SCALARS[t.kind];
  return s ? { lower: s.lower, lift: s.lift } : undefined;
}

function scalarCodec(s: Scalar): Codec {
  return {
    size: s.size, align: s.size, flat: [s.flat],
    lowerFlat: (_cx, v, out) => { out.push(s.lower(v)); },
    liftFlat: (_cx, vals, pos) => s.lift(vals[pos.i++]),
    store: (cx, v, ptr) => s.set(view(cx), ptr, s.lower(v)),
    load: (cx, ptr) => s.get(view(cx), ptr),
  };
}

const stringCodec: Codec = {
  size: 8, align: 4, flat: ['i32', 'i32'],
  lowerFlat: (cx, v, out) => { const [p, l] = lowerString(cx, v); out.push(p, l); },
  liftFlat: (cx, vals, pos) => { const p = vals[pos.i++] as number; const l = vals[pos.i++] as number; return liftString(cx, p, l); },
  liftPair: liftString,
  store: (cx, v, ptr) => { const [p, l] = lowerString(cx, v); const dv = view(cx); dv.setUint32(ptr, p, true); dv.setUint32(ptr + 4, l, true); },
  load: (cx, ptr) => { const dv = view(cx); return liftString(cx, dv.getUint32(ptr, true), dv.getUint32(ptr + 4, true)); },
};

// ---- lists ----

type TypedArray = ArrayBufferView & { set(source: never): void };
type TypedArrayCtor = { new(lengthOrBuffer: number | ArrayBuffer, byteOffset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };
const TYPED_LISTS: Record<string, TypedArrayCtor> = {
  u8: Uint8Array, s8: Int8Array, u16: Uint16Array, s16: Int16Array, u32: Uint32Array, s32: Int32Array,
  u64: BigUint64Array, s64: BigInt64Array, f32: Float32Array, f64: Float64Array,
};

/** jco's `_isValidNumericPrimitive` for elements of typed lists given as plain arrays. */
function validNumeric(kind: string, v: unknown): boolean {
  switch (kind) {
    case 'u8': return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
    case 's8': return typeof v === 'number' && Number.isInteger(v) && v >= -128 && v <= 127;
    case 'u16': return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
    case 's16': return typeof v === 'number' && Number.isInteger(v) && v >= -32768 && v <= 32767;
    case 'u32': return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4294967295;
    case 's32': return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    case 'u64': return typeof v === 'bigint' && v >= 0n && v <= 18446744073709551615n;
    case 's64': return typeof v === 'bigint' && v >= -9223372036854775808n && v <= 9223372036854775807n;
    default: return typeof v === 'number';
  }
}

function typedListCodec(kind: string, ctor: TypedArrayCtor): Codec {
  const esize = ctor.BYTES_PER_ELEMENT;
  const set = SCALARS[kind]!.set;
  // Mirrors jco's generated code literally, including how it treats values that are neither
  // arrays nor typed arrays (so odd inputs coerce the same way on both paths).
  const lowerList = (cx: MemoryContext, v: unknown): [number, number] => {
    const src = v as { length: number; byteLength: number; buffer?: ArrayBuffer; byteOffset: number };
    const isArray = Array.isArray(v);
    const len = esize === 1 && !isArray ? src.byteLength : src.length;
    const bytes = len * esize;
    const ptr = realloc(cx, esize, bytes);
    if (isArray) {
      const dv = view(cx);
      let off = ptr;
      for (const x of v as unknown[]) {
        if (x === undefined || x === null || !validNumeric(kind, x)) throw new TypeError(`invalid ${kind} value [${x}]`);
        set(dv, off, x);
        off += esize;
      }
    } else if (esize === 1 && v instanceof ctor && ptr >= 0 && ptr + bytes <= bytesOf(cx).length) {
      // Bytes into the cached view of the memory: no view to make, and not reading `v.buffer`.
      bytesOf(cx).set(v as Uint8Array, ptr);
    } else if (v instanceof ctor && ptr >= 0 && ptr % esize === 0 && ptr + bytes <= memoryBuffer(cx).byteLength) {
      // Same bytes as below, without reading `v.buffer` (which moves a small array off V8's heap).
      new ctor(memoryBuffer(cx), ptr, len).set(v as never);
    } else {
      const data = new Uint8Array((src.buffer || src) as ArrayBuffer, src.byteOffset, bytes);
      new Uint8Array(memoryBuffer(cx), ptr, bytes).set(data);
    }
    return [ptr, len];
  };
  const liftList = (cx: MemoryContext, ptr: number, len: number): unknown => {
    if (ptr % esize !== 0) throw new TypeError(`list pointer [${ptr}] is not aligned to ${esize}`);
    const buffer = memoryBuffer(cx);
    const bytes = (len >>> 0) * esize;
    // Out of bounds is a trap, not a clamp; the rest is charged before the allocation (lib/limits/lift.ts).
    if (ptr < 0 || ptr + bytes > buffer.byteLength) throw outOfBounds('list', ptr >>> 0, bytes, buffer.byteLength);
    chargeLift(bytes);
    if (esize === 1 && bytes <= SHORT_LIST_BYTES) {
      // A few bytes (a header value, a small body chunk) are copied one by one from the cached
      // view of the memory: no view of the list's own to make (~0.05 µs).
      const mem = bytesOf(cx);
      const out = new ctor(len) as Uint8Array;
      for (let i = 0; i < bytes; i++) out[i] = mem[ptr + i]!;
      return out;
    }
    // jco copies with `buffer.slice(...)`, which is slow on wasm memory (~2 µs even for 40 bytes);
    // a fresh typed array filled with `set` is the same value.
    // `new ctor(len)` keeps arrays of up to 64 bytes on V8's heap (~0.1 µs instead of ~1.2 µs for
    // an ArrayBuffer); `set` from a same-typed view is a memcpy, and never touches `out.buffer`
    // (which would move the array off-heap).
    const out = new ctor(len);
    out.set(new ctor(buffer, ptr, len) as never);
    return out;
  };
  const liftView = (cx: MemoryContext, ptr: number, len: number): unknown => {
    const buffer = memoryBuffer(cx);
    if (ptr % esize !== 0 || ptr < 0 || ptr + len * esize > buffer.byteLength) return liftList(cx, ptr, len);
    chargeLift(len * esize); // no copy here, but the host reads (and usually copies) all of it
    return new ctor(buffer, ptr, len);
  };
  return { ...listShape(lowerList, liftList), borrowed: listShape(lowerList, liftView) };
}

/** Byte lists up to this size are lifted byte by byte (see `liftList` in `typedListCodec`). */
const SHORT_LIST_BYTES = 64;

function listShape(lowerList: (cx: MemoryContext, v: unknown) => [number, number], liftList: (cx: MemoryContext, ptr: number, len: number) => unknown): Codec {
  return {
    size: 8, align: 4, flat: ['i32', 'i32'],
    lowerFlat: (cx, v, out) => { const [p, l] = lowerList(cx, v); out.push(p, l); },
    liftFlat: (cx, vals, pos) => { const p = vals[pos.i++] as number; const l = vals[pos.i++] as number; return liftList(cx, p, l); },
    liftPair: liftList,
    store: (cx, v, ptr) => { const [p, l] = lowerList(cx, v); const dv = view(cx); dv.setUint32(ptr, p, true); dv.setUint32(ptr + 4, l, true); },
    load: (cx, ptr) => { const dv = view(cx); return liftList(cx, dv.getUint32(ptr, true), dv.getUint32(ptr + 4, true)); },
  };
}

/** The codec of `list<elem>` for an element type without a typed-array form. */
export function genericListCodec(elem: Codec): Codec {
  const lowerList = (cx: MemoryContext, v: unknown): [number, number] => {
    const arr = v as unknown[];
    const len = arr.length;
    const ptr = realloc(cx, elem.align, len * elem.size);
    for (let i = 0; i < len; i++) elem.store(cx, arr[i], ptr + i * elem.size);
    return [ptr, len];
  };
  const liftList = (cx: MemoryContext, ptr: number, len: number): unknown => {
    chargeList(len >>> 0, elem.size); // every element, before the array (lib/limits/lift.ts)
    const out = new Array(len);
    for (let i = 0; i < len; i++) out[i] = elem.load(cx, ptr + i * elem.size);
    return out;
  };
  return listShape(lowerList, elem.pairTuple ? pairTupleListLift(elem.pairTuple) : liftList);
}

/**
 * `liftList` of `genericListCodec` for tuples of two strings/lists, with the tuple's `load` and its
 * members' `load`s written out: the same charge, the same reads of the same offsets in the same
 * order (so the same errors), the same values (a boxed array per tuple); what goes is three calls
 * through shared closures per element (`elem.load`, then each member's `load`), sites that every
 * list, tuple, string and byte-list type of the process goes through.
 */
function pairTupleListLift([liftA, liftB]: NonNullable<Codec['pairTuple']>): (cx: MemoryContext, ptr: number, len: number) => unknown {
  return (cx, ptr, len) => {
    chargeList(len >>> 0, 16);
    const out = new Array(len);
    for (let i = 0; i < len; i++) {
      const at = ptr + i * 16;
      const o = boxedArray();
      let dv = view(cx);
      o.push(liftA(cx, dv.getUint32(at, true), dv.getUint32(at + 4, true)));
      dv = view(cx);
      o.push(liftB(cx, dv.getUint32(at + 8, true), dv.getUint32(at + 12, true)));
      out[i] = o;
    }
    return out;
  };
}

// ---- records and tuples ----

function productCodec(members: Codec[], get: (v: unknown, i: number) => unknown, build: (vals: unknown[]) => unknown): Codec {
  let size = 0;
  let align = 1;
  const offsets: number[] = [];
  for (const m of members) {
    size = alignTo(size, m.align);
    offsets.push(size);
    size += m.size;
    align = Math.max(align, m.align);
  }
  size = alignTo(size, align);
  const n = members.length;
  return {
    size, align, flat: members.flatMap((m) => m.flat),
    lowerFlat: (cx, v, out) => { for (let i = 0; i < n; i++) members[i]!.lowerFlat(cx, get(v, i), out); },
    liftFlat: (cx, vals, pos) => { const o = boxedArray(); for (let i = 0; i < n; i++) o.push(members[i]!.liftFlat(cx, vals, pos)); return build(o); },
    store: (cx, v, ptr) => { for (let i = 0; i < n; i++) members[i]!.store(cx, get(v, i), ptr + offsets[i]!); },
    load: (cx, ptr) => { const o = boxedArray(); for (let i = 0; i < n; i++) o.push(members[i]!.load(cx, ptr + offsets[i]!)); return build(o); },
  };
}

function recordCodec(fields: { name: string; codec: Codec }[]): Codec {
  const keys = fields.map((f) => camelCase(f.name));
  return productCodec(
    fields.map((f) => f.codec),
    (v, i) => (v as Record<string, unknown>)[keys[i]!],
    (vals) => { const o: Record<string, unknown> = {}; for (let i = 0; i < keys.length; i++) o[keys[i]!] = vals[i]; return o; },
  );
}

function tupleCodec(members: Codec[]): Codec {
  const n = members.length;
  // jco destructures tuples (`const [a, b] = v`): any iterable works, anything else is a TypeError.
  const destructure = (v: unknown): unknown[] => {
    if (Array.isArray(v)) return v;
    if (v === null || v === undefined || typeof (v as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new TypeError(`${typeof v} is not iterable`);
    const out: unknown[] = [];
    for (const x of v as Iterable<unknown>) { if (out.length === n) break; out.push(x); }
    return out;
  };
  const inner = productCodec(members, (v, i) => (v as unknown[])[i], (vals) => vals);
  // Two members that are strings or lists: 8 bytes at 4-byte alignment each, so at offsets 0 and 8.
  const [a, b] = members;
  const pairTuple = n === 2 && isPair(a!) && isPair(b!) && inner.size === 16 ? [a!.liftPair!, b!.liftPair!] as const : undefined;
  return {
    ...inner,
    ...(pairTuple ? { pairTuple } : {}),
    lowerFlat: (cx, v, out) => inner.lowerFlat(cx, destructure(v), out),
    store: (cx, v, ptr) => inner.store(cx, destructure(v), ptr),
  };
}

/** A string or list codec: two i32s, 8 bytes at 4-byte alignment, lifted by `liftPair`. */
function isPair(c: Codec): boolean {
  return c.liftPair !== undefined && c.size === 8 && c.align === 4 && c.flat.length === 2;
}

// ---- variants (variant, enum, option, result) ----

function discriminantSize(n: number): number {
  return n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 4;
}

function joinFlat(a: FlatType, b: FlatType): FlatType {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

const f32Buf = new DataView(new ArrayBuffer(8));
/** Canonical ABI: a payload flat value widened/reinterpreted into the variant's joined slot. */
function coerceToSlot(v: unknown, have: FlatType, want: FlatType): unknown {
  if (have === want) return v;
  if (have === 'f32' && want === 'i32') { f32Buf.setFloat32(0, v as number, true); return f32Buf.getInt32(0, true); }
  if (have === 'i32' && want === 'i64') return BigInt((v as number) >>> 0);
  if (have === 'f32' && want === 'i64') { f32Buf.setFloat32(0, v as number, true); return BigInt(f32Buf.getUint32(0, true)); }
  if (have === 'f64' && want === 'i64') { f32Buf.setFloat64(0, v as number, true); return f32Buf.getBigInt64(0, true); }
  throw new TypeError(`canonical ABI: cannot join ${have} into ${want}`);
}

/** The inverse of `coerceToSlot`, for lifting a payload out of a joined slot. */
function coerceFromSlot(v: unknown, have: FlatType, want: FlatType): unknown {
  if (have === want) return v;
  if (want === 'f32' && have === 'i32') { f32Buf.setInt32(0, v as number, true); return f32Buf.getFloat32(0, true); }
  if (want === 'i32' && have === 'i64') return Number(BigInt.asIntN(32, v as bigint));
  if (want === 'f32' && have === 'i64') { f32Buf.setInt32(0, Number(BigInt.asIntN(32, v as bigint)), true); return f32Buf.getFloat32(0, true); }
  if (want === 'f64' && have === 'i64') { f32Buf.setBigInt64(0, v as bigint, true); return f32Buf.getFloat64(0, true); }
  throw new TypeError(`canonical ABI: cannot split ${have} into ${want}`);
}

function zeroOf(t: FlatType): unknown {
  return t === 'i64' ? 0n : 0;
}

/**
 * The shared machinery of all variant-like types. `caseOf` maps a JS value to its case index,
 * `payloadOf` reads that case's payload (no intermediate array: see `boxedArray`); `fromCase` maps
 * a lifted case and payload back to the JS value.
 */
function variantCodec(
  cases: (Codec | undefined)[],
  caseOf: (v: unknown) => number,
  payloadOf: (v: unknown) => unknown,
  fromCase: (i: number, payload: unknown) => unknown,
  invalidMessage: string,
): Codec {
  const dsize = discriminantSize(cases.length);
  let maxAlign = dsize;
  let maxSize = 0;
  const joined: FlatType[] = [];
  for (const c of cases) {
    if (!c) continue;
    maxAlign = Math.max(maxAlign, c.align);
    maxSize = Math.max(maxSize, c.size);
    c.flat.forEach((f, i) => { joined[i] = i < joined.length ? joinFlat(joined[i]!, f) : f; });
  }
  const payloadOffset = alignTo(dsize, maxAlign);
  const size = alignTo(payloadOffset + maxSize, maxAlign);
  const flat: FlatType[] = ['i32', ...joined];
  const getDisc = dsize === 1 ? (dv: DataView, p: number) => dv.getUint8(p) : dsize === 2 ? (dv: DataView, p: number) => dv.getUint16(p, true) : (dv: DataView, p: number) => dv.getUint32(p, true);
  const setDisc = dsize === 1 ? (dv: DataView, p: number, v: number) => dv.setUint8(p, v) : dsize === 2 ? (dv: DataView, p: number, v: number) => dv.setUint16(p, v, true) : (dv: DataView, p: number, v: number) => dv.setUint32(p, v, true);
  const checked = (i: number): Codec | undefined => {
    if (i >= cases.length) throw new TypeError(invalidMessage);
    return cases[i];
  };
  return {
    size, align: maxAlign, flat,
    lowerFlat: (cx, v, out) => {
      const i = caseOf(v);
      out.push(i);
      const c = cases[i];
      let n = 0;
      if (c) {
        const tmp = boxedArray();
        c.lowerFlat(cx, payloadOf(v), tmp);
        for (; n < tmp.length; n++) out.push(coerceToSlot(tmp[n], c.flat[n]!, joined[n]!));
      }
      for (; n < joined.length; n++) out.push(zeroOf(joined[n]!));
    },
    liftFlat: (cx, vals, pos) => {
      const i = vals[pos.i++] as number;
      const c = checked(i >>> 0);
      const start = pos.i;
      pos.i += joined.length;
      if (!c) return fromCase(i, undefined);
      const tmp = boxedArray();
      for (let n = 0; n < c.flat.length; n++) tmp.push(coerceFromSlot(vals[start + n], joined[n]!, c.flat[n]!));
      return fromCase(i, c.liftFlat(cx, tmp, { i: 0 }));
    },
    store: (cx, v, ptr) => {
      const i = caseOf(v);
      setDisc(view(cx), ptr, i);
      const c = cases[i];
      if (c) c.store(cx, payloadOf(v), ptr + payloadOffset);
    },
    load: (cx, ptr) => {
      const i = getDisc(view(cx), ptr);
      const c = checked(i);
      return fromCase(i, c ? c.load(cx, ptr + payloadOffset) : undefined);
    },
  };
}

function enumCodec(names: string[]): Codec {
  return variantCodec(
    names.map(() => undefined),
    (v) => {
      const i = names.indexOf(v as string);
      if (i < 0) throw new TypeError(`"${String(v)}" is not one of the cases of the enum`);
      return i;
    },
    () => undefined,
    (i) => names[i],
    'invalid discriminant specified for enum',
  );
}

function plainVariantCodec(cases: { name: string; codec?: Codec }[]): Codec {
  const names = cases.map((c) => c.name);
  return variantCodec(
    cases.map((c) => c.codec),
    (v) => {
      const tag = (v as { tag?: unknown } | null)?.tag;
      const i = names.indexOf(tag as string);
      if (i < 0) throw new TypeError(`invalid variant tag value \`${JSON.stringify(tag)}\` (received \`${String(v)}\`) specified for variant`);
      return i;
    },
    (v) => (v as { val?: unknown }).val,
    (i, payload) => (cases[i]!.codec ? { tag: names[i], val: payload } : { tag: names[i] }),
    'invalid variant discriminant for variant',
  );
}

function optionCodec(inner: Codec, innerIsNullable: boolean): Codec {
  // jco: `undefined`/`null` is none and the value itself is some; but an option whose payload is
  // represented nullable is a tagged variant (`{ tag: 'none' }` / `{ tag: 'some', val }`) both
  // ways, so nested options alternate between the two shapes.
  if (innerIsNullable) {
    return variantCodec(
      [undefined, inner],
      (v) => {
        switch ((v as { tag: unknown }).tag) {
          case 'none': return 0;
          case 'some': return 1;
          default: throw new TypeError('invalid variant specified for option');
        }
      },
      (v) => (v as { val: unknown }).val,
      (i, payload) => (i === 0 ? { tag: 'none' } : { tag: 'some', val: payload }),
      'invalid variant discriminant for option',
    );
  }
  return variantCodec(
    [undefined, inner],
    (v) => (v === undefined || v === null ? 0 : 1),
    (v) => v,
    (i, payload) => (i === 0 ? undefined : payload),
    'invalid variant discriminant for option',
  );
}

function resultCodec(ok: Codec | undefined, err: Codec | undefined): Codec {
  return variantCodec(
    [ok, err],
    (v) => {
      const tag = (v as { tag?: unknown } | null)?.tag;
      if (tag === 'ok') return 0;
      if (tag === 'err') return 1;
      throw new TypeError(`invalid variant specified for result`);
    },
    (v) => (v as { val?: unknown }).val,
    (i, payload) => (i === 0 ? { tag: 'ok', val: payload } : { tag: 'err', val: payload }),
    'invalid variant discriminant for expected',
  );
}

function flagsCodec(names: string[]): Codec {
  const keys = names.map(camelCase);
  const words = Math.ceil(names.length / 32);
  const size = names.length <= 8 ? 1 : names.length <= 16 ? 2 : 4 * words;
  const toWords = (v: unknown): number[] => {
    const out = new Array(words).fill(0);
    if (v === null || v === undefined) return out;
    if (typeof v !== 'object') throw new TypeError('only an object, undefined or null can be converted to flags');
    for (let i = 0; i < keys.length; i++) if ((v as Record<string, unknown>)[keys[i]!]) out[i >> 5] |= 1 << (i & 31);
    return out;
  };
  const fromWords = (w: number[]): Record<string, boolean> => {
    const o: Record<string, boolean> = {};
    for (let i = 0; i < keys.length; i++) o[keys[i]!] = Boolean(w[i >> 5]! & (1 << (i & 31)));
    return o;
  };
  return {
    size, align: Math.min(size, 4), flat: new Array(words).fill('i32'),
    lowerFlat: (_cx, v, out) => { for (const w of toWords(v)) out.push(w); },
    liftFlat: (_cx, vals, pos) => { const w: number[] = []; for (let i = 0; i < words; i++) w.push(vals[pos.i++] as number); return fromWords(w); },
    store: (cx, v, ptr) => {
      const w = toWords(v);
      const dv = view(cx);
      if (size === 1) dv.setUint8(ptr, w[0]!);
      else if (size === 2) dv.setUint16(ptr, w[0]!, true);
      else for (let i = 0; i < words; i++) dv.setInt32(ptr + 4 * i, w[i]!, true);
    },
    load: (cx, ptr) => {
      const dv = view(cx);
      if (size === 1) return fromWords([dv.getUint8(ptr)]);
      if (size === 2) return fromWords([dv.getUint16(ptr, true)]);
      const w: number[] = [];
      for (let i = 0; i < words; i++) w.push(dv.getInt32(ptr + 4 * i, true));
      return fromWords(w);
    },
  };
}

// ---- handles of imported resources, and of resources the component defines ----

function ownCodec(r: ResourceType): Codec {
  if (r.defined !== undefined) return definedOwnCodec(r.defined);
  const i = r.index!;
  return {
    size: 4, align: 4, flat: ['i32'],
    lowerFlat: (cx, v, out) => { out.push(cx.rt[i]!.lowerOwn(v)); },
    liftFlat: (cx, vals, pos) => cx.rt[i]!.liftOwn(vals[pos.i++] as number),
    store: (cx, v, ptr) => { const h = cx.rt[i]!.lowerOwn(v); view(cx).setInt32(ptr, h, true); },
    load: (cx, ptr) => cx.rt[i]!.liftOwn(view(cx).getInt32(ptr, true)),
  };
}

/** `borrow<R>` of an imported resource: lent to the guest (export parameters) or lifted (import parameters). */
function borrowCodec(r: ResourceType): Codec {
  if (r.defined !== undefined) return definedBorrowCodec(r.defined);
  const i = r.index!;
  return {
    size: 4, align: 4, flat: ['i32'],
    lowerFlat: (cx, v, out) => { out.push(cx.rt[i]!.lowerBorrow(v)); },
    liftFlat: (cx, vals, pos) => cx.rt[i]!.liftBorrow(vals[pos.i++] as number),
    store: (cx, v, ptr) => { const h = cx.rt[i]!.lowerBorrow(v); view(cx).setInt32(ptr, h, true); },
    load: (cx, ptr) => cx.rt[i]!.liftBorrow(view(cx).getInt32(ptr, true)),
  };
}

/** `own<R>` of a resource the component defines: handle objects of its exported class. */
function definedOwnCodec(d: number): Codec {
  return {
    size: 4, align: 4, flat: ['i32'],
    lowerFlat: (cx, v, out) => { out.push(cx.gt[d]!.lowerOwn(v)); },
    liftFlat: (cx, vals, pos) => cx.gt[d]!.liftOwn(vals[pos.i++] as number),
    store: (cx, v, ptr) => { const h = cx.gt[d]!.lowerOwn(v); view(cx).setInt32(ptr, h, true); },
    load: (cx, ptr) => cx.gt[d]!.liftOwn(view(cx).getInt32(ptr, true)),
  };
}

/** `borrow<R>` of a resource the component defines, which only travels host → guest (as the rep). */
function definedBorrowCodec(d: number): Codec {
  const refuse = (): never => { throw new TypeError('canonical ABI: lifting a borrow of a guest resource is not supported'); };
  return {
    size: 4, align: 4, flat: ['i32'],
    lowerFlat: (cx, v, out) => { out.push(cx.gt[d]!.lowerBorrow(v)); },
    liftFlat: refuse,
    store: (cx, v, ptr) => { const h = cx.gt[d]!.lowerBorrow(v); view(cx).setInt32(ptr, h, true); },
    load: refuse,
  };
}

/** jco represents `t` by a nullable value: an option whose payload is not (see `optionCodec`). */
function nullable(t: ValType): boolean {
  return t.kind === 'option' && !nullable(t.type);
}

const cache = new WeakMap<ValType, Codec>();

/** Compiles (once, cached by type identity) the codec of a value type. */
export function codecOf(t: ValType): Codec {
  let c = cache.get(t);
  if (c) return c;
  c = build(t);
  cache.set(t, c);
  return c;
}

function build(t: ValType): Codec {
  switch (t.kind) {
    case 'string': return stringCodec;
    case 'list': {
      const typed = TYPED_LISTS[t.elem.kind];
      return typed ? typedListCodec(t.elem.kind, typed) : genericListCodec(codecOf(t.elem));
    }
    case 'record': return recordCodec(t.fields.map((f) => ({ name: f.name, codec: codecOf(f.type) })));
    case 'tuple': return tupleCodec(t.types.map(codecOf));
    case 'variant': return plainVariantCodec(t.cases.map((c) => (c.type ? { name: c.name, codec: codecOf(c.type) } : { name: c.name })));
    case 'enum': return enumCodec(t.names);
    case 'flags': return flagsCodec(t.names);
    case 'option': return optionCodec(codecOf(t.type), nullable(t.type));
    case 'result': return resultCodec(t.ok && codecOf(t.ok), t.err && codecOf(t.err));
    case 'own': return ownCodec(t.resource);
    case 'borrow': return borrowCodec(t.resource);
    default: {
      const s = SCALARS[t.kind];
      if (!s) throw new TypeError(`no codec for ${t.kind}`);
      return scalarCodec(s);
    }
  }
}
