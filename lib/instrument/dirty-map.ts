/**
 * The host's side of dirty-page tracking (lib/instrument/dirty-pages.ts): which dirty map belongs
 * to which linear memory, and marking pages the host itself writes.
 *
 * A map is a memory of its own, a byte per 4 KiB page of its memory, defined by the module that defines
 * the memory and exported under the state prefix. The instantiation registers it here, so that
 * - a module that imports the memory gets the same map for its own stores (`sfirt:dirty` imports);
 * - the canonical-ABI glue marks what it writes into guest memory (the regions `realloc` returns
 *   for lowered arguments and results, and import results stored at a return pointer): writes by
 *   JS never go through an instrumented instruction;
 * - the snapshot restores only the marked pages.
 * Registration is per memory object (a WeakMap), so untracked memories cost nothing.
 */
import { DIRTY_PAGE_SHIFT } from './dirty-pages.js';

interface DirtyMap { map: WebAssembly.Memory; view: Uint8Array }
const mapOfMemory = new WeakMap<WebAssembly.Memory, DirtyMap>();
const mapMemories = new WeakSet<WebAssembly.Memory>();

/** Records `map` (a dirty-map memory) as the map of `memory`; returns its byte view. */
export function registerDirtyMap(memory: WebAssembly.Memory, map: WebAssembly.Memory): Uint8Array {
  const view = new Uint8Array(map.buffer); // a map never grows: the view stays valid
  mapOfMemory.set(memory, { map, view });
  mapMemories.add(map);
  return view;
}

/** The dirty map of a memory (byte view), when it is tracked. */
export function dirtyMapOf(memory: WebAssembly.Memory): Uint8Array | undefined {
  return mapOfMemory.get(memory)?.view;
}

/** The map memory of `memory`, when it is tracked (for the `sfirt:dirty` imports of modules importing it). */
export function dirtyMapMemoryOf(memory: WebAssembly.Memory): WebAssembly.Memory | undefined {
  return mapOfMemory.get(memory)?.map;
}

/** True for a dirty map itself: one must never be handed to a guest import other than `sfirt:dirty`. */
export function isDirtyMap(value: unknown): boolean {
  return value instanceof WebAssembly.Memory && mapMemories.has(value);
}

/** Marks every page of `[ptr, ptr + len)` (host writes into guest memory; `ptr` as wasm passes it, maybe negative). */
export function markDirty(map: Uint8Array, ptr: number, len: number): void {
  if (!(len > 0)) return;
  const start = ptr >>> 0;
  const first = start >>> DIRTY_PAGE_SHIFT;
  const last = Math.min(map.length - 1, Math.floor((start + len - 1) / 2 ** DIRTY_PAGE_SHIFT));
  if (first === last) map[first] = 1;
  else if (first < last) map.fill(1, first, last + 1);
}

type Realloc = (oldPtr: number, oldSize: number, align: number, newSize: number) => number;

/** Wraps a guest's `realloc` so the region it returns is marked dirty (the glue writes it next). */
export function markingRealloc(realloc: Realloc, map: Uint8Array): Realloc {
  return (oldPtr, oldSize, align, newSize) => {
    const ptr = realloc(oldPtr, oldSize, align, newSize);
    markDirty(map, ptr, newSize);
    return ptr;
  };
}
