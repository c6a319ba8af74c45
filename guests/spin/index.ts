// spin: loops that only fuel or a deadline can stop.

const GOLDEN: u64 = 0x9e3779b97f4a7c15;

/** Written by `spin`'s loop, so the loop has an observable effect the optimizer must keep. */
let sink: u32 = 0;

export function spin(): void {
  let x: u32 = sink | 1;
  while (true) {
    x = x * 1664525 + 1013904223;
    if (x == 0) sink++;
  }
}

export function spin_for(iterations: u64): u64 {
  let acc: u64 = GOLDEN;
  for (let i: u64 = 0; i < iterations; i++) {
    acc = (acc ^ i) * GOLDEN;
    acc ^= acc >> 29;
  }
  return acc;
}
