import { parsePooledMemoryName, POOLED_MEMORY_MODULE, type PooledMemoryLimits } from '../instrument/import-memory.js';

const PAGE = 65536;
/** Free memories kept per shape; beyond this, returned memories are left to the GC. */
const MAX_FREE_PER_SHAPE = 256;

/**
 * Recycled linear memories for instances whose modules import theirs (see `importMemories`).
 * Allocating a fresh wasm memory per instance makes V8 run full GCs (15–27 ms here) when many
 * short-lived instances are made; reusing zeroed memories removes both that and the allocation.
 * A memory that grew is dropped (it cannot shrink back to the module's declared minimum).
 */
export class MemoryPool {
  #free = new Map<string, WebAssembly.Memory[]>();

  take(limits: PooledMemoryLimits): WebAssembly.Memory {
    const free = this.#free.get(key(limits));
    return free?.pop() ?? new WebAssembly.Memory(limits.max === undefined ? { initial: limits.min } : { initial: limits.min, maximum: limits.max });
  }

  /** Zeroes and keeps a memory whose instance is gone for good. */
  give(memory: WebAssembly.Memory, limits: PooledMemoryLimits): void {
    if (memory.buffer.byteLength !== limits.min * PAGE) return;
    const k = key(limits);
    let free = this.#free.get(k);
    if (!free) this.#free.set(k, (free = []));
    if (free.length >= MAX_FREE_PER_SHAPE) return;
    new Uint8Array(memory.buffer).fill(0);
    free.push(memory);
  }
}

function key(l: PooledMemoryLimits): string {
  return `${l.min}:${l.max ?? ''}`;
}

const importsOf = new WeakMap<WebAssembly.Module, PooledMemoryLimits[]>();

/** The pooled memories a module imports (cached per module). */
export function pooledMemoryImports(module: WebAssembly.Module): PooledMemoryLimits[] {
  let list = importsOf.get(module);
  if (!list) {
    list = WebAssembly.Module.imports(module).filter((i) => i.module === POOLED_MEMORY_MODULE).map((i) => parsePooledMemoryName(i.name));
    importsOf.set(module, list);
  }
  return list;
}

/** One process-wide pool: memories are zeroed on return, so sharing them between functions leaks nothing. */
export const memoryPool = new MemoryPool();
