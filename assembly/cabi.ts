// Canonical-ABI memory for a hand-written AssemblyScript guest.
//
// Everything allocated during one export call (arguments the host lowers through `cabi_realloc`,
// lists and strings the host returns from imports, the export's own result buffers) is recorded
// in a call arena and freed together by `releaseCallMemory()`, which each export's `cabi_post_*`
// calls once the host has read the results. So a pooled instance does not grow call after call.

/** Pointers allocated since the last release (a raw, unmanaged array of usize). */
let arena: usize = 0;
let arenaLength: i32 = 0;
let arenaCapacity: i32 = 0;

function remember(ptr: usize): void {
  if (arenaLength == arenaCapacity) {
    arenaCapacity = arenaCapacity == 0 ? 64 : arenaCapacity * 2;
    const bytes = <usize>arenaCapacity * sizeof<usize>();
    arena = arena == 0 ? heap.alloc(bytes) : heap.realloc(arena, bytes);
  }
  store<usize>(arena + <usize>arenaLength * sizeof<usize>(), ptr);
  arenaLength++;
}

/** Allocates `size` bytes (16-byte aligned) that live until the end of the current export call. */
export function alloc(size: usize): usize {
  const ptr = heap.alloc(size);
  remember(ptr);
  return ptr;
}

/** The canonical ABI's allocator, used by the host to lower arguments and import results. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  // The TLSF allocator aligns every block to 16 bytes, more than any canonical-ABI type needs.
  if (old == 0) return alloc(newSize);
  const ptr = heap.realloc(old, newSize);
  for (let i = 0; i < arenaLength; i++) {
    const slot = arena + <usize>i * sizeof<usize>();
    if (load<usize>(slot) == old) { store<usize>(slot, ptr); break; }
  }
  return ptr;
}

/** Frees the call arena and every managed object no global refers to. Call from `cabi_post_*`. */
export function releaseCallMemory(): void {
  for (let i = 0; i < arenaLength; i++) heap.free(load<usize>(arena + <usize>i * sizeof<usize>()));
  arenaLength = 0;
  // The minimal runtime never collects on its own and does not scan the stack: here, between
  // calls, the only roots are globals, so a full collection is safe.
  __collect();
}

/** Encodes `s` as UTF-8 in the call arena; returns the pointer and stores the length at `lenOut`. */
export function lowerString(s: string, lenOut: usize): usize {
  const len = String.UTF8.byteLength(s);
  const ptr = alloc(<usize>len);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, ptr);
  store<u32>(lenOut, <u32>len);
  return ptr;
}

/** Writes a `(ptr, len)` pair for the UTF-8 encoding of `s` at `at` (a string or list<u8> slot). */
export function storeString(at: usize, s: string): void {
  const ptr = lowerString(s, at + 4);
  store<u32>(at, <u32>ptr);
}
