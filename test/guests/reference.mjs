// JavaScript reference implementations of the compute/bytes guests, written from their WIT docs
// (guests/README.md), so tests compare the wasm results with an independent computation.

export const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;
const MASK64 = (1n << 64n) - 1n;

export function adler32(data) {
  let a = 1, b = 0;
  for (const x of data) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function fib(n) {
  let a = 0n, b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, (a + b) & MASK64];
  return a;
}

export function xorshift32(seed) {
  let x = seed === 0 ? 0x9e3779b9 : seed >>> 0;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

function fnv1aWords(values) {
  let h = FNV_OFFSET;
  for (const v of values) h = Math.imul(h ^ v, FNV_PRIME) >>> 0;
  return h;
}

export function sortChecksum(n, seed) {
  const next = xorshift32(seed);
  const values = Uint32Array.from({ length: n }, next).sort();
  return fnv1aWords(values);
}

export function matmul(n, seed) {
  const next = xorshift32(seed);
  const a = Float64Array.from({ length: n * n }, () => next() / 4294967296);
  const b = Float64Array.from({ length: n * n }, () => next() / 4294967296);
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  let sum = 0;
  for (const x of c) sum += x;
  return sum;
}

export function fnv1a(data, rounds) {
  let h = FNV_OFFSET;
  for (let r = 0; r < rounds; r++) for (const x of data) h = Math.imul(h ^ x, FNV_PRIME) >>> 0;
  return h;
}

export function spinFor(iterations) {
  const golden = 0x9e3779b97f4a7c15n;
  let acc = golden;
  for (let i = 0n; i < iterations; i++) {
    acc = ((acc ^ i) * golden) & MASK64;
    acc ^= acc >> 29n;
  }
  return acc;
}
