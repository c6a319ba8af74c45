/**
 * Costs that follow the work: bulk memory and table instructions (`memory.fill/copy/init`,
 * `table.fill/copy/init`) and growth (`memory.grow`, `table.grow`) do work proportional to an
 * operand, not to their instruction count. The metering pass (meter-code.ts) replaces each of them
 * by a call to a helper function appended to the module, one per distinct instruction and
 * immediates, which
 * - charges fuel by size (1 unit per {@link BULK_BYTES_PER_FUEL} bytes; a table element counts as
 *   that many bytes) before doing the work;
 * - splits large operations into chunks ({@link MEMORY_CHUNK_BYTES}, {@link TABLE_CHUNK_ELEMENTS}),
 *   after checking the whole range first (so an out-of-bounds operation still traps before writing
 *   anything, as the spec requires);
 * - asks the host (`work(TICK, 0)`, which checks the deadline) every {@link TICK_BYTES} bytes of
 *   bulk work, whatever the fuel slice: the slice is sized from the guest's measured fuel rate, and
 *   bulk work can be far slower per unit than the code it was measured on;
 * - for growth, asks the host first (`work(GROW, delta)`: deadline, fuel, the instance's total
 *   memory/table cap), and gives the reservation back when V8 then refuses the grow.
 *
 * Helpers are appended after the module's own functions (no index shifts); the tick counter is a
 * global appended after the module's own globals.
 */
import { Writer, type Reader } from './bytes.js';
import { Op } from './opcodes.js';

/** Bytes of bulk memory work per fuel unit (a table element counts as this many bytes). */
export const BULK_BYTES_PER_FUEL = 64;
const FUEL_SHIFT = 6;
/** Largest memory operation done in one piece; larger ones run in chunks of this size. */
export const MEMORY_CHUNK_BYTES = 256 * 1024;
/** Largest table operation done in one piece, in elements. */
export const TABLE_CHUNK_ELEMENTS = 4096;
/**
 * Bulk work (bytes) between two deadline checks, whatever the fuel slice: one chunk. At 1 MiB a
 * cold `memory.fill` (fresh pages) ran up to ~0.7 ms of CPU between two checks; at 256 KiB ~0.2 ms.
 */
export const TICK_BYTES = 256 * 1024;
/** Fuel charged per 64 KiB page of `memory.grow`, plus one page's worth per grow. */
export const GROW_FUEL_PER_PAGE = 65536 / BULK_BYTES_PER_FUEL;

/**
 * `work(code, amount) -> i32` codes: the low two bits say what, bit 2 the kind (0 memory,
 * 1 table), the rest the memory or table index. Answers: 1 go on, 0 refused (grow only), -1 stop.
 */
export const WORK = { tick: 0, grow: 1, refund: 2, table: 4 } as const;

/** Encodes a `work` code for growing (or refunding) memory/table `index`. */
export function workCode(op: number, table: boolean, index: number): number {
  return (index << 3) | (table ? WORK.table : 0) | op;
}

const I32 = 0x7f;
const I32_NE = 0x47, I32_LT_U = 0x49, I32_LE_U = 0x4d, I32_GT_U = 0x4b, I32_OR = 0x72, I32_SHR_U = 0x76, I32_SHL = 0x74;
const SELECT = 0x1b, RETURN = 0x0f, NOP = 0x01;
const REFUEL_PADDING = 512;
const FC = { memoryInit: 8, memoryCopy: 10, memoryFill: 11, tableInit: 12, tableCopy: 14, tableGrow: 15, tableFill: 17 } as const;

/** Everything the helpers need to know about the module around them (final indices). */
export interface BulkContext {
  /** Function index the first helper gets (after every original function). */
  firstFunc: number;
  /** Index the fuel global has (imported shared one, or the module's own). */
  fuelGlobal: number;
  /** Index of the appended tick-counter global. */
  tickGlobal: number;
  /** `grant(need, left)` (own fuel) or `refill(need)` (shared fuel). */
  refillFunc: number;
  ownFuel: boolean;
  memoryRefusedFunc: number;
  workFunc: number;
  /** Memories whose maximum is our cap: a grow V8 refuses there is reported as a memory stop. */
  trackedMemories: boolean[];
  /** Element type of every table (0x70 funcref, 0x6f externref), by index. */
  tableTypes: number[];
  /** Type indices of the appended signatures. */
  types: BulkTypes;
  /** Type index of `(i32, i32) -> i32` (the refuel helper's signature, shared with `grant`). */
  refuelType: number;
  /** Chunk sizes (test aid; default {@link MEMORY_CHUNK_BYTES}, {@link TABLE_CHUNK_ELEMENTS}). */
  chunks?: { memoryBytes: number; tableElements: number };
}

/** Type indices the helpers use (appended to the type section by instrument.ts). */
export interface BulkTypes {
  /** (i32) -> i32: memory.grow */
  i_i: number;
  /** (i32) -> (): charge */
  i_v: number;
  /** (i32 i32 i32) -> (): memory and table fill/copy/init with i32 operands */
  iii_v: number;
  /** (i32 ref i32) -> (): table.fill, by element type */
  ifi_v: number;
  iei_v: number;
  /** (ref i32) -> i32: table.grow, by element type */
  fi_i: number;
  ei_i: number;
}

/** The signatures {@link BulkTypes} names, in the order instrument.ts appends them after `first`. */
export function bulkTypeEntries(first: number): { types: BulkTypes; encoded: number[][] } {
  const FUNCREF = 0x70, EXTERNREF = 0x6f;
  const sigs: [keyof BulkTypes, number[], number[]][] = [
    ['i_i', [I32], [I32]], ['i_v', [I32], []], ['iii_v', [I32, I32, I32], []],
    ['ifi_v', [I32, FUNCREF, I32], []], ['iei_v', [I32, EXTERNREF, I32], []],
    ['fi_i', [FUNCREF, I32], [I32]], ['ei_i', [EXTERNREF, I32], [I32]],
  ];
  const types = {} as BulkTypes;
  const encoded: number[][] = [];
  sigs.forEach(([name, params, results], i) => {
    types[name] = first + i;
    encoded.push([0x60, params.length, ...params, results.length, ...results]);
  });
  return { types, encoded };
}

type Kind = 'refuel' | 'charge' | 'memoryGrow' | 'tableGrow' | 'memoryFill' | 'memoryCopy' | 'memoryInit' | 'tableFill' | 'tableCopy' | 'tableInit';
/**
 * One helper: `a`, `b` are the instruction's decoded immediates; `raw` its immediate bytes exactly
 * as the module wrote them, reused in the helper so V8 validates them as it would have (e.g. the
 * reserved memory index byte must be 0x00 without multi-memory).
 */
interface Helper { kind: Kind; a: number; b: number; raw: Uint8Array }

/**
 * The helpers one module needs, created as the metering pass meets their instructions; then
 * {@link types} and {@link writeBodies} append them to the function and code sections.
 */
export class BulkHelpers {
  readonly #ctx: BulkContext;
  readonly #helpers: Helper[] = [];
  readonly #byKey = new Map<string, number>();

  constructor(ctx: BulkContext) {
    this.#ctx = ctx;
  }

  /** Number of helper functions created so far. */
  get count(): number {
    return this.#helpers.length;
  }

  /** Function index of the helper for `kind` with immediates `a`, `b`. */
  #helper(kind: Kind, a = 0, b = 0, raw: Uint8Array = new Uint8Array(0)): number {
    const key = `${kind}:${raw.join(',')}`;
    let i = this.#byKey.get(key);
    if (i === undefined) {
      // Every bulk helper calls `charge`: make it exist first.
      if (kind !== 'charge' && kind !== 'refuel') this.#helper('charge');
      i = this.#helpers.push({ kind, a, b, raw: raw.slice() }) - 1;
      this.#byKey.set(key, i);
    }
    return this.#ctx.firstFunc + i;
  }

  /**
   * `refuel(need, left) -> fuel`: metered code's slow path, out of line (one per module, so a hot
   * function's body stays small — V8 inlines small functions into their callers). The caller's
   * cached counter `left` cannot pay the next run of `need`: ask the host, trap (`unreachable`) on
   * a stop, store and return the new fuel.
   */
  refuel(): number {
    return this.#helper('refuel');
  }

  /** The helper replacing `memory.grow m` (`raw`: its immediate's bytes). */
  memoryGrow(m: number, raw: Uint8Array): number {
    return this.#helper('memoryGrow', m, 0, raw);
  }

  /**
   * Reads the immediates of the 0xFC instruction `sub` (its prefix and sub-opcode already read)
   * and returns the helper replacing it, or -1 when it is not a bulk operation (immediates read).
   */
  forPrefixFC(r: Reader, sub: number): number {
    const read = () => r.u32();
    const at = r.pos;
    const raw = () => r.buf.subarray(at, r.pos);
    switch (sub) {
      case FC.memoryInit: { const seg = read(); const m = read(); return this.#helper('memoryInit', seg, m, raw()); }
      case FC.memoryCopy: { const dst = read(); const src = read(); return this.#helper('memoryCopy', dst, src, raw()); }
      case FC.memoryFill: { const m = read(); return this.#helper('memoryFill', m, 0, raw()); }
      case FC.tableInit: { const seg = read(); const t = read(); return this.#helper('tableInit', seg, t, raw()); }
      case FC.tableCopy: { const dst = read(); const src = read(); return this.#helper('tableCopy', dst, src, raw()); }
      case FC.tableGrow: case FC.tableFill: {
        const t = read();
        if (this.#ctx.tableTypes[t] === undefined) r.fail(`unknown table ${t}`);
        return this.#helper(sub === FC.tableGrow ? 'tableGrow' : 'tableFill', t, 0, raw());
      }
    }
    if (sub <= 7) return -1; // saturating truncations
    if (sub === 9 || sub === 13 || sub === 16) { read(); return -1; } // data.drop, elem.drop, table.size
    return r.fail(`unknown 0xfc opcode ${sub}`);
  }

  /** Type index of every helper, in function-index order. */
  types(): number[] {
    const t = this.#ctx.types;
    return this.#helpers.map((h) => {
      switch (h.kind) {
        case 'refuel': return this.#ctx.refuelType;
        case 'charge': return t.i_v;
        case 'memoryGrow': return t.i_i;
        case 'tableGrow': return this.#isFuncref(h.a) ? t.fi_i : t.ei_i;
        case 'tableFill': return this.#isFuncref(h.a) ? t.ifi_v : t.iei_v;
        default: return t.iii_v;
      }
    });
  }

  #isFuncref(table: number): boolean {
    return this.#ctx.tableTypes[table] === 0x70;
  }

  /**
   * Appends every helper's body (size-prefixed, as in the code section) to `out`; returns how many
   * are under `smallBytes` (see inlining-share.ts).
   */
  writeBodies(out: Writer, smallBytes = 0): number {
    let small = 0;
    for (const h of this.#helpers) {
      const w = new Writer(128);
      this.#body(w, h);
      if (w.len < smallBytes) small++;
      out.sized(w);
    }
    return small;
  }

  #body(w: Writer, h: Helper): void {
    switch (h.kind) {
      case 'refuel': return this.#refuel(w);
      case 'charge': return this.#charge(w);
      case 'memoryGrow': return this.#grow(w, false, h);
      case 'tableGrow': return this.#grow(w, true, h);
      case 'memoryFill': return this.#ranged(w, h, FC.memoryFill, { table: false, fill: true, overlap: false });
      case 'memoryCopy': return this.#ranged(w, h, FC.memoryCopy, { table: false, fill: false, overlap: h.a === h.b });
      case 'memoryInit': return this.#ranged(w, h, FC.memoryInit, { table: false, fill: false, overlap: false });
      case 'tableFill': return this.#ranged(w, h, FC.tableFill, { table: true, fill: true, overlap: false });
      case 'tableCopy': return this.#ranged(w, h, FC.tableCopy, { table: true, fill: false, overlap: h.a === h.b });
      case 'tableInit': return this.#ranged(w, h, FC.tableInit, { table: true, fill: false, overlap: false });
    }
  }

  /** See {@link refuel}. Params (need, left). */
  #refuel(w: Writer): void {
    const { fuelGlobal: G, refillFunc, ownFuel } = this.#ctx;
    w.u32(0);
    // Padding past V8's inlining size limit (--wasm-inlining-max-size, 500 bytes): this cold path
    // must not be inlined into every metered function, where it would use up the inlining budget
    // of the hot calls (with call-count feedback V8 leaves it out anyway; without, it inlines it).
    for (let i = 0; i < REFUEL_PADDING; i++) w.u8(NOP);
    if (ownFuel) {
      // G = 0 while the host holds the fuel (handed back as `left`); left = grant(need, left)
      w.u8(Op.i32Const); w.u8(0); w.u8(Op.globalSet); w.u32(G);
      w.u8(Op.localGet); w.u32(0); w.u8(Op.localGet); w.u32(1); w.u8(Op.call); w.u32(refillFunc);
      w.u8(Op.localTee); w.u32(1); w.u8(Op.i32Const); w.u8(0); w.u8(Op.i32LtS);
      w.u8(Op.if); w.u8(0x40); w.u8(Op.unreachable); w.u8(Op.end);
      w.u8(Op.localGet); w.u32(1); w.u8(Op.globalSet); w.u32(G);
      w.u8(Op.localGet); w.u32(1);
    } else {
      // the shared global holds the fuel while the host decides: G = left; refill(need) or stop
      w.u8(Op.localGet); w.u32(1); w.u8(Op.globalSet); w.u32(G);
      w.u8(Op.localGet); w.u32(0); w.u8(Op.call); w.u32(refillFunc);
      w.u8(Op.i32Eqz); w.u8(Op.if); w.u8(0x40); w.u8(Op.unreachable); w.u8(Op.end);
      w.u8(Op.globalGet); w.u32(G);
    }
    w.u8(Op.end);
  }

  /**
   * `charge(bytes)`: counts `bytes` of bulk work towards the next deadline check (`work(TICK)`
   * every TICK_BYTES) and charges `bytes / 64` fuel from the module's fuel global, asking the host
   * for more exactly as metered code does (a refusal is a trap). Local 1: the fuel cost.
   */
  #charge(w: Writer): void {
    const { fuelGlobal: G, tickGlobal: T, refillFunc, workFunc, ownFuel } = this.#ctx;
    w.u32(1); w.u32(1); w.u8(I32);
    // tick: T -= bytes; if (T < 0) { T += TICK_BYTES; if (work(0, 0) < 0) unreachable }
    // (bytes never exceed a chunk, so one tick brings T back above 0)
    w.u8(Op.globalGet); w.u32(T); w.u8(Op.localGet); w.u32(0); w.u8(Op.i32Sub); w.u8(Op.globalSet); w.u32(T);
    w.u8(Op.globalGet); w.u32(T); w.u8(Op.i32Const); w.u8(0); w.u8(Op.i32LtS);
    w.u8(Op.if); w.u8(0x40);
    w.u8(Op.globalGet); w.u32(T); w.u8(Op.i32Const); w.s32(TICK_BYTES); w.u8(Op.i32Add); w.u8(Op.globalSet); w.u32(T);
    w.u8(Op.i32Const); w.s32(WORK.tick); w.u8(Op.i32Const); w.u8(0); w.u8(Op.call); w.u32(workFunc);
    w.u8(Op.i32Const); w.u8(0); w.u8(Op.i32LtS); w.u8(Op.if); w.u8(0x40); w.u8(Op.unreachable); w.u8(Op.end);
    w.u8(Op.end);
    // cost = bytes >> 6; nothing more to do when it is 0
    w.u8(Op.localGet); w.u32(0); w.u8(Op.i32Const); w.s32(FUEL_SHIFT); w.u8(I32_SHR_U); w.u8(Op.localTee); w.u32(1);
    w.u8(Op.i32Eqz); w.u8(Op.if); w.u8(0x40); w.u8(RETURN); w.u8(Op.end);
    // the slice cannot pay: ask the host, as metered code's slow path does
    w.u8(Op.globalGet); w.u32(G); w.u8(Op.localGet); w.u32(1); w.u8(Op.i32LtS);
    w.u8(Op.if); w.u8(0x40);
    if (ownFuel) {
      // G = grant(cost, G) with G zeroed during the call (the fuel is handed back as `left`)
      w.u8(Op.localGet); w.u32(1); w.u8(Op.globalGet); w.u32(G);
      w.u8(Op.i32Const); w.u8(0); w.u8(Op.globalSet); w.u32(G);
      w.u8(Op.call); w.u32(refillFunc); w.u8(Op.globalSet); w.u32(G);
      w.u8(Op.globalGet); w.u32(G); w.u8(Op.i32Const); w.u8(0); w.u8(Op.i32LtS);
      w.u8(Op.if); w.u8(0x40); w.u8(Op.unreachable); w.u8(Op.end);
    } else {
      w.u8(Op.localGet); w.u32(1); w.u8(Op.call); w.u32(refillFunc);
      w.u8(Op.i32Eqz); w.u8(Op.if); w.u8(0x40); w.u8(Op.unreachable); w.u8(Op.end);
    }
    w.u8(Op.end);
    w.u8(Op.globalGet); w.u32(G); w.u8(Op.localGet); w.u32(1); w.u8(Op.i32Sub); w.u8(Op.globalSet); w.u32(G);
    w.u8(Op.end);
  }

  /** Call of `charge` with the work of `count` bytes or elements on the stack (elements × 64). */
  #callCharge(w: Writer, table: boolean): void {
    if (table) { w.u8(Op.i32Const); w.s32(FUEL_SHIFT); w.u8(I32_SHL); }
    w.u8(Op.call); w.u32(this.#helper('charge'));
  }

  /**
   * `memory.grow` / `table.grow`: the host decides first (`work(GROW, delta)`: 1 go, 0 refused by
   * the instance's total cap, -1 stop), then the real grow; a grow V8 refuses gives the
   * reservation back. Memory params: (delta); table params: (init, delta). Local: the result.
   */
  #grow(w: Writer, table: boolean, h: Helper): void {
    const { workFunc, memoryRefusedFunc, trackedMemories } = this.#ctx;
    const index = h.a;
    const delta = table ? 1 : 0;
    const r = table ? 2 : 1;
    w.u32(1); w.u32(1); w.u8(I32);
    w.u8(Op.i32Const); w.s32(workCode(WORK.grow, table, index)); w.u8(Op.localGet); w.u32(delta); w.u8(Op.call); w.u32(workFunc);
    w.u8(Op.localTee); w.u32(r); w.u8(Op.i32Const); w.u8(0); w.u8(Op.i32LtS);
    w.u8(Op.if); w.u8(0x40); w.u8(Op.unreachable); w.u8(Op.end);
    w.u8(Op.localGet); w.u32(r); w.u8(Op.i32Eqz);
    w.u8(Op.if); w.u8(0x40);
    if (!table) { w.u8(Op.i32Const); w.s32(index); w.u8(Op.call); w.u32(memoryRefusedFunc); w.u8(Op.drop); }
    w.u8(Op.i32Const); w.s32(-1); w.u8(RETURN);
    w.u8(Op.end);
    if (table) { w.u8(Op.localGet); w.u32(0); w.u8(Op.localGet); w.u32(1); w.u8(0xfc); w.u32(FC.tableGrow); w.bytes(h.raw); }
    else { w.u8(Op.localGet); w.u32(0); w.u8(Op.memoryGrow); w.bytes(h.raw); }
    w.u8(Op.localTee); w.u32(r); w.u8(Op.i32Const); w.s32(-1); w.u8(Op.i32Eq);
    w.u8(Op.if); w.u8(0x40);
    w.u8(Op.i32Const); w.s32(workCode(WORK.refund, table, index)); w.u8(Op.localGet); w.u32(delta); w.u8(Op.call); w.u32(workFunc); w.u8(Op.drop);
    if (!table && trackedMemories[index]) { w.u8(Op.i32Const); w.s32(index); w.u8(Op.call); w.u32(memoryRefusedFunc); w.u8(Op.drop); }
    w.u8(Op.end);
    w.u8(Op.localGet); w.u32(r);
    w.u8(Op.end);
  }

  /**
   * fill/copy/init over a range: params (dst, src-or-value, n), local 3 = chunk. Small operations
   * run as one instruction after their charge. Large ones check the whole range first (an
   * overflowing end runs the original instruction, which traps; otherwise a zero-length operation
   * at the end offsets traps exactly when the original would), then run in charged chunks
   * (backwards for an overlapping copy towards higher addresses).
   */
  #ranged(w: Writer, h: Helper, sub: number, o: { table: boolean; fill: boolean; overlap: boolean }): void {
    const chunk = o.table ? this.#ctx.chunks?.tableElements ?? TABLE_CHUNK_ELEMENTS : this.#ctx.chunks?.memoryBytes ?? MEMORY_CHUNK_BYTES;
    const D = 0, S = 1, N = 2, C = 3;
    const get = (l: number) => { w.u8(Op.localGet); w.u32(l); };
    const set = (l: number) => { w.u8(Op.localSet); w.u32(l); };
    const op = () => { w.u8(0xfc); w.u32(sub); w.bytes(h.raw); };
    const end = (a: number, b: number) => { get(a); get(b); w.u8(Op.i32Add); };
    w.u32(1); w.u32(1); w.u8(I32);
    // Small: charge, then the instruction itself.
    get(N); w.u8(Op.i32Const); w.s32(chunk); w.u8(I32_LE_U);
    w.u8(Op.if); w.u8(0x40);
    get(N); this.#callCharge(w, o.table);
    get(D); get(S); get(N); op(); w.u8(RETURN);
    w.u8(Op.end);
    // An end past 2^32 (i32 wrap): the original instruction decides (it traps unless the range
    // is exactly the whole 4 GiB), and runs in one piece.
    end(D, N); get(D); w.u8(I32_LT_U);
    if (!o.fill) { end(S, N); get(S); w.u8(I32_LT_U); w.u8(I32_OR); }
    w.u8(Op.if); w.u8(0x40); get(D); get(S); get(N); op(); w.u8(RETURN); w.u8(Op.end);
    // Bounds, before any write: the zero-length operation at the ends traps iff the original would.
    end(D, N);
    if (o.fill) get(S); else end(S, N);
    w.u8(Op.i32Const); w.u8(0); op();
    const chunkOf = () => {
      // c = min(n, chunk)
      get(N); w.u8(Op.i32Const); w.s32(chunk); get(N); w.u8(Op.i32Const); w.s32(chunk); w.u8(I32_LT_U); w.u8(SELECT);
      w.u8(Op.localTee); w.u32(C); this.#callCharge(w, o.table);
    };
    const forward = () => {
      w.u8(Op.loop); w.u8(0x40);
      chunkOf();
      get(D); get(S); get(C); op();
      get(D); get(C); w.u8(Op.i32Add); set(D);
      if (!o.fill) { get(S); get(C); w.u8(Op.i32Add); set(S); }
      get(N); get(C); w.u8(Op.i32Sub); w.u8(Op.localTee); w.u32(N); w.u8(Op.brIf); w.u32(0);
      w.u8(Op.end);
    };
    if (o.overlap) {
      // dst above src: copy the last chunk first, so no source byte is overwritten before it is read.
      get(D); get(S); w.u8(I32_GT_U);
      w.u8(Op.if); w.u8(0x40);
      w.u8(Op.loop); w.u8(0x40);
      chunkOf();
      get(N); get(C); w.u8(Op.i32Sub); set(N);
      end(D, N); end(S, N); get(C); op();
      get(N); w.u8(Op.i32Const); w.u8(0); w.u8(I32_NE); w.u8(Op.brIf); w.u32(0);
      w.u8(Op.end);
      w.u8(Op.else);
      forward();
      w.u8(Op.end);
    } else {
      forward();
    }
    w.u8(Op.end);
  }
}
