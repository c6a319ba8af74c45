// Typed-array arguments of `call()` and `invoke()` travel to a worker through a SharedArrayBuffer
// that the two threads share, not through structured clone. Cloning a typed array costs the main thread a
// malloc'd copy at call time, a second copy while serialising, and a free later on a V8 helper
// thread (plus a third copy and free in the worker); that was ~1 µs of the main thread's ~5 µs
// per classifier call, and every µs it spends is taken from the workers on a 2-core machine.
// Here the main thread copies the bytes once into the arena, the message carries offsets, and the
// worker hands the guest a view of the arena (the canonical ABI copies it into guest memory).

/** Bytes of one worker's arena. */
export const ARENA_BYTES = 1 << 20;
/** Arguments of one call larger than this together are cloned as before (they would crowd the ring). */
export const MAX_ARENA_CALL_BYTES = 64 * 1024;
/** Calls holding arena space at once; more are cloned until earlier ones are answered. */
const MAX_REGIONS = 1024;

/** The typed-array kinds an argument can be, by their index on the wire. */
const KINDS = [
  Uint8Array, Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;
type TypedArray = InstanceType<(typeof KINDS)[number]>;
/** Kind index by `Symbol.toStringTag`, which subclasses (Buffer) share with their base class. */
const KIND_BY_TAG = new Map<string, number>(KINDS.map((k, i) => [k.name, i]));
const tagOf = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag)!.get!;

/**
 * Main-thread side: a ring of regions, one per call, freed when the call's answer arrives (in any
 * order; space is reused once every older region, or every newer one, is free). A call whose
 * region does not fit clones its arguments instead: a full arena slows calls, never fails them.
 */
export class ArgArena {
  readonly buffer = new SharedArrayBuffer(ARENA_BYTES);
  /** The arena seen as each kind, made when first needed: `set()` from the same kind is a plain copy. */
  readonly #asKind: (TypedArray | undefined)[] = [];
  /** Regions in allocation order, as a ring: start offset, end offset, answered yet. */
  readonly #starts = new Int32Array(MAX_REGIONS);
  readonly #ends = new Int32Array(MAX_REGIONS);
  readonly #freed = new Uint8Array(MAX_REGIONS);
  /** Sequence numbers of the oldest live region and of the next one. */
  #first = 0;
  #next = 0;

  /**
   * Copies the call's typed-array arguments (non-shared, up to MAX_ARENA_CALL_BYTES together) into
   * one region and returns its placement: the region's sequence number, then `[argIndex, kind,
   * byteOffset, length]` per placed argument, whose `args` entries are set to 0 (the worker puts
   * views in their place). Undefined, and `args` untouched, when there are none or they do not fit.
   */
  place(args: unknown[]): number[] | undefined {
    let total = 0;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (kindOf(a) >= 0) total += align8((a as TypedArray).byteLength);
    }
    if (total === 0 || total > MAX_ARENA_CALL_BYTES) return undefined;
    const start = this.#reserve(total);
    if (start < 0) return undefined;
    const placement = [this.#next - 1];
    let at = start;
    for (let i = 0; i < args.length; i++) {
      const kind = kindOf(args[i]);
      if (kind < 0) continue;
      const a = args[i] as TypedArray;
      const arena = (this.#asKind[kind] ??= new KINDS[kind]!(this.buffer as unknown as ArrayBuffer));
      // (Regions are 8-byte aligned, so `at` is a whole number of elements of every kind.)
      (arena.set as (src: TypedArray, offset: number) => void)(a, at / arena.BYTES_PER_ELEMENT);
      placement.push(i, kind, at, a.length);
      args[i] = 0;
      at += align8(a.byteLength);
    }
    return placement;
  }

  /**
   * Releases a call's region (its answer has arrived; the worker is done with the bytes). Space is
   * reclaimed from both ends: up to the oldest region still live, and back to the newest.
   */
  free(region: number): void {
    this.#freed[region % MAX_REGIONS] = 1;
    while (this.#first < this.#next && this.#freed[this.#first % MAX_REGIONS] === 1) this.#first++;
    while (this.#next > this.#first && this.#freed[(this.#next - 1) % MAX_REGIONS] === 1) this.#next--;
  }

  /** Regions not yet freed. */
  get liveRegions(): number { return this.#next - this.#first; }

  /** The start of `bytes` free contiguous bytes after the newest region, or -1. */
  #reserve(bytes: number): number {
    const live = this.#next - this.#first;
    if (live === MAX_REGIONS) return -1;
    let start: number;
    if (live === 0) start = 0;
    else {
      const head = this.#starts[this.#first % MAX_REGIONS]!;
      const tail = this.#ends[(this.#next - 1) % MAX_REGIONS]!;
      if (tail > head) start = tail + bytes <= ARENA_BYTES ? tail : bytes <= head ? 0 : -1; // not wrapped: after the newest, else from 0
      else start = tail + bytes <= head ? tail : -1; // wrapped: only up to the oldest
      if (start < 0) return -1;
    }
    const slot = this.#next % MAX_REGIONS;
    this.#starts[slot] = start;
    this.#ends[slot] = start + bytes;
    this.#freed[slot] = 0;
    this.#next++;
    return start;
  }
}

/** Worker side: puts views of the arena back in place of the arguments `place()` moved there. */
export function unplace(arena: SharedArrayBuffer, args: unknown[], placement: number[]): void {
  for (let i = 1; i < placement.length; i += 4) {
    // (TypeScript's constructor types take ArrayBuffer only; views of shared memory are valid.)
    args[placement[i]!] = new KINDS[placement[i + 1]!]!(arena as unknown as ArrayBuffer, placement[i + 2]!, placement[i + 3]!);
  }
}

/**
 * A typed array over an ordinary ArrayBuffer: an argument copied when its call is made (views of
 * shared memory stay shared, as structured clone keeps them; DataViews are cloned).
 */
export function isOwnedTypedArray(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && v.buffer instanceof ArrayBuffer;
}

/** The kind of an owned typed array, or -1 for anything else (unknown kinds are cloned). */
function kindOf(v: unknown): number {
  return isOwnedTypedArray(v) ? KIND_BY_TAG.get(tagOf.call(v) as string) ?? -1 : -1;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
