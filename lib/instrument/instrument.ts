import { InvalidArgumentError, LimitTooLowError } from '../errors.js';
import { Reader, Writer } from './bytes.js';
import { InvalidModuleError } from './errors.js';
import { meterFunctionBody, type MeterContext } from './meter-code.js';
import { BulkHelpers, bulkTypeEntries, TICK_BYTES } from './bulk-ops.js';
import { FILLER_BODY, MAX_FUNCTIONS, SMALL_BODY_BYTES, fillerCount } from './inlining-share.js';

/** Import module name of everything the metering adds; the host provides it (see lib/limits). */
export const METER_IMPORT_MODULE = 'sfirt:meter';
/** Names inside {@link METER_IMPORT_MODULE}. */
export const METER_IMPORTS = { fuel: 'fuel', refill: 'refill', grant: 'grant', memoryRefused: 'memory_refused', work: 'work' } as const;
/**
 * Custom section a metered module carries: what its own (defined) memories and tables take at
 * instantiation, as two u32 LEB128s (pages, elements), so the host can count them against the
 * instance's totals before instantiating (see lib/limits `Meter.reserve`).
 */
export const RESERVE_SECTION = 'sfirt:reserve';
/**
 * Export name of the module's own fuel global (`fuelGlobal: 'own'`); the host passes the instance's
 * exports to `Meter.attach` so it can read and reclaim that fuel.
 */
export const METER_FUEL_EXPORT = 'sfirt:meter:fuel';
/** Export name of the bulk-work tick counter (lib/instrument/bulk-ops.ts); meter state, not guest state. */
export const METER_TICK_EXPORT = 'sfirt:meter:tick';
/** WebAssembly page size in bytes. */
export const WASM_PAGE_BYTES = 65536;

/** What to do to a core module. */
export interface InstrumentOptions {
  /** Cap every memory (defined and imported) at this many 64 KiB pages; undefined leaves them. */
  memoryMaxPages?: number;
  /** Cap every table (defined and imported) at this many elements; undefined leaves them. */
  tableMaxElements?: number;
  /** Insert fuel metering, the deadline hook and refused-`memory.grow` reporting. */
  meter?: boolean;
  /**
   * Test aid: instead of importing {@link METER_IMPORT_MODULE}, define its fuel global and helpers
   * inside the module (refill always grants another `slice`, default 2^31-1, and never stops), so
   * it instantiates with no extra imports. Same index shifts and same inserted code as the imported
   * form; a small slice exercises the refill/resume paths constantly.
   */
  selfContained?: boolean | { slice: number };
  /**
   * Where the fuel counter lives when metering (not self-contained):
   * - `'imported'` (default): one `(global (mut i32))` imported from {@link METER_IMPORT_MODULE},
   *   shared by all modules of an instance; out of fuel calls `refill(need) -> ok`.
   * - `'own'`: the module defines its own counter and exports it as {@link METER_FUEL_EXPORT}
   *   (V8 reaches an imported mutable global through an extra indirection, which costs 5–30% on
   *   tight loops); out of fuel calls `grant(need, left) -> new fuel or -1 (stop)`. The host must
   *   `attach` every instance's exports to one `Meter`, which keeps fuel shared per instance.
   */
  fuelGlobal?: 'imported' | 'own';
  /**
   * Counted loops with a straight-line body (`for (; i < n; i++)` and LLVM's rotated forms) run in
   * unmetered strips, each paid for up front from the fuel left in the slice (default true; false
   * keeps every loop's per-iteration check, for comparison). Fuel totals, stops and refills are the
   * same either way; see counted-loop.ts.
   */
  versionLoops?: boolean;
  /**
   * Test aid: the chunk sizes bulk memory/table operations are split into (default 256 KiB and
   * 4096 elements; see bulk-ops.ts). Tiny chunks run the chunked paths on every operation.
   */
  bulkChunks?: { memoryBytes: number; tableElements: number };
  /** Run `WebAssembly.validate` on the output and throw {@link InvalidModuleError} if it fails. */
  validate?: boolean;
}

/** One memory of the module after capping. */
export interface MemoryInfo {
  index: number;
  imported: boolean;
  shared: boolean;
  minPages: number;
  /** Declared maximum after capping (undefined: none). */
  maxPages: number | undefined;
  /** The maximum is our cap (so a refused grow there is reported as a memory-limit stop). */
  capped: boolean;
}

/** One table of the module after capping. */
export interface TableInfo {
  index: number;
  imported: boolean;
  minElements: number;
  maxElements: number | undefined;
  /** Element type: 0x70 funcref, 0x6f externref. */
  refType: number;
}

/** The rewritten module and what it declares. */
export interface InstrumentResult {
  bytes: Uint8Array<ArrayBuffer>;
  memories: MemoryInfo[];
  tables: TableInfo[];
  /** True when the module imports {@link METER_IMPORT_MODULE} (metered and not self-contained). */
  importsMeter: boolean;
  /** Number of function bodies rewritten. */
  meteredFunctions: number;
  /** Counted loops given unmetered strips (see `versionLoops`). */
  versionedLoops: number;
}

/** Largest 32-bit memory, in pages. */
const MAX_PAGES = 65536;
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const I32 = 0x7f;

interface Section { id: number; start: number; end: number }

/**
 * Rewrites a core WebAssembly module: caps memories and tables and, with `meter`, inserts fuel
 * metering (see lib/instrument/README.md). Sections it does not need to change are copied byte for
 * byte. Throws {@link InvalidModuleError} (code INVALID_MODULE) for bytes it cannot read,
 * {@link LimitTooLowError} when a cap is below a memory's or table's declared minimum, and
 * InvalidArgumentError for bad options.
 */
export function instrumentModule(bytes: Uint8Array, options: InstrumentOptions = {}): InstrumentResult {
  const { memoryMaxPages: memCap, tableMaxElements: tableCap } = options;
  for (const [name, v] of [['memoryMaxPages', memCap], ['tableMaxElements', tableCap]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new InvalidArgumentError(`${name} must be an integer between 0 and 2^32-1, got ${v}`);
    }
  }
  const r = new Reader(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new InvalidModuleError('invalid module: missing \\0asm magic');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new InvalidModuleError('invalid module: not a core module (version 1); components must be split first');
  }
  r.pos = 8;
  const sections: Section[] = [];
  const byId = new Map<number, Section>();
  let lastOrder = -1;
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    const s = { id, start, end: r.pos };
    if (id !== 0) {
      const order = SECTION_ORDER.indexOf(id);
      if (order < 0) throw new InvalidModuleError(`invalid module: unknown section id ${id}`);
      if (order <= lastOrder) throw new InvalidModuleError(`invalid module: section ${id} out of order or repeated`);
      lastOrder = order;
      byId.set(id, s);
    }
    sections.push(s);
  }

  // Types: parameter counts (block types and function signatures).
  const typeParams: number[] = [];
  const typeSec = byId.get(1);
  if (typeSec) {
    const tr = new Reader(bytes, typeSec.start, typeSec.end);
    const n = tr.u32();
    for (let i = 0; i < n; i++) {
      if (tr.u8() !== 0x60) tr.fail('expected a function type');
      const p = tr.u32(); tr.skip(p);
      const q = tr.u32(); tr.skip(q);
      typeParams.push(p);
    }
    if (!tr.done) tr.fail('trailing bytes in type section');
  }

  // Imports: counts per kind, function types, memory/table limits.
  const funcTypes: number[] = [];
  let numImportedGlobals = 0;
  const memories: MemoryInfo[] = [];
  const tables: TableInfo[] = [];
  const importSec = byId.get(2);
  const importW = new Writer(importSec ? importSec.end - importSec.start + 64 : 64);
  let numImports = 0;
  if (importSec) {
    const ir = new Reader(bytes, importSec.start, importSec.end);
    numImports = ir.u32();
    for (let i = 0; i < numImports; i++) {
      const entryStart = ir.pos;
      ir.skip(ir.u32()); ir.skip(ir.u32());
      const kind = ir.u8();
      if (kind === 0) { funcTypes.push(ir.u32()); importW.bytes(bytes, entryStart, ir.pos); }
      else if (kind === 1) {
        const elemType = ir.u8();
        importW.bytes(bytes, entryStart, ir.pos);
        capTable(ir, importW, tables, true, tableCap, elemType);
      } else if (kind === 2) { importW.bytes(bytes, entryStart, ir.pos); capMemory(ir, importW, memories, true, memCap); }
      else if (kind === 3) { ir.u8(); ir.u8(); numImportedGlobals++; importW.bytes(bytes, entryStart, ir.pos); }
      else if (kind === 4) { ir.u8(); ir.u32(); importW.bytes(bytes, entryStart, ir.pos); }
      else ir.fail(`unknown import kind ${kind}`);
    }
    if (!ir.done) ir.fail('trailing bytes in import section');
  }
  const numImportedFuncs = funcTypes.length;

  // Tables and memories first: the code section (rewritten before anything is emitted, since its
  // helpers add functions) needs their element types and caps.
  let tableW: Writer | undefined;
  const tableSec = byId.get(4);
  if (tableSec) {
    const sr = new Reader(bytes, tableSec.start, tableSec.end);
    if (tableCap === undefined) scanTables(sr, tables);
    else {
      tableW = new Writer(tableSec.end - tableSec.start + 16);
      const n = sr.u32();
      tableW.u32(n);
      for (let i = 0; i < n; i++) { const et = sr.u8(); tableW.u8(et); capTable(sr, tableW, tables, false, tableCap, et); }
      if (!sr.done) sr.fail('trailing bytes in table section');
    }
  }
  let memoryW: Writer | undefined;
  const memorySec = byId.get(5);
  if (memorySec) {
    const sr = new Reader(bytes, memorySec.start, memorySec.end);
    memoryW = new Writer(memorySec.end - memorySec.start + 16);
    const n = sr.u32();
    memoryW.u32(n);
    for (let i = 0; i < n; i++) capMemory(sr, memoryW, memories, false, memCap);
    if (!sr.done) sr.fail('trailing bytes in memory section');
  }
  const globalSec = byId.get(6);
  const numDefinedGlobals = globalSec ? new Reader(bytes, globalSec.start, globalSec.end).u32() : 0;

  const funcSec = byId.get(3);
  if (funcSec) {
    const fr = new Reader(bytes, funcSec.start, funcSec.end);
    const n = fr.u32();
    for (let i = 0; i < n; i++) funcTypes.push(fr.u32());
    if (!fr.done) fr.fail('trailing bytes in function section');
  }
  const numDefined = funcTypes.length - numImportedFuncs;
  const metering = options.meter === true && numDefined > 0;
  const selfContained = metering && options.selfContained !== undefined && options.selfContained !== false;
  const selfSlice = typeof options.selfContained === 'object' ? options.selfContained.slice : 0x7fffffff;
  if (!Number.isInteger(selfSlice) || selfSlice < 1 || selfSlice > 0x7fffffff) {
    throw new InvalidArgumentError(`selfContained.slice must be an integer in 1..2^31-1, got ${selfSlice}`);
  }
  const fuelMode = options.fuelGlobal ?? 'imported';
  if (fuelMode !== 'imported' && fuelMode !== 'own') throw new InvalidArgumentError(`fuelGlobal must be 'imported' or 'own', got ${String(fuelMode)}`);
  // Own mode: the module defines (same index as the imported form) and exports its fuel global.
  // With selfContained too, the in-module helper takes grant's shape (tests the own-mode slow path).
  const ownFuel = metering && fuelMode === 'own';
  const exportsFuel = ownFuel && !selfContained;
  const definesFuel = selfContained || ownFuel;
  // refill|grant, memory_refused and work take the first function slots after the imports.
  const funcShift = metering ? 3 : 0;
  const globalShift = metering ? 1 : 0;
  const helperType = typeParams.length;
  /** (i32, i32) -> i32: `grant(need, left)` (own mode) and `work(code, amount)`. */
  const grantType = typeParams.length + 1;
  const bulkTypes = bulkTypeEntries(typeParams.length + 2);
  /** The bulk-work tick counter, appended after the module's own globals. */
  const tickGlobal = numImportedGlobals + globalShift + numDefinedGlobals;

  const out = new Writer(bytes.length + (bytes.length >> 3) + 256);
  out.bytes(bytes, 0, 8);
  const emit = (id: number, w: Writer) => { out.u8(id); out.sized(w); };
  const copy = (s: Section) => { out.u8(s.id); out.u32(s.end - s.start); out.bytes(bytes, s.start, s.end); };
  let meteredFunctions = 0;
  let versionedLoops = 0;
  const mapFunc = (f: number) => (f >= numImportedFuncs ? f + funcShift : f);
  /** mapFunc for code that V8 validates: appended helpers would make an out-of-range index valid. */
  const mapFuncChecked = (f: number) => {
    if (metering && f >= numImportedFuncs + numDefined) throw new InvalidModuleError(`invalid module: unknown function ${f}`);
    return mapFunc(f);
  };
  const mapGlobal = (g: number) => {
    // With metering, a global is appended (the tick counter): an out-of-range index must stay invalid.
    if (metering && g >= numImportedGlobals + numDefinedGlobals) throw new InvalidModuleError(`invalid module: unknown global ${g}`);
    return g >= numImportedGlobals ? g + globalShift : g;
  };

  // The code section, rewritten before anything is emitted: its bulk helpers are functions too.
  let codeW: Writer | undefined;
  let bulk: BulkHelpers | undefined;
  /** Tiny functions appended last to keep V8's inlining budget (inlining-share.ts). */
  let fillers = 0;
  if (metering) {
    const s = byId.get(10);
    if (!s) throw new InvalidModuleError('invalid module: function section without code section');
    const sr = new Reader(bytes, s.start, s.end);
    const w = new Writer(s.end - s.start + (s.end - s.start >> 2) + 256);
    bulk = new BulkHelpers({
      firstFunc: numImportedFuncs + funcShift + numDefined, fuelGlobal: numImportedGlobals,
      tickGlobal,
      refillFunc: numImportedFuncs, memoryRefusedFunc: numImportedFuncs + 1, workFunc: numImportedFuncs + 2,
      ownFuel, trackedMemories: memories.map((m) => m.capped), tableTypes: tables.map((t) => t.refType), types: bulkTypes.types, refuelType: grantType,
      ...(options.bulkChunks ? { chunks: options.bulkChunks } : {}),
    });
    const ctx: MeterContext = {
      typeParams, numImportedFuncs, numFuncs: numImportedFuncs + numDefined, numImportedGlobals, numGlobals: numImportedGlobals + numDefinedGlobals, funcShift, globalShift,
      refillFunc: numImportedFuncs, memoryRefusedFunc: numImportedFuncs + 1, fuelGlobal: numImportedGlobals,
      bulk, ownFuel, versionLoops: options.versionLoops !== false,
    };
    const n = sr.u32();
    if (n !== numDefined) sr.fail(`code section has ${n} bodies for ${numDefined} functions`);
    const bodies = new Writer(s.end - s.start + (s.end - s.start >> 2) + 256);
    const scratch = new Writer(1 << 16);
    let originalSmall = 0;
    let small = selfContained ? 3 : 0;
    for (let i = 0; i < n; i++) {
      const size = sr.u32();
      const start = sr.pos;
      sr.skip(size);
      if (size < SMALL_BODY_BYTES) originalSmall++;
      const before = bodies.len;
      const type = funcTypes[numImportedFuncs + i]!;
      const params = typeParams[type];
      if (params === undefined) sr.fail(`function ${numImportedFuncs + i} has unknown type ${type}`);
      versionedLoops += meterFunctionBody(bytes, start, start + size, params, ctx, bodies, scratch);
      // size prefix + body: a body under 50 bytes has a 1-byte prefix
      if (bodies.len - before <= SMALL_BODY_BYTES) small++;
      meteredFunctions++;
    }
    if (!sr.done) sr.fail('trailing bytes in code section');
    const helperBodies = new Writer(1024);
    small += bulk.writeBodies(helperBodies, SMALL_BODY_BYTES);
    const total = n + (selfContained ? 3 : 0) + bulk.count;
    fillers = fillerCount(originalSmall, n, small, total, MAX_FUNCTIONS - numImportedFuncs - funcShift - total);
    w.u32(n + (selfContained ? 3 : 0) + bulk.count + fillers);
    if (selfContained) {
      // refill(need): grant a full slice again and continue; memory_refused(mem): nothing.
      const refill = new Writer(16);
      // fuel = max(slice, need); the grant shape (own fuel) returns it instead of setting the global
      refill.u32(0); refill.u8(0x41); refill.s32(selfSlice); refill.u8(0x20); refill.u32(0);
      refill.u8(0x41); refill.s32(selfSlice); refill.u8(0x20); refill.u32(0); refill.u8(0x4a); // i32.gt_s
      refill.u8(0x1b);
      if (!ownFuel) { refill.u8(0x24); refill.u32(numImportedGlobals); refill.u8(0x41); refill.s32(1); }
      refill.u8(0x0b);
      w.sized(refill);
      const refused = new Writer(8);
      refused.u32(0); refused.u8(0x41); refused.s32(0); refused.u8(0x0b);
      w.sized(refused);
      // work(code, amount): every grow is allowed and no deadline is checked.
      const work = new Writer(8);
      work.u32(0); work.u8(0x41); work.s32(1); work.u8(0x0b);
      w.sized(work);
    }
    w.bytes(bodies.buf, 0, bodies.len);
    w.bytes(helperBodies.buf, 0, helperBodies.len);
    for (let i = 0; i < fillers; i++) for (const b of FILLER_BODY) w.u8(b);
    codeW = w;
  }

  const emitCustomsAfter = (idx: number) => {
    for (let i = idx + 1; i < sections.length && sections[i]!.id === 0; i++) {
      const s = sections[i]!;
      if (funcShift > 0 && new Reader(bytes, s.start, s.end).name() === 'name') {
        // Names index functions and globals, which shifted: renumber (keeps guest stack traces readable).
        const renamed = renumberNames(bytes, s, mapFunc, mapGlobal);
        if (renamed) emit(0, renamed);
        continue;
      }
      copy(s);
    }
  };
  emitCustomsAfter(-1);

  for (const id of SECTION_ORDER) {
    const s = byId.get(id);
    const w = new Writer(s ? s.end - s.start + 64 : 64);
    const sr = s ? new Reader(bytes, s.start, s.end) : undefined;
    switch (id) {
      case 1: { // type: append (i32) -> i32 for the helpers
        if (!metering) { if (s) copy(s); break; }
        const n = sr ? sr.u32() : 0;
        w.u32(n + 2 + bulkTypes.encoded.length);
        if (sr) w.bytes(bytes, sr.pos, s!.end);
        w.u8(0x60); w.u32(1); w.u8(I32); w.u32(1); w.u8(I32);
        w.u8(0x60); w.u32(2); w.u8(I32); w.u8(I32); w.u32(1); w.u8(I32);
        for (const t of bulkTypes.encoded) for (const b of t) w.u8(b);
        emit(1, w);
        break;
      }
      case 2: { // import: caps applied above; append the meter imports
        const add = metering && !selfContained;
        if (!s && !add) break;
        w.u32(numImports + (add ? (ownFuel ? 3 : 4) : 0));
        w.bytes(importW.buf, 0, importW.len);
        if (add) {
          // Appended after the originals: the three functions take indices numImportedFuncs to +2,
          // the shared global (imported mode) numImportedGlobals; every defined function/global shifts up.
          if (ownFuel) { w.name(METER_IMPORT_MODULE); w.name(METER_IMPORTS.grant); w.u8(0); w.u32(grantType); }
          else { w.name(METER_IMPORT_MODULE); w.name(METER_IMPORTS.refill); w.u8(0); w.u32(helperType); }
          w.name(METER_IMPORT_MODULE); w.name(METER_IMPORTS.memoryRefused); w.u8(0); w.u32(helperType);
          w.name(METER_IMPORT_MODULE); w.name(METER_IMPORTS.work); w.u8(0); w.u32(grantType);
          if (!ownFuel) { w.name(METER_IMPORT_MODULE); w.name(METER_IMPORTS.fuel); w.u8(3); w.u8(I32); w.u8(1); }
        }
        emit(2, w);
        break;
      }
      case 3: { // function: self-contained helpers first, bulk helpers last
        if (!metering) { if (s) copy(s); break; }
        const n = sr!.u32();
        const helpers = bulk!.types();
        w.u32(n + (selfContained ? 3 : 0) + helpers.length + fillers);
        if (selfContained) { w.u32(ownFuel ? grantType : helperType); w.u32(helperType); w.u32(grantType); }
        w.bytes(bytes, sr!.pos, s!.end);
        for (const t of helpers) w.u32(t);
        for (let i = 0; i < fillers; i++) w.u32(bulkTypes.types.i_v);
        emit(3, w);
        break;
      }
      case 4: // table (capped above)
        if (s) { if (tableW) emit(4, tableW); else copy(s); }
        break;
      case 5: // memory (capped above)
        if (memoryW) emit(5, memoryW);
        break;
      case 6: { // global: remap init expressions; own/self-contained fuel first, the bulk tick counter last
        if (!s && !metering) break;
        const n = sr ? sr.u32() : 0;
        w.u32(n + (definesFuel ? 1 : 0) + (metering ? 1 : 0));
        // Own mode starts empty: the first check asks the host, which then knows of this module.
        if (definesFuel) { w.u8(I32); w.u8(1); w.u8(0x41); w.s32(selfContained ? selfSlice : 0); w.u8(0x0b); }
        for (let i = 0; i < n; i++) {
          w.u8(sr!.u8()); w.u8(sr!.u8());
          constExpr(sr!, w, mapFuncChecked, mapGlobal);
        }
        if (sr && !sr.done) sr.fail('trailing bytes in global section');
        if (metering) { w.u8(I32); w.u8(1); w.u8(0x41); w.s32(TICK_BYTES); w.u8(0x0b); }
        emit(6, w);
        break;
      }
      case 7: { // export: the tick counter (and own mode's fuel global), creating the section if needed
        if (!metering) { if (s) copy(s); break; }
        const n = sr ? sr.u32() : 0;
        w.u32(n + (exportsFuel ? 2 : 1));
        for (let i = 0; i < n; i++) {
          const nameStart = sr!.pos;
          sr!.skip(sr!.u32());
          w.bytes(bytes, nameStart, sr!.pos);
          const kind = sr!.u8();
          const idx = sr!.u32();
          w.u8(kind);
          w.u32(kind === 0 ? mapFuncChecked(idx) : kind === 3 ? mapGlobal(idx) : idx);
        }
        if (sr && !sr.done) sr.fail('trailing bytes in export section');
        if (exportsFuel) { w.name(METER_FUEL_EXPORT); w.u8(3); w.u32(numImportedGlobals); }
        w.name(METER_TICK_EXPORT); w.u8(3); w.u32(tickGlobal);
        emit(7, w);
        break;
      }
      case 8: // start
        if (!s) break;
        if (!metering) { copy(s); break; }
        w.u32(mapFuncChecked(sr!.u32()));
        if (!sr!.done) sr!.fail('trailing bytes in start section');
        emit(8, w);
        break;
      case 9: // element
        if (!s) break;
        if (!metering) { copy(s); break; }
        elementSection(sr!, w, mapFuncChecked, mapGlobal);
        emit(9, w);
        break;
      case 10: // code (rewritten above)
        if (codeW) emit(10, codeW);
        else if (s) copy(s);
        break;
      case 11: // data
        if (!s) break;
        if (!metering || numImportedGlobals === 0) { copy(s); break; }
        dataSection(sr!, w, mapFuncChecked, mapGlobal);
        emit(11, w);
        break;
      default:
        if (s) copy(s);
    }
    if (s) emitCustomsAfter(sections.indexOf(s));
  }

  if (metering) {
    // What the module's own memories and tables take at instantiation (lib/limits `Meter.reserve`).
    const reserve = new Writer(24);
    reserve.name(RESERVE_SECTION);
    reserve.u32(memories.reduce((n, m) => n + (m.imported ? 0 : m.minPages), 0));
    reserve.u32(tables.reduce((n, t) => n + (t.imported ? 0 : t.minElements), 0));
    emit(0, reserve);
  }
  const result = out.result();
  if (options.validate && !WebAssembly.validate(result)) {
    throw new InvalidModuleError('instrumented module does not validate (the input was probably invalid)');
  }
  return { bytes: result, memories, tables, importsMeter: metering && !selfContained, meteredFunctions, versionedLoops };
}

function readLimits(r: Reader): { flags: number; min: number; max: number | undefined } {
  const flags = r.u8();
  if (flags > 3) r.fail(`unsupported limits flags 0x${flags.toString(16)} (memory64 is not available on Node 20)`);
  const min = r.u32();
  const max = flags & 1 ? r.u32() : undefined;
  if (flags === 2) r.fail('shared limits without a maximum');
  return { flags, min, max };
}

function writeLimits(w: Writer, flags: number, min: number, max: number | undefined): void {
  w.u8(max === undefined ? flags & ~1 : flags | 1);
  w.u32(min);
  if (max !== undefined) w.u32(max);
}

function capMemory(r: Reader, w: Writer, memories: MemoryInfo[], imported: boolean, cap: number | undefined): void {
  const { flags, min, max } = readLimits(r);
  const index = memories.length;
  // Adding a max could otherwise turn an invalid oversized memory into a valid one.
  if (min > MAX_PAGES || (max !== undefined && max > MAX_PAGES)) r.fail(`memory size must be at most ${MAX_PAGES} pages`);
  let newMax = max;
  let capped = false;
  if (cap !== undefined) {
    if (min > cap) {
      throw new LimitTooLowError(`memory ${index} declares a minimum of ${min} pages (${min * WASM_PAGE_BYTES} bytes), above the cap of ${cap} pages (${cap * WASM_PAGE_BYTES} bytes)`);
    }
    if (max === undefined || max > cap) { newMax = cap; capped = true; }
  }
  writeLimits(w, flags, min, newMax);
  memories.push({ index, imported, shared: (flags & 2) !== 0, minPages: min, maxPages: newMax, capped });
}

function capTable(r: Reader, w: Writer, tables: TableInfo[], imported: boolean, cap: number | undefined, refType: number): void {
  const { flags, min, max } = readLimits(r);
  const index = tables.length;
  let newMax = max;
  if (cap !== undefined) {
    if (min > cap) throw new LimitTooLowError(`table ${index} declares a minimum of ${min} elements, above the cap of ${cap} elements`);
    if (max === undefined || max > cap) newMax = cap;
  }
  writeLimits(w, flags, min, newMax);
  tables.push({ index, imported, minElements: min, maxElements: newMax, refType });
}

function scanTables(r: Reader, tables: TableInfo[]): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const refType = r.u8();
    const { min, max } = readLimits(r);
    tables.push({ index: tables.length, imported: false, minElements: min, maxElements: max, refType });
  }
}

/** Copies a constant expression, remapping `ref.func` and `global.get` (incl. extended-const ops). */
function constExpr(r: Reader, w: Writer, mapFunc: (f: number) => number, mapGlobal: (g: number) => number): void {
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    switch (op) {
      case 0x0b: w.u8(op); return;
      case 0x41: r.s(32); break;
      case 0x42: r.skipLeb(64); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: r.u8(); break;
      case 0xd2: w.u8(op); w.u32(mapFunc(r.u32())); continue;
      case 0x23: w.u8(op); w.u32(mapGlobal(r.u32())); continue;
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break;
      case 0xfd:
        if (r.u32() !== 12) r.fail('unsupported SIMD op in constant expression');
        r.skip(16);
        break;
      default: r.fail(`unsupported opcode 0x${op.toString(16)} in constant expression`);
    }
    w.bytes(r.buf, at, r.pos);
  }
}

function elementSection(r: Reader, w: Writer, mapFunc: (f: number) => number, mapGlobal: (g: number) => number): void {
  const n = r.u32();
  w.u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    if (flags > 7) r.fail(`unknown element segment flags ${flags}`);
    w.u32(flags);
    if (flags === 2 || flags === 6) w.u32(r.u32()); // table index
    if ((flags & 1) === 0) constExpr(r, w, mapFunc, mapGlobal); // active: offset
    if (flags & 3) w.u8(r.u8()); // elemkind or reftype
    const m = r.u32();
    w.u32(m);
    for (let j = 0; j < m; j++) {
      if (flags & 4) constExpr(r, w, mapFunc, mapGlobal);
      else w.u32(mapFunc(r.u32()));
    }
  }
  if (!r.done) r.fail('trailing bytes in element section');
}

function dataSection(r: Reader, w: Writer, mapFunc: (f: number) => number, mapGlobal: (g: number) => number): void {
  const n = r.u32();
  w.u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    w.u32(flags);
    if (flags === 2) w.u32(r.u32());
    else if (flags > 2) r.fail(`unknown data segment flags ${flags}`);
    if (flags !== 1) constExpr(r, w, mapFunc, mapGlobal);
    const len = r.u32();
    w.u32(len);
    const start = r.pos;
    r.skip(len);
    w.bytes(r.buf, start, r.pos);
  }
  if (!r.done) r.fail('trailing bytes in data section');
}

/**
 * The `name` custom section with function and global indices renumbered; undefined (drop it) if it
 * is malformed, since a name section must never make a module fail.
 */
function renumberNames(bytes: Uint8Array, s: Section, mapFunc: (f: number) => number, mapGlobal: (g: number) => number): Writer | undefined {
  try {
    const r = new Reader(bytes, s.start, s.end);
    const w = new Writer(s.end - s.start + 64);
    const headerStart = r.pos;
    r.skip(r.u32());
    w.bytes(bytes, headerStart, r.pos);
    while (!r.done) {
      const id = r.u8();
      const size = r.u32();
      const end = r.pos + size;
      const sub = new Reader(bytes, r.pos, end);
      r.skip(size);
      const out = new Writer(size + 16);
      const nameMap = (map: (i: number) => number) => {
        const n = sub.u32();
        out.u32(n);
        for (let i = 0; i < n; i++) {
          out.u32(map(sub.u32()));
          const at = sub.pos;
          sub.skip(sub.u32());
          out.bytes(bytes, at, sub.pos);
        }
      };
      if (id === 1) nameMap(mapFunc); // function names
      else if (id === 7) nameMap(mapGlobal); // global names
      else if (id === 2) { // local names: funcidx → name map of locals
        const n = sub.u32();
        out.u32(n);
        for (let i = 0; i < n; i++) {
          out.u32(mapFunc(sub.u32()));
          nameMap((x) => x);
        }
      } else {
        out.bytes(bytes, sub.pos, end);
        sub.pos = end;
      }
      if (!sub.done) return undefined;
      w.u8(id);
      w.sized(out);
    }
    return w;
  } catch {
    return undefined;
  }
}
