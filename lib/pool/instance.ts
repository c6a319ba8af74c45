import type { LoadedComponent } from '../component/loader.js';
import { reservationOf, type Meter } from '../limits/index.js';
import { collectState, InstanceSnapshot, type InstanceState } from './snapshot.js';
import { memoryPool, pooledMemoryImports } from './memory-pool.js';
import { POOLED_MEMORY_MODULE, type PooledMemoryLimits } from '../instrument/import-memory.js';

/** Per-instance hooks the limits layer adds to every core module's imports. */
export interface InstanceHooks {
  /** Extra import modules (e.g. the fuel meter) merged into each core instantiation. */
  imports?: WebAssembly.Imports;
  /** The instance's fuel/deadline meter, when its core modules are metered. */
  meter?: Meter;
  /** Snapshot the state exports after instantiation, for pool mode `reset`. */
  snapshot?: boolean;
}

/** One live instantiation of a component: jco's export object plus the memories it created. */
export class ComponentInstance {
  /** Calls served so far. */
  uses = 0;
  /** Set after any failure: the instance must never be used again. */
  broken = false;
  readonly createdAt = performance.now();
  lastUsedAt = this.createdAt;

  constructor(
    readonly exports: Record<string, unknown>,
    readonly memories: WebAssembly.Memory[],
    readonly hooks: InstanceHooks,
    /** Microseconds spent instantiating. */
    readonly instantiateUs: number,
    /** Post-initialisation state, when the pool resets instances between calls. */
    readonly snapshot?: InstanceSnapshot,
    /** Memories taken from the memory pool, returned by `dispose()`. */
    private readonly pooled: [WebAssembly.Memory, PooledMemoryLimits][] = [],
  ) {}

  /** Called once the instance is gone for good: its pooled memories are zeroed and recycled. */
  dispose(): void {
    for (const [memory, limits] of this.pooled.splice(0)) memoryPool.give(memory, limits);
  }

  /** Total bytes of every linear memory the instance owns. */
  memoryBytes(): number {
    let n = 0;
    for (const m of this.memories) n += m.buffer.byteLength;
    return n;
  }
}

const memoryExportNames = new WeakMap<WebAssembly.Module, string[]>();
/** Names of a module's memory exports (cached: reading the export list allocates). */
function memoryExports(module: WebAssembly.Module): string[] {
  let names = memoryExportNames.get(module);
  if (!names) {
    names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'memory').map((e) => e.name);
    memoryExportNames.set(module, names);
  }
  return names;
}

/**
 * Instantiates a loaded component with the given import object. Synchronous: no await on the hot
 * path. Start functions run here: the caller arms `hooks.meter` first (instantiation is metered
 * like a call) and turns what this throws into a typed error.
 */
export function instantiateComponent(component: LoadedComponent, imports: Record<string, object>, hooks: InstanceHooks = {}): ComponentInstance {
  const t0 = performance.now();
  const memories: WebAssembly.Memory[] = [];
  const state: InstanceState | undefined = hooks.snapshot ? { globals: [], tables: [], memories: [] } : undefined;
  const extra = hooks.imports;
  const pooled: [WebAssembly.Memory, PooledMemoryLimits][] = [];
  const instantiateCore = (module: WebAssembly.Module, importObject?: WebAssembly.Imports) => {
    // The instance's totals (limits.memoryBytes, limits.tableElements) count every core module's
    // own memories and tables, before any is allocated.
    if (hooks.meter) { const [pages, elements] = reservationOf(module); if (pages || elements) hooks.meter.reserve(pages, elements); }
    let imports = extra ? { ...importObject, ...extra } : importObject;
    const wanted = pooledMemoryImports(module);
    if (wanted.length) {
      const memories: Record<string, WebAssembly.Memory> = {};
      for (const limits of wanted) {
        const memory = memoryPool.take(limits);
        pooled.push([memory, limits]);
        memories[`${limits.index}:${limits.min}:${limits.max ?? ''}`] = memory;
      }
      imports = { ...imports, [POOLED_MEMORY_MODULE]: memories };
    }
    const instance = new WebAssembly.Instance(module, imports);
    const exported = instance.exports;
    hooks.meter?.attach(exported);
    for (const name of memoryExports(module)) {
      const value = exported[name] as WebAssembly.Memory;
      if (!memories.includes(value)) memories.push(value);
    }
    if (state) collectState(instance.exports, state);
    return instance;
  };
  let exports: Record<string, unknown>;
  try {
    exports = component.instantiate(imports, instantiateCore);
  } catch (err) {
    for (const [memory, limits] of pooled) memoryPool.give(memory, limits);
    throw err;
  }
  const snapshot = state ? new InstanceSnapshot(state) : undefined;
  return new ComponentInstance(exports, memories, hooks, (performance.now() - t0) * 1000, snapshot, pooled);
}
