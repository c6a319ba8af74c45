import { STATE_EXPORT_PREFIX } from '../instrument/export-state.js';

/** The mutable state of one component instance, as exported by `exportState` from each core instance. */
export interface InstanceState {
  globals: WebAssembly.Global[];
  tables: WebAssembly.Table[];
  memories: WebAssembly.Memory[];
}

/** Collects the state exports of one core instance into `into`. */
export function collectState(exports: WebAssembly.Exports, into: InstanceState): void {
  for (const [name, value] of Object.entries(exports)) {
    if (!name.startsWith(STATE_EXPORT_PREFIX)) continue;
    if (value instanceof WebAssembly.Global) into.globals.push(value);
    else if (value instanceof WebAssembly.Table) into.tables.push(value);
    else if (value instanceof WebAssembly.Memory && !into.memories.includes(value)) into.memories.push(value);
  }
}

/**
 * An instance's state right after initialisation, restorable after every call (pool mode
 * `reset`). Memories are restored by copying the snapshot back (cost proportional to the memory's
 * initial size, not to what the call touched: see the instantiate bench's reset_us_*); a memory or
 * table that grew cannot shrink, so such an instance reports that it cannot be reset and is replaced.
 */
export class InstanceSnapshot {
  readonly #state: InstanceState;
  readonly #globals: unknown[];
  readonly #tables: unknown[][];
  readonly #memories: Uint8Array[];

  constructor(state: InstanceState) {
    this.#state = state;
    this.#globals = state.globals.map((g) => g.value);
    this.#tables = state.tables.map((t) => Array.from({ length: t.length }, (_, i) => t.get(i)));
    this.#memories = state.memories.map((m) => new Uint8Array(m.buffer.slice(0)));
  }

  /** Restores the snapshot; false when the instance grew past it and must be discarded instead. */
  restore(): boolean {
    const { globals, tables, memories } = this.#state;
    for (let i = 0; i < memories.length; i++) {
      if (memories[i]!.buffer.byteLength !== this.#memories[i]!.byteLength) return false;
    }
    for (let i = 0; i < tables.length; i++) {
      if (tables[i]!.length !== this.#tables[i]!.length) return false;
    }
    for (let i = 0; i < memories.length; i++) new Uint8Array(memories[i]!.buffer).set(this.#memories[i]!);
    for (let i = 0; i < globals.length; i++) globals[i]!.value = this.#globals[i];
    for (let i = 0; i < tables.length; i++) {
      const table = tables[i]!;
      const saved = this.#tables[i]!;
      for (let j = 0; j < saved.length; j++) if (table.get(j) !== saved[j]) table.set(j, saved[j]);
    }
    return true;
  }
}
