// trap: one export per trap kind. `unreachable_`/`call_indirect_` end in `_` because the plain
// names are AssemblyScript builtins; the build drops a trailing `_` when matching WIT names.

function seven(): u32 {
  return 7;
}

function double(x: i32): i32 {
  return x * 2;
}

/** Taking the functions as values puts them in the table (slot 0 stays empty). */
const TABLE_ENTRIES: StaticArray<usize> = [changetype<usize>(seven), changetype<usize>(double)];

export function unreachable_(): void {
  unreachable();
}

export function divide(a: i32, b: i32): i32 {
  return a / b;
}

export function out_of_bounds(addr: u32): u32 {
  return load<u32>(<usize>addr);
}

export function call_indirect_(index: u32): u32 {
  return call_indirect<u32>(index);
}

/** Holds 0. Loaded at run time so the optimizer cannot fold the null call into `unreachable`. */
const NULL_SLOT: usize = memory.data(4);

export function call_null(): void {
  call_indirect<void>(load<u32>(NULL_SLOT));
}
