/**
 * An inference engine's state right after it started, restorable after the engine trapped (a hard
 * stop at a deadline, an engine bug), so a stopped engine is usable again at once, synchronously,
 * without a second start (which would run onnxruntime's 890 KB initialisation again and cross
 * V8's tier-up budget for it; see ort-wasm-module.ts).
 *
 * The engine's state is its linear memory, its mutable globals (stack pointer, TLS) and its
 * function table, all exported by the rewrite (`exportState`). Memory is saved as its non-zero
 * 64 KiB chunks (onnxruntime-web after start: ~4 MiB of ~9). Restoring copies those back and
 * zeroes every other chunk that is not already zero (the allocator treats memory past its break
 * as fresh, i.e. zero; comparing untouched pages against zero reads the kernel's zero page and
 * does not make them resident). A memory that grew cannot shrink: it keeps its size, zeroed.
 */

const CHUNK = 64 * 1024;
const ZERO = Buffer.alloc(CHUNK);

export interface EngineState {
  memory: WebAssembly.Memory;
  globals: WebAssembly.Global[];
  tables: WebAssembly.Table[];
}

export class EngineSnapshot {
  readonly #state: EngineState;
  /** The non-zero chunks: `#chunks[i]` holds the bytes at `#offsets[i]`. */
  readonly #offsets: number[] = [];
  readonly #chunks: Uint8Array[] = [];
  readonly #globals: unknown[];
  readonly #tables: unknown[][];

  constructor(state: EngineState) {
    this.#state = state;
    const bytes = Buffer.from(state.memory.buffer);
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const chunk = bytes.subarray(at, Math.min(at + CHUNK, bytes.length));
      if (chunk.equals(ZERO.subarray(0, chunk.length))) continue;
      this.#offsets.push(at);
      this.#chunks.push(new Uint8Array(chunk));
    }
    this.#globals = state.globals.map((g) => g.value);
    this.#tables = state.tables.map((t) => Array.from({ length: t.length }, (_, i) => t.get(i)));
  }

  /** Bytes of memory the snapshot keeps. */
  get memoryBytes(): number {
    return this.#chunks.reduce((n, c) => n + c.byteLength, 0);
  }

  /** Puts the engine back as it was. Throws when a table grew (never seen with onnxruntime-web). */
  restore(): void {
    const { memory, globals, tables } = this.#state;
    for (let i = 0; i < tables.length; i++) {
      if (tables[i]!.length !== this.#tables[i]!.length) throw new Error('the engine\'s function table grew');
    }
    const bytes = Buffer.from(memory.buffer);
    let next = 0;
    for (let at = 0; at < bytes.length; at += CHUNK) {
      if (this.#offsets[next] === at) {
        bytes.set(this.#chunks[next++]!, at);
        continue;
      }
      const chunk = bytes.subarray(at, Math.min(at + CHUNK, bytes.length));
      if (!chunk.equals(ZERO.subarray(0, chunk.length))) chunk.fill(0);
    }
    for (let i = 0; i < globals.length; i++) globals[i]!.value = this.#globals[i];
    for (let i = 0; i < tables.length; i++) {
      const table = tables[i]!;
      const saved = this.#tables[i]!;
      for (let j = 0; j < saved.length; j++) if (table.get(j) !== saved[j]) table.set(j, saved[j]);
    }
  }
}
