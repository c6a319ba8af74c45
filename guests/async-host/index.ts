// async-host: calls `sfirt:async-host/host.fetch`, which the app may implement with a promise
// (the call then suspends under JSPI), and one export that never calls the host.
export { cabi_realloc } from "../_lib/abi";

@external("sfirt:async-host/host", "fetch")
declare function hostFetch(x: u32): u32;

export function fetch_plus_one(x: u32): u32 {
  return hostFetch(x) + 1;
}

export function fetch_sum(n: u32): u32 {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < n; i++) sum += hostFetch(i);
  return sum;
}

export function fetch_then_spin(x: u32, rounds: u32): u32 {
  let h = hostFetch(x);
  for (let i: u32 = 0; i < rounds; i++) h = (h ^ (h >>> 15)) * 0x2c1b3c6d + i;
  return h;
}

export function add(a: u32, b: u32): u32 {
  return a + b;
}
