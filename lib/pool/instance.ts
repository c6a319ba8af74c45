import type { LoadedComponent } from '../component/loader.js';
import { MAY_SUSPEND } from '../component/jspi.js';
import { glueStateOf, type GlueState } from '../component/glue-state.js';
import type { InstanceScope } from '../host/scope.js';
import type { Lease } from './pool.js';
import { reservationOf, type Meter } from '../limits/index.js';
import { collectState, InstanceSnapshot, type InstanceState } from './snapshot.js';
import { memoryPool, pooledMemoryImports } from './memory-pool.js';
import { POOLED_MEMORY_MODULE, type PooledMemoryLimits } from '../instrument/import-memory.js';
import { DIRTY_EXPORT_PREFIX, DIRTY_IMPORT_MODULE } from '../instrument/dirty-pages.js';
import { dirtyMapMemoryOf, isDirtyMap } from '../instrument/dirty-map.js';
import { InvalidComponentError } from '../errors.js';

/** Per-instance hooks the limits layer adds to every core module's imports. */
export interface InstanceHooks {
  /** Extra import modules (e.g. the fuel meter) merged into each core instantiation. */
  imports?: WebAssembly.Imports;
  /** The instance's fuel/deadline meter, when its core modules are metered. */
  meter?: Meter;
  /** Snapshot the state exports after instantiation, for pool mode `reset`. */
  snapshot?: boolean;
  /**
   * The core modules carry dirty-page tracking (lib/instrument/dirty-pages.ts; `reset` pools on
   * engines with multi-memory): modules that import a memory get its map, and the snapshot
   * restores only dirty pages.
   */
  dirtyPages?: boolean;
}

/** One live instantiation of a component: jco's export object plus the memories it created. */
export class ComponentInstance {
  /** Calls served so far. */
  uses = 0;
  /** Set after any failure: the instance must never be used again. */
  broken = false;
  /**
   * While a call that may suspend (async host imports) runs on the instance: settles when it is
   * over. Calls given a handle of this instance wait for it, so two calls never interleave.
   */
  running: Promise<void> | undefined;
  /** Its exports are entered through `WebAssembly.promising` (async host imports): calls may suspend. */
  readonly maySuspend: boolean;
  readonly createdAt = performance.now();
  lastUsedAt = this.createdAt;
  /**
   * The host state the instance owns (WASI descriptors and streams, wasi:nn, wasi:http, ...):
   * released since initialisation by `reset()`, all of it by `dispose()`.
   */
  scope: InstanceScope | undefined;
  /** Its lease on a pool hit, made once (lib/pool/pool.ts). */
  hitLease: Lease | undefined;
  /** The glue's handle tables (lib/component/glue-state.ts); undefined when the glue has no hook. */
  readonly glue: GlueState | undefined;

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
  ) {
    this.maySuspend = (exports as Record<symbol, unknown>)[MAY_SUSPEND] === true;
    this.glue = glueStateOf(exports);
  }

  /**
   * Pool `reset`: puts the instance back in its post-initialisation state — memories, globals and
   * tables (the snapshot), the glue's handle tables, and the host state it owns (everything opened
   * since initialisation is released; seeded streams restart). False when it cannot be (it grew,
   * or its glue keeps tables we cannot reset): the caller discards it instead.
   */
  reset(): boolean {
    // A resource the instance held since initialisation was released during the call: its handle
    // would come back in the guest's tables pointing at nothing. A fresh instance is the state.
    if (this.scope?.initialLost) return false;
    if (!this.glue || !this.snapshot?.restore()) return false;
    this.glue.reset();
    this.scope?.releaseSinceMark();
    return this.scope?.initialLost !== true; // a loss found by the release itself (wasi:nn tensors)
  }

  /**
   * Called once the instance is gone for good: the host state it owns is released, its pooled
   * memories are zeroed and recycled. Idempotent.
   */
  dispose(): void {
    this.scope?.releaseAll();
    this.glue?.releaseAll();
    for (const [memory, limits] of this.pooled.splice(0)) memoryPool.give(memory, limits);
  }

  /** Total bytes of every linear memory the instance owns. */
  memoryBytes(): number {
    let n = 0;
    for (const m of this.memories) n += m.buffer.byteLength;
    return n;
  }
}

/** A module's memory imports, in memory-index order, and whether it imports dirty maps. */
interface MemoryImports { memories: [module: string, name: string][]; maps: number }
const memoryImportLists = new WeakMap<WebAssembly.Module, MemoryImports>();
function memoryImports(module: WebAssembly.Module): MemoryImports {
  let found = memoryImportLists.get(module);
  if (!found) {
    found = { memories: [], maps: 0 };
    for (const i of WebAssembly.Module.imports(module)) {
      if (i.kind !== 'memory') continue;
      if (i.module === DIRTY_IMPORT_MODULE) found.maps++;
      else found.memories.push([i.module, i.name]);
    }
    memoryImportLists.set(module, found);
  }
  return found;
}

/**
 * The `sfirt:dirty` imports of a module that imports memories: the map of each memory it is given.
 * A dirty map given to any other import is refused (only inserted instructions may address one).
 * A memory without a map (not from a tracked module), or a module importing memories without
 * taking maps, leaves writes the snapshot cannot see: `state.untracked` makes it copy in full.
 */
function dirtyImports(module: WebAssembly.Module, importObject: WebAssembly.Imports | undefined, state: InstanceState): WebAssembly.Imports | undefined {
  const { memories, maps } = memoryImports(module);
  if (memories.length === 0) return undefined;
  const out: Record<string, WebAssembly.Memory> = {};
  for (let m = 0; m < memories.length; m++) {
    const [mod, name] = memories[m]!;
    const given = (importObject?.[mod] as Record<string, unknown> | undefined)?.[name];
    if (isDirtyMap(given)) throw new InvalidComponentError(`core import ${mod}.${name} is given a dirty-page map`);
    if (m >= maps) { state.untracked = true; continue; }
    const map = given instanceof WebAssembly.Memory ? dirtyMapMemoryOf(given) : undefined;
    if (!map) state.untracked = true;
    out[String(m)] = map ?? new WebAssembly.Memory({ initial: 1, maximum: 1 });
  }
  return maps > 0 ? { [DIRTY_IMPORT_MODULE]: out } : undefined;
}

const memoryExportNames = new WeakMap<WebAssembly.Module, string[]>();
/** Names of a module's memory exports (cached: reading the export list allocates). */
function memoryExports(module: WebAssembly.Module): string[] {
  let names = memoryExportNames.get(module);
  if (!names) {
    // A dirty-page map is the runtime's bookkeeping, not guest memory.
    names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'memory' && !e.name.startsWith(DIRTY_EXPORT_PREFIX)).map((e) => e.name);
    memoryExportNames.set(module, names);
  }
  return names;
}

/**
 * Instantiates a loaded component with the given import object. Synchronous: no await on the hot
 * path. Start functions run here, then `init` (the function's init export, lib/invoke/init-export.ts)
 * on the export object: the snapshot and the glue's handle tables are recorded after it. The caller
 * arms `hooks.meter` first (instantiation is metered like a call) and turns what this throws into a
 * typed error.
 */
export function instantiateComponent(component: LoadedComponent, imports: Record<string, object>, hooks: InstanceHooks = {}, init?: (exports: Record<string, unknown>) => void): ComponentInstance {
  const t0 = performance.now();
  const memories: WebAssembly.Memory[] = [];
  const state: InstanceState | undefined = hooks.snapshot ? { globals: [], tables: [], memories: [], ...(hooks.dirtyPages ? { dirty: [] } : {}) } : undefined;
  // jco's glue writes guest memory without marking it (our glue marks what it writes).
  if (state?.dirty && component.glue !== 'fast') state.untracked = true;
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
    if (state?.dirty) {
      const maps = dirtyImports(module, importObject, state);
      if (maps) imports = { ...imports, ...maps };
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
    if (init) {
      init(exports);
      // The glue recorded its tables when it was built; what init opened is initial state too.
      glueStateOf(exports)?.mark();
    }
  } catch (err) {
    for (const [memory, limits] of pooled) memoryPool.give(memory, limits);
    throw err;
  }
  const snapshot = state ? new InstanceSnapshot(state) : undefined;
  return new ComponentInstance(exports, memories, hooks, (performance.now() - t0) * 1000, snapshot, pooled);
}
