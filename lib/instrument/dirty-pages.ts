/**
 * Dirty-page tracking for `reset` pools: after this pass, every instruction that writes a linear
 * memory also marks the 4 KiB page it writes in a **dirty map** — one byte per page, in an extra
 * memory the rewriter adds — so the host restores only the pages a call changed
 * (lib/pool/snapshot.ts) instead of copying the whole memory back.
 *
 * | written by | marked |
 * |---|---|
 * | `*.store*`, `v128.store*` (lanes too), atomic stores, read-modify-writes and `cmpxchg` | the page of `addr + offset` |
 * | `memory.fill`, `memory.copy` (destination), `memory.init` | every page of `[d, d + n)` (one `memory.fill` on the map) |
 * | `memory.grow` | nothing: a memory that grew is not restored, its instance is replaced |
 *
 * A store starts on the page it marks but may run up to 15 bytes into the next one (a v128 store
 * at the page's last byte): the host restores {@link DIRTY_SPILL_BYTES} bytes past every dirty page
 * instead of marking two pages per store. A store reads its page's byte and writes it only when
 * it is still 0, so a loop over pages already marked pays a shift, a load and a predictable branch
 * per store. The mark comes before the write, so a write that traps has marked its page at worst.
 *
 * Where the maps live. Memory `m` of `M` gets map `M + m`, 16 wasm pages (2^20 tracked pages → 1 MiB,
 * the largest 32-bit memory):
 * - a module that **defines** its memories defines their maps too and exports them as
 *   `sfirt:state:dirty:<m>` ({@link DIRTY_EXPORT_PREFIX}), beside exportState's `memory:<m>`;
 * - a module that **imports** its memories (a jco component's adapter or shim modules write the
 *   main module's memory) imports their maps as `sfirt:dirty` / `<m>` ({@link DIRTY_IMPORT_MODULE}):
 *   the host hands it the map of the memory it was given, so its stores mark the owner's map.
 * A module that both imports and defines memories, or has a shared or 64-bit memory, is left
 * unchanged (`tracked: false`); the host then restores that memory in full.
 *
 * The guest cannot reach a map: only the instructions inserted here address it. Every memory index
 * the original code, data segments and exports use is checked against the original count (an index
 * that would have been invalid must not become the map's), and the host refuses a map passed to any
 * other import. Inserted code is not metered, so fuel is the same with and without tracking.
 *
 * Needs multi-memory (V8 ≥ 12, Node ≥ 22): check {@link MULTI_MEMORY} first. Node 20 keeps the
 * full copy.
 */
import { Reader, Writer } from './bytes.js';
import { InvalidModuleError } from './errors.js';
import { readSections, type SectionSpan } from './sections.js';
import { skipImmediates } from './opcodes.js';
import { STATE_EXPORT_PREFIX } from './export-state.js';

/** Import module of the maps a module that imports its memories gets; names are the memory index. */
export const DIRTY_IMPORT_MODULE = 'sfirt:dirty';
/** Export name prefix of the maps of defined memories, followed by the memory index. */
export const DIRTY_EXPORT_PREFIX = `${STATE_EXPORT_PREFIX}dirty:`;
/**
 * log2 of the tracked page size (4 KiB). Finer than the 64 KiB wasm page because a reset copies
 * back whole tracked pages: the componentize-js guest writes ~35 wasm pages per wasi:http request
 * but only ~390 KB of them (2.3 MB copied per reset with 64 KiB pages, ~0.4 MB with 4 KiB).
 */
export const DIRTY_PAGE_SHIFT = 12;
/** Bytes past a dirty page the host restores too: the widest store (v128) starting on its last byte. */
export const DIRTY_SPILL_BYTES = 16;
/** Size of one map in wasm pages: a byte for each tracked page of a 4 GiB memory (mostly never touched). */
const MAP_PAGES = 16;

/**
 * True when this engine validates a module with two memories (multi-memory; V8 ≥ 12, Node ≥ 22),
 * which {@link trackDirtyPages} needs.
 */
export const MULTI_MEMORY: boolean = WebAssembly.validate(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 5, 2, 0, 1, 0, 1]));

/** Options of {@link trackDirtyPages}. */
export interface DirtyPagesOptions {
  /**
   * Test aid: a module that imports its memories defines (and exports) their maps instead of
   * importing them, so it instantiates with no extra imports (the spec suite and the fuzzer check
   * behaviour this way; the marks of such maps are not the owner's).
   */
  ownMaps?: boolean;
}

/** The rewritten module; `tracked` false when it was left as it was (see {@link trackDirtyPages}). */
export interface DirtyPagesResult {
  bytes: Uint8Array;
  tracked: boolean;
  /** Why the module is not tracked. */
  reason?: string;
}

const SECTION = { type: 1, import: 2, func: 3, memory: 5, export: 7, code: 10, data: 11 } as const;
/** Sections an export section must precede: start, element, datacount, code, data. */
const AFTER_EXPORT = new Set([8, 9, 12, 10, 11]);
const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
/** Value operand type of the plain stores 0x36–0x3e. */
const STORE_TYPES = [T.i32, T.i64, T.f32, T.f64, T.i32, T.i32, T.i64, T.i64, T.i64];
/** Operand type of the 0xfe read-modify-writes, by (opcode - 0x1e) % 7. */
const RMW_TYPES = [T.i32, T.i64, T.i32, T.i32, T.i64, T.i64, T.i64];

/**
 * Adds dirty-page marking to every memory write of a core module (see the module comment). Run it
 * last (after instrumentModule and exportState): nothing it inserts is metered or renumbered.
 * Throws {@link InvalidModuleError} for bytes it cannot read or a memory index out of range.
 */
export function trackDirtyPages(bytes: Uint8Array, options: DirtyPagesOptions = {}): DirtyPagesResult {
  const sections = readSections(bytes);
  const find = (id: number) => sections.find((s) => s.id === id);

  const typeParams: (number | undefined)[] = [];
  const typeSec = find(SECTION.type);
  if (typeSec) {
    const r = new Reader(bytes, typeSec.start, typeSec.end);
    for (let n = r.u32(); n > 0; n--) {
      if (r.u8() !== 0x60) return untracked(bytes, 'a type is not a plain function type');
      const p = r.u32(); r.skip(p);
      r.skip(r.u32());
      typeParams.push(p);
    }
  }

  const funcTypes: number[] = [];
  let importedMemories = 0;
  let importCount = 0;
  let importBody: Uint8Array = new Uint8Array(0);
  const importSec = find(SECTION.import);
  if (importSec) {
    const r = new Reader(bytes, importSec.start, importSec.end);
    importCount = r.u32();
    const bodyStart = r.pos;
    for (let i = 0; i < importCount; i++) {
      r.skip(r.u32()); r.skip(r.u32());
      const kind = r.u8();
      if (kind === 0) funcTypes.push(r.u32());
      else if (kind === 1) { r.u8(); skipLimits(r); }
      else if (kind === 2) { if (!plainLimits(r)) return untracked(bytes, 'a shared or 64-bit memory'); importedMemories++; }
      else if (kind === 3) { r.u8(); r.u8(); }
      else if (kind === 4) { r.u8(); r.u32(); }
      else r.fail(`unknown import kind ${kind}`);
    }
    importBody = bytes.subarray(bodyStart, importSec.end);
  }
  const importedFuncs = funcTypes.length;

  let definedMemories = 0;
  const memSec = find(SECTION.memory);
  if (memSec) {
    const r = new Reader(bytes, memSec.start, memSec.end);
    definedMemories = r.u32();
    for (let i = 0; i < definedMemories; i++) if (!plainLimits(r)) return untracked(bytes, 'a shared or 64-bit memory');
  }
  const memories = importedMemories + definedMemories;
  if (memories === 0) return { bytes, tracked: true };
  if (importedMemories > 0 && definedMemories > 0 && !options.ownMaps) return untracked(bytes, 'imports and defines memories');

  const funcSec = find(SECTION.func);
  if (funcSec) {
    const r = new Reader(bytes, funcSec.start, funcSec.end);
    for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
  }

  const checkMem = (r: Reader, m: number) => { if (m >= memories) r.fail(`unknown memory ${m}`); };
  const exportSec = find(SECTION.export);
  if (exportSec) {
    const r = new Reader(bytes, exportSec.start, exportSec.end);
    for (let n = r.u32(); n > 0; n--) {
      const name = r.name();
      const kind = r.u8();
      const index = r.u32();
      if (kind === 2) checkMem(r, index);
      if (name.startsWith(DIRTY_EXPORT_PREFIX)) r.fail(`export name ${name} is reserved`);
    }
  }
  const dataSec = find(SECTION.data);
  if (dataSec) checkDataMemories(new Reader(bytes, dataSec.start, dataSec.end), checkMem);

  const codeSec = find(SECTION.code);
  let codeW: Writer | undefined;
  if (codeSec) {
    const r = new Reader(bytes, codeSec.start, codeSec.end);
    const n = r.u32();
    codeW = new Writer(Math.ceil((codeSec.end - codeSec.start) * 1.5) + 64);
    codeW.u32(n);
    const body = new Writer(1 << 16);
    for (let i = 0; i < n; i++) {
      const size = r.u32();
      const start = r.pos;
      r.skip(size);
      const params = typeParams[funcTypes[importedFuncs + i] ?? -1];
      if (params === undefined) r.fail(`function ${importedFuncs + i} has an unknown type`);
      body.reset();
      rewriteBody(bytes, start, start + size, params!, memories, body);
      codeW.sized(body);
    }
  }

  // The maps: defined after the module's memories, or imported after its imported ones.
  let importW: Writer | undefined;
  let memW: Writer | undefined;
  let exportW: Writer | undefined;
  if (importedMemories > 0 && !options.ownMaps) {
    importW = new Writer(importBody.length + 32 * memories);
    importW.u32(importCount + memories);
    importW.bytes(importBody);
    for (let m = 0; m < memories; m++) { importW.name(DIRTY_IMPORT_MODULE); importW.name(String(m)); importW.u8(2); mapLimits(importW); }
  } else {
    memW = new Writer((memSec ? memSec.end - memSec.start : 0) + 8 * memories);
    memW.u32(definedMemories + memories);
    if (memSec) {
      const r = new Reader(bytes, memSec.start, memSec.end);
      r.u32();
      memW.bytes(bytes, r.pos, memSec.end);
    }
    for (let m = 0; m < memories; m++) mapLimits(memW);
    exportW = new Writer(64 * memories + (exportSec ? exportSec.end - exportSec.start : 0));
    let count = memories;
    let existing: Uint8Array = new Uint8Array(0);
    if (exportSec) {
      const er = new Reader(bytes, exportSec.start, exportSec.end);
      count += er.u32();
      existing = bytes.subarray(er.pos, exportSec.end);
    }
    exportW.u32(count);
    exportW.bytes(existing);
    for (let m = 0; m < memories; m++) { exportW.name(DIRTY_EXPORT_PREFIX + m); exportW.u8(2); exportW.u32(memories + m); }
  }

  const replaced = new Map<number, Writer | undefined>([[SECTION.import, importW], [SECTION.memory, memW], [SECTION.export, exportW], [SECTION.code, codeW]]);
  const out = new Writer(bytes.length + (codeW ? codeW.len - (codeSec!.end - codeSec!.start) : 0) + 256);
  out.bytes(bytes, 0, 8);
  let exportPlaced = exportW === undefined || exportSec !== undefined;
  let memPlaced = memW === undefined || memSec !== undefined;
  const AFTER_MEMORY = new Set([13, 6, 7, 8, 9, 12, 10, 11]);
  const write = (s: SectionSpan) => {
    const w = replaced.get(s.id);
    out.u8(s.id);
    if (w) out.sized(w);
    else { out.u32(s.end - s.start); out.bytes(bytes, s.start, s.end); }
  };
  for (const s of sections) {
    if (!memPlaced && AFTER_MEMORY.has(s.id)) { out.u8(SECTION.memory); out.sized(memW!); memPlaced = true; }
    if (!exportPlaced && AFTER_EXPORT.has(s.id)) { out.u8(SECTION.export); out.sized(exportW!); exportPlaced = true; }
    write(s);
  }
  if (!memPlaced) { out.u8(SECTION.memory); out.sized(memW!); }
  if (!exportPlaced) { out.u8(SECTION.export); out.sized(exportW!); }
  return { bytes: out.result(), tracked: true };
}

function untracked(bytes: Uint8Array, reason: string): DirtyPagesResult {
  return { bytes, tracked: false, reason };
}

/** Reads memory limits; false for a shared or 64-bit memory (not tracked). */
function plainLimits(r: Reader): boolean {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
  return (flags & ~1) === 0;
}

function skipLimits(r: Reader): void {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
}

/** A map's limits: exactly MAP_PAGES, never growing. */
function mapLimits(w: Writer): void {
  w.u8(1); w.u32(MAP_PAGES); w.u32(MAP_PAGES);
}

/** Checks the memory index of every active data segment. */
function checkDataMemories(r: Reader, checkMem: (r: Reader, m: number) => void): void {
  for (let n = r.u32(); n > 0; n--) {
    const flags = r.u32();
    if (flags === 2) checkMem(r, r.u32());
    if (flags === 0 || flags === 2) skipConstExpr(r);
    else if (flags !== 1) r.fail(`unknown data segment flags ${flags}`);
    r.skip(r.u32());
  }
}

function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.u8();
    if (op === 0x0b) return;
    if (op === 0xfd) { r.u32(); r.skip(16); continue; }
    skipImmediates(r, op);
  }
}

/** Scratch locals of one function, allocated on first use (index = first new local + order). */
class Scratch {
  readonly types: number[] = [];
  readonly #slots = new Map<string, number>();
  constructor(readonly first: number) {}
  get(type: number, nth = 0): number {
    const key = `${type}:${nth}`;
    let at = this.#slots.get(key);
    if (at === undefined) { at = this.first + this.types.push(type) - 1; this.#slots.set(key, at); }
    return at;
  }
}

/** Rewrites one function body (locals + code) into `w`. */
function rewriteBody(bytes: Uint8Array, start: number, end: number, params: number, memories: number, w: Writer): void {
  const r = new Reader(bytes, start, end);
  const declStart = r.pos;
  let locals = params;
  const groups = r.u32();
  for (let g = 0; g < groups; g++) { locals += r.u32(); r.u8(); }
  const declEnd = r.pos;
  const scratch = new Scratch(locals);
  /** Per memory: the local holding the page this activation checked last. */
  const lastPages = new Map<number, number>();
  const lastPage = (mem: number) => { let l = lastPages.get(mem); if (l === undefined) { l = scratch.get(T.i32, 10 + mem); lastPages.set(mem, l); } return l; };
  const code = new Writer(end - start + 64);
  const checkMem = (m: number) => { if (m >= memories) r.fail(`unknown memory ${m}`); };
  /** Reads a memarg; returns [memory, offset]. */
  const memarg = (): [number, number] => {
    const align = r.u32();
    const mem = align & 0x40 ? r.u32() : 0;
    checkMem(mem);
    return [mem, r.u32()];
  };
  /** Stashes the value operands, marks the page of `addr + offset`, puts the operands back. */
  const markStore = (mem: number, offset: number, values: number[]) => {
    const slots = values.map((t, i) => scratch.get(t, values.slice(0, i).filter((u) => u === t).length));
    for (let i = slots.length - 1; i >= 0; i--) { code.u8(0x21); code.u32(slots[i]!); }
    const addr = scratch.get(T.i32, 2);
    code.u8(0x22); code.u32(addr);
    if (offset !== 0) { code.u8(0x41); code.s32(offset | 0); code.u8(0x6a); }
    code.u8(0x41); code.s32(DIRTY_PAGE_SHIFT); code.u8(0x76); // i32.shr_u
    // Two filters before the map is written: the page this activation checked last (a local, -1 at
    // entry: one compare in a loop writing one page), then the map byte itself (a load; the map is
    // written only when the page is not marked yet, since a store V8 must assume may alias later
    // loads costs more than a load and a predictable branch).
    const page = scratch.get(T.i32, 3);
    const last = lastPage(mem);
    code.u8(0x22); code.u32(page); code.u8(0x20); code.u32(last); code.u8(0x47); // i32.ne
    code.u8(0x04); code.u8(0x40);
    code.u8(0x20); code.u32(page); code.u8(0x21); code.u32(last);
    code.u8(0x20); code.u32(page);
    code.u8(0x2d); code.u32(0x40); code.u32(memories + mem); code.u32(0); // i32.load8_u from the map
    code.u8(0x45); // i32.eqz
    code.u8(0x04); code.u8(0x40);
    code.u8(0x20); code.u32(page); code.u8(0x41); code.s32(1);
    code.u8(0x3a); code.u32(0x40); code.u32(memories + mem); code.u32(0); // i32.store8 into the map
    code.u8(0x0b);
    code.u8(0x0b);
    code.u8(0x20); code.u32(addr);
    for (const s of slots) { code.u8(0x20); code.u32(s); }
  };
  /** For [d, x, n] on the stack: marks every page of [d, d + n) when n > 0, operands put back. */
  const markRange = (mem: number) => {
    const [d, x, n] = [scratch.get(T.i32, 2), scratch.get(T.i32, 0), scratch.get(T.i32, 1)];
    code.u8(0x21); code.u32(n); code.u8(0x21); code.u32(x); code.u8(0x21); code.u32(d);
    code.u8(0x20); code.u32(n);
    code.u8(0x04); code.u8(0x40); // if n != 0
    const page = () => { code.u8(0x41); code.s32(DIRTY_PAGE_SHIFT); code.u8(0x76); };
    code.u8(0x20); code.u32(d); page(); // first page
    code.u8(0x41); code.s32(1);
    // pages = ((d + n - 1) >> shift) - first + 1; a range past 2^32 makes it huge and the map's fill
    // traps, as the operation itself would have
    code.u8(0x20); code.u32(d); code.u8(0x20); code.u32(n); code.u8(0x6a); code.u8(0x41); code.s32(1); code.u8(0x6b); page();
    code.u8(0x20); code.u32(d); page(); code.u8(0x6b); code.u8(0x41); code.s32(1); code.u8(0x6a);
    code.u8(0xfc); code.u32(11); code.u32(memories + mem); // memory.fill on the map
    code.u8(0x0b);
    code.u8(0x20); code.u32(d); code.u8(0x20); code.u32(x); code.u8(0x20); code.u32(n);
  };

  while (r.pos < end) {
    const at = r.pos;
    const op = r.u8();
    if (op >= 0x28 && op <= 0x3e) {
      const [mem, offset] = memarg();
      if (op >= 0x36) markStore(mem, offset, [STORE_TYPES[op - 0x36]!]);
    } else if (op === 0x3f || op === 0x40) {
      checkMem(r.u32());
    } else if (op === 0xfc) {
      const sub = r.u32();
      if (sub === 8) { r.u32(); const m = r.u32(); checkMem(m); markRange(m); }
      else if (sub === 10) { const dst = r.u32(); checkMem(dst); checkMem(r.u32()); markRange(dst); }
      else if (sub === 11) { const m = r.u32(); checkMem(m); markRange(m); }
      else { r.pos = at + 1; skipImmediates(r, op); }
    } else if (op === 0xfd) {
      const sub = r.u32();
      if (sub <= 11 || sub === 92 || sub === 93) {
        const [mem, offset] = memarg();
        if (sub === 11) markStore(mem, offset, [T.v128]);
      } else if (sub >= 84 && sub <= 91) {
        const [mem, offset] = memarg();
        r.u8(); // lane
        if (sub >= 88) markStore(mem, offset, [T.v128]);
      } else { r.pos = at + 1; skipImmediates(r, op); }
    } else if (op === 0xfe) {
      const sub = r.u32();
      if (sub === 3) r.u8();
      else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) {
        const [mem, offset] = memarg();
        if (sub >= 0x17 && sub <= 0x1d) markStore(mem, offset, [[T.i32, T.i64, T.i32, T.i32, T.i64, T.i64, T.i64][sub - 0x17]!]);
        else if (sub >= 0x1e && sub <= 0x47) markStore(mem, offset, [RMW_TYPES[(sub - 0x1e) % 7]!]);
        else if (sub >= 0x48) { const t = RMW_TYPES[sub - 0x48]!; markStore(mem, offset, [t, t]); }
      } else r.fail(`unknown 0xfe opcode ${sub}`);
    } else {
      skipImmediates(r, op);
    }
    code.bytes(bytes, at, r.pos);
  }

  // Locals: the original groups, then one group per scratch local.
  const gr = new Reader(bytes, declStart, declEnd);
  gr.u32();
  w.u32(groups + scratch.types.length);
  w.bytes(bytes, gr.pos, declEnd);
  for (const t of scratch.types) { w.u32(1); w.u8(t); }
  for (const l of lastPages.values()) { w.u8(0x41); w.s32(-1); w.u8(0x21); w.u32(l); } // no page checked yet
  w.bytes(code.buf, 0, code.len);
}
