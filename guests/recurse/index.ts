// recurse: deep and unbounded recursion. Each frame does work after its call returns (adds 1 and
// updates `frames`), so neither the optimizer nor V8 can turn the recursion into a loop.

let frames: u32 = 0;

export function recurse(depth: u32): u32 {
  if (depth == 0) return 0;
  const below = recurse(depth - 1);
  frames++;
  return below + 1;
}

export function forever(): u32 {
  const below = forever();
  frames++;
  return below + 1;
}
