// alloc: linear-memory growth, with and without the allocator.
const PAGE_SIZE: u64 = 65536;
const TOUCH_STRIDE: usize = 4096;

function saturateU32(value: u64): u32 {
  return value > <u64>u32.MAX_VALUE ? u32.MAX_VALUE : <u32>value;
}

export function grow(bytes: u32): u32 {
  const pages = (<u64>bytes + PAGE_SIZE - 1) / PAGE_SIZE;
  if (pages == 0) return 0;
  return memory.grow(<i32>pages) < 0 ? 0 : saturateU32(pages * PAGE_SIZE);
}

export function grow_and_use(bytes: u32): u32 {
  if (bytes == 0) return 0;
  const ptr = heap.alloc(bytes);
  for (let offset: usize = 0; offset < bytes; offset += TOUCH_STRIDE) store<u8>(ptr + offset, 1);
  store<u8>(ptr + bytes - 1, 1);
  heap.free(ptr);
  return bytes;
}

export function memory_size(): u32 {
  return saturateU32(<u64>memory.size() * PAGE_SIZE);
}
