import { STATE_EXPORT_PREFIX } from '../instrument/export-state.js';
import { DIRTY_EXPORT_PREFIX, DIRTY_PAGE_SHIFT, DIRTY_SPILL_BYTES } from '../instrument/dirty-pages.js';
import { dirtyMapMemoryOf, registerDirtyMap } from '../instrument/dirty-map.js';
import { type DirtyScan, dirtyScanner, SCAN_MIN_MARKS } from './dirty-scan.js';
import { globalRestorer, type GlobalRestorer } from './global-restorer.js';

/** The mutable state of one component instance, as exported by `exportState` from each core instance. */
export interface InstanceState {
  globals: WebAssembly.Global[];
  tables: WebAssembly.Table[];
  memories: WebAssembly.Memory[];
  /**
   * Dirty map of each of `memories` (same index; lib/instrument/dirty-pages.ts), undefined for a
   * memory that is not tracked. Absent: nothing is tracked.
   */
  dirty?: (Uint8Array | undefined)[];
  /**
   * Set when something may write a tracked memory without marking it (a module that imports the
   * memory but could not be given its map, or glue that does not mark its own writes): every
   * memory is then restored in full.
   */
  untracked?: boolean;
}

const PAGE = 2 ** DIRTY_PAGE_SHIFT;
/** Resets after which an instance's numeric globals are restored by a wasm restorer (see `#restorer`). */
const RESTORER_AFTER = 32;
const MEMORY_EXPORT_PREFIX = `${STATE_EXPORT_PREFIX}memory:`;

/** Collects the state exports of one core instance into `into` (and registers its dirty maps). */
export function collectState(exports: WebAssembly.Exports, into: InstanceState): void {
  let maps: Map<string, WebAssembly.Memory> | undefined;
  const own: [string, WebAssembly.Memory][] = [];
  for (const [name, value] of Object.entries(exports)) {
    if (!name.startsWith(STATE_EXPORT_PREFIX)) continue;
    if (value instanceof WebAssembly.Global) into.globals.push(value);
    else if (value instanceof WebAssembly.Table) into.tables.push(value);
    else if (value instanceof WebAssembly.Memory) {
      if (name.startsWith(DIRTY_EXPORT_PREFIX)) (maps ??= new Map()).set(name.slice(DIRTY_EXPORT_PREFIX.length), value);
      else if (!into.memories.includes(value)) { into.memories.push(value); into.dirty?.push(undefined); own.push([name, value]); }
    }
  }
  if (!maps || !into.dirty) return;
  for (const [name, memory] of own) {
    const map = maps.get(name.slice(MEMORY_EXPORT_PREFIX.length));
    if (map) into.dirty[into.memories.indexOf(memory)] = registerDirtyMap(memory, map);
  }
}

/**
 * An instance's state right after initialisation, restorable after every call (pool mode
 * `reset`). A memory with a dirty map (lib/instrument/dirty-pages.ts, Node ≥ 22) gets back only
 * the pages marked dirty since the last restore, plus {@link DIRTY_SPILL_BYTES} after each (a store
 * starting on a page's last bytes), and its map is cleared: the cost follows what the call wrote,
 * not the memory's size. Any other memory (Node 20, or a memory that is not tracked) is copied back
 * whole. A memory or table that grew cannot shrink, so such an instance reports that it cannot be
 * reset and is replaced.
 */
export class InstanceSnapshot {
  readonly #state: InstanceState;
  /**
   * The numeric globals' copies, restored in one wasm call (global-restorer.ts), once the instance
   * was reset {@link RESTORER_AFTER} times: making it costs ~10 µs (an instance of a small module),
   * what setting a dozen globals from JS costs in ~50 resets, so an instance that serves a few calls
   * does not pay for it and one that serves many soon has.
   */
  #restorer: GlobalRestorer | undefined;
  #resets = 0;
  /** The globals restored from JS (all of them until the restorer exists; then the references), and their values. */
  #jsGlobals: WebAssembly.Global[];
  #globals: unknown[];
  readonly #tables: unknown[][];
  readonly #memories: Uint8Array[];
  /** Per memory: its map, cut to the memory's pages, or undefined (full copy). */
  readonly #maps: (Uint8Array | undefined)[];
  /** Per memory: the wasm scanner of a large map (lib/pool/dirty-scan.ts), or undefined. */
  readonly #scans: (DirtyScan | undefined)[];
  /** Per memory with a small map: views of the saved copy by first page of a run (`restoreRun`). */
  readonly #runViews: (Uint8Array | undefined)[][] = [];
  /** Per memory: a view of its current buffer (made again when the buffer changes). */
  readonly #views: (Uint8Array | undefined)[] = [];

  constructor(state: InstanceState) {
    this.#state = state;
    this.#jsGlobals = state.globals;
    this.#globals = state.globals.map((g) => g.value);
    this.#tables = state.tables.map((t) => Array.from({ length: t.length }, (_, i) => t.get(i)));
    this.#memories = state.memories.map((m) => new Uint8Array(m.buffer.slice(0)));
    this.#maps = state.memories.map((m, i) => {
      const map = state.untracked ? undefined : state.dirty?.[i];
      if (!map) return undefined;
      const pages = map.subarray(0, m.buffer.byteLength / PAGE);
      pages.fill(0); // start functions wrote what the snapshot now holds (a trap past it failed instantiation)
      return pages;
    });
    this.#scans = state.memories.map((m, i) => {
      const map = this.#maps[i];
      const mapMemory = map && map.length >= SCAN_MIN_MARKS && map.length % 16 === 0 ? dirtyMapMemoryOf(m) : undefined;
      return mapMemory && map!.byteOffset === 0 ? dirtyScanner(mapMemory) : undefined;
    });
  }

  /** Restores the snapshot; false when the instance grew past it and must be discarded instead. */
  restore(): boolean {
    const { tables, memories } = this.#state;
    const views = this.#views;
    for (let i = 0; i < memories.length; i++) {
      // `.buffer` crosses into V8's API: read once; the view over it is kept while it is the same
      // buffer (a memory that grew has a new one, and cannot be restored anyway).
      const buffer = memories[i]!.buffer;
      if (buffer.byteLength !== this.#memories[i]!.byteLength) return false;
      if (views[i]?.buffer !== buffer) views[i] = new Uint8Array(buffer);
    }
    for (let i = 0; i < tables.length; i++) {
      if (tables[i]!.length !== this.#tables[i]!.length) return false;
    }
    for (let i = 0; i < memories.length; i++) {
      const map = this.#maps[i];
      const scan = this.#scans[i];
      if (scan) restoreDirtyScanned(views[i]!, this.#memories[i]!, map!, scan);
      else if (map) restoreDirty(views[i]!, this.#memories[i]!, map, this.#runViews[i] ??= []);
      else views[i]!.set(this.#memories[i]!);
    }
    this.#restorer?.restore();
    const globals = this.#jsGlobals;
    for (let i = 0; i < globals.length; i++) globals[i]!.value = this.#globals[i];
    if (++this.#resets === RESTORER_AFTER && globals.length > 1) {
      // Every global holds its snapshot value now: the restorer records those.
      const { restorer, others } = globalRestorer(globals);
      this.#restorer = restorer;
      this.#jsGlobals = others;
      this.#globals = others.map((g) => g.value);
    }
    for (let i = 0; i < tables.length; i++) {
      const table = tables[i]!;
      const saved = this.#tables[i]!;
      for (let j = 0; j < saved.length; j++) if (table.get(j) !== saved[j]) table.set(j, saved[j]);
    }
    return true;
  }
}

/**
 * Copies back each run of dirty pages (and the spill past it), then clears the map. For maps under
 * {@link SCAN_MIN_MARKS} (memories under 1 MiB): larger ones go through the wasm scanner.
 */
function restoreDirty(memory: Uint8Array, saved: Uint8Array, map: Uint8Array, views: (Uint8Array | undefined)[]): void {
  for (let p = map.indexOf(1); p !== -1; p = map.indexOf(1, p)) p = restoreRun(memory, saved, map, p, views);
}

/** {@link restoreDirty} with the wasm scanner finding the blocks of 16 marks that hold one. */
function restoreDirtyScanned(memory: Uint8Array, saved: Uint8Array, map: Uint8Array, next: DirtyScan): void {
  const end = map.length;
  for (let i = next(0, end); i < end; i = next(i, end)) {
    let p = i;
    while (map[p] === 0) p++; // the block holds a mark
    i = restoreRun(memory, saved, map, p) & ~15; // that block may hold later marks (earlier ones are cleared)
  }
}

/**
 * Restores the run of dirty pages starting at `p` (and the spill past it); returns the page after
 * it. `views`, for small maps: the view of `saved` last used for a run starting at each page, kept
 * (a call tends to dirty the same runs as the one before it), which saves making one per run.
 */
function restoreRun(memory: Uint8Array, saved: Uint8Array, map: Uint8Array, p: number, views?: (Uint8Array | undefined)[]): number {
  const pages = map.length;
  let q = p + 1;
  while (q < pages && map[q] !== 0) q++;
  const from = p * PAGE;
  const to = Math.min(saved.length, q * PAGE + DIRTY_SPILL_BYTES);
  let view = views?.[p];
  if (view === undefined || view.length !== to - from) {
    view = saved.subarray(from, to);
    if (views) views[p] = view;
  }
  memory.set(view, from);
  for (let k = p; k < q; k++) map[k] = 0;
  return q;
}
