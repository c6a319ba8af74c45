// compute: CPU-bound work that scales with the argument, and trivial calls.
import { freeBuffer, freeReturnedBuffer, returnBuffer } from "../_lib/abi";
export { cabi_realloc } from "../_lib/abi";

const FNV_OFFSET: u32 = 2166136261;
const FNV_PRIME: u32 = 16777619;
const XORSHIFT_ZERO_SEED: u32 = 0x9e3779b9;

let rng: u32 = 1;

/** xorshift32 seeded with `seed` (0 is replaced: xorshift would stay at 0). */
function seedRandom(seed: u32): void {
  rng = seed == 0 ? XORSHIFT_ZERO_SEED : seed;
}

function nextRandom(): u32 {
  let x = rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rng = x;
  return x;
}

export function fib(n: u32): u64 {
  let a: u64 = 0;
  let b: u64 = 1;
  for (let i: u32 = 0; i < n; i++) {
    const next = a + b;
    a = b;
    b = next;
  }
  return a;
}

export function fib_rec(n: u32): u64 {
  return n < 2 ? <u64>n : fib_rec(n - 1) + fib_rec(n - 2);
}

function siftDown(base: usize, start: usize, end: usize): void {
  let root = start;
  while (true) {
    let child: usize = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && load<u32>(base + (child << 2)) < load<u32>(base + ((child + 1) << 2))) child++;
    const rootValue = load<u32>(base + (root << 2));
    const childValue = load<u32>(base + (child << 2));
    if (rootValue >= childValue) return;
    store<u32>(base + (root << 2), childValue);
    store<u32>(base + (child << 2), rootValue);
    root = child;
  }
}

function heapsort(base: usize, n: usize): void {
  if (n < 2) return;
  for (let start = n >> 1; start > 0; start--) siftDown(base, start - 1, n);
  for (let end = n - 1; end > 0; end--) {
    const top = load<u32>(base);
    store<u32>(base, load<u32>(base + (end << 2)));
    store<u32>(base + (end << 2), top);
    siftDown(base, 0, end);
  }
}

export function sort(n: u32, seed: u32): u32 {
  const count = <usize>n;
  const values = heap.alloc(max<usize>(count << 2, 4));
  seedRandom(seed);
  for (let i: usize = 0; i < count; i++) store<u32>(values + (i << 2), nextRandom());
  heapsort(values, count);
  let h = FNV_OFFSET;
  for (let i: usize = 0; i < count; i++) {
    h ^= load<u32>(values + (i << 2));
    h *= FNV_PRIME;
  }
  heap.free(values);
  return h;
}

export function matmul(n: u32, seed: u32): f64 {
  const size = <usize>n * <usize>n;
  const bytes = max<usize>(size << 3, 8);
  const a = heap.alloc(bytes);
  const b = heap.alloc(bytes);
  const c = heap.alloc(bytes);
  seedRandom(seed);
  for (let i: usize = 0; i < size; i++) store<f64>(a + (i << 3), <f64>nextRandom() / 4294967296.0);
  for (let i: usize = 0; i < size; i++) store<f64>(b + (i << 3), <f64>nextRandom() / 4294967296.0);
  memory.fill(c, 0, bytes);
  const rows = <usize>n;
  for (let i: usize = 0; i < rows; i++) {
    const cRow = c + ((i * rows) << 3);
    for (let k: usize = 0; k < rows; k++) {
      const aik = load<f64>(a + ((i * rows + k) << 3));
      const bRow = b + ((k * rows) << 3);
      for (let j: usize = 0; j < rows; j++) {
        store<f64>(cRow + (j << 3), load<f64>(cRow + (j << 3)) + aik * load<f64>(bRow + (j << 3)));
      }
    }
  }
  let sum: f64 = 0;
  for (let i: usize = 0; i < size; i++) sum += load<f64>(c + (i << 3));
  heap.free(a);
  heap.free(b);
  heap.free(c);
  return sum;
}

export function hash(ptr: usize, len: usize, rounds: u32): u32 {
  let h = FNV_OFFSET;
  for (let r: u32 = 0; r < rounds; r++) {
    for (let i: usize = 0; i < len; i++) {
      h ^= load<u8>(ptr + i);
      h *= FNV_PRIME;
    }
  }
  freeBuffer(ptr, len);
  return h;
}

export function add(a: u32, b: u32): u32 {
  return a + b;
}

export function noop(): void {}

export function echo(ptr: usize, len: usize): usize {
  return returnBuffer(ptr, len);
}

export function cabi_post_echo(retptr: usize): void {
  freeReturnedBuffer(retptr);
}
