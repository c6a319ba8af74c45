/**
 * Stop checks at loop headers: a cheaper alternative to fuel metering for code the host trusts to
 * be correct but must be able to stop (onnxruntime-web's engine, running inference for a guest).
 *
 * The module gets one new global, `(global (mut i32) (i32.const 0))`, exported as
 * {@link STOP_FLAG_EXPORT}: the host sets it to the address of a byte in linear memory 0. At the
 * header of every loop that calls a function or contains another loop, the rewrite inserts
 *
 * ```wat
 * (if (i32.load8_u (global.get $stop_flag)) (then unreachable))
 * ```
 *
 * so once another thread writes a non-zero byte there (the memory must be shared), the code traps
 * at its next such loop iteration: no JS call, no counter, one load and one branch per iteration.
 * Innermost loops without calls are left alone (they hold the hot arithmetic kernels, where a
 * check cost onnxruntime 7–13% per inference, against ~0% this way): such a loop runs for as long
 * as its trip count, which in onnxruntime is a tensor extent, so the delay it adds to a stop is
 * bounded by the size of the largest tensor the engine's memory cap admits. A long computation
 * either loops through a checked loop or recurses; recursion is not checked (onnxruntime's is
 * bounded by the model's nesting).
 *
 * The new global is appended after every existing one and the export appended to the export
 * section, so no index changes and every other section (names included) stays valid. Throws
 * `InvalidModuleError` for bytes it cannot read.
 */
import { Reader, Writer } from './bytes.js';
import { InvalidModuleError } from './errors.js';
import { Op, readBlockType, skipImmediates } from './opcodes.js';

/** Export name of the global that holds the stop flag's address. */
export const STOP_FLAG_EXPORT = 'sfirt:stop-flag';
/** Changes whenever the rewrite's output changes (keys caches of rewritten modules). */
export const LOOP_CHECK_VERSION = 1;

const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const GLOBAL_SECTION = 6;
const EXPORT_SECTION = 7;
const CODE_SECTION = 10;
const I32 = 0x7f;

/** What {@link addLoopChecks} did. */
export interface LoopCheckResult {
  bytes: Uint8Array<ArrayBuffer>;
  /** Loops in the module. */
  loops: number;
  /** Loops that got a check (the others are innermost loops without calls). */
  checked: number;
}

/** Inserts stop checks at loop headers (see the module comment). */
export function addLoopChecks(bytes: Uint8Array): LoopCheckResult {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[4] !== 1) {
    throw new InvalidModuleError('invalid module: not a core WebAssembly module (version 1)');
  }
  const sections = readSections(bytes);
  const byId = new Map(sections.filter((s) => s.id !== 0).map((s) => [s.id, s]));
  const flagGlobal = countImportedGlobals(bytes, byId.get(2)) + countEntries(bytes, byId.get(GLOBAL_SECTION));
  // global.get $flag; i32.load8_u align=0 offset=0; if (empty) unreachable end
  const check = new Writer(16);
  check.u8(Op.globalGet); check.u32(flagGlobal); check.u8(0x2d); check.u8(0); check.u8(0);
  check.u8(Op.if); check.u8(0x40); check.u8(Op.unreachable); check.u8(Op.end);
  const checkBytes = check.result();

  const out = new Writer(bytes.length + (bytes.length >> 4));
  out.bytes(bytes, 0, 8);
  let loops = 0;
  let checked = 0;
  const emitted = new Set<number>();
  // Sections we add to are written in place of the original or, when absent, just before the first
  // section that must follow them.
  const emitMissing = (beforeOrder: number): void => {
    for (const id of [GLOBAL_SECTION, EXPORT_SECTION]) {
      if (!emitted.has(id) && !byId.has(id) && SECTION_ORDER.indexOf(id) < beforeOrder) {
        emitted.add(id);
        writeSection(out, id, id === GLOBAL_SECTION ? globalSection(bytes, undefined) : exportSection(bytes, undefined, flagGlobal));
      }
    }
  };
  for (const s of sections) {
    if (s.id !== 0) emitMissing(SECTION_ORDER.indexOf(s.id));
    if (s.id === GLOBAL_SECTION) {
      emitted.add(s.id);
      writeSection(out, s.id, globalSection(bytes, s));
    } else if (s.id === EXPORT_SECTION) {
      emitted.add(s.id);
      writeSection(out, s.id, exportSection(bytes, s, flagGlobal));
    } else if (s.id === CODE_SECTION) {
      const code = codeSection(bytes, s, checkBytes);
      loops += code.loops;
      checked += code.checked;
      writeSection(out, s.id, code.writer);
    } else {
      out.u8(s.id);
      out.u32(s.end - s.start);
      out.bytes(bytes, s.start, s.end);
    }
  }
  emitMissing(SECTION_ORDER.length);
  return { bytes: out.result(), loops, checked };
}

interface Span { id: number; start: number; end: number }

function readSections(bytes: Uint8Array): Span[] {
  const r = new Reader(bytes, 8);
  const out: Span[] = [];
  let last = -1;
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    if (id !== 0) {
      const order = SECTION_ORDER.indexOf(id);
      if (order <= last) r.fail(`section ${id} unknown, out of order or repeated`);
      last = order;
    }
    out.push({ id, start, end: r.pos });
  }
  return out;
}

function countImportedGlobals(bytes: Uint8Array, s: Span | undefined): number {
  if (!s) return 0;
  const r = new Reader(bytes, s.start, s.end);
  let globals = 0;
  for (let i = r.u32(); i > 0; i--) {
    r.skip(r.u32());
    r.skip(r.u32());
    const kind = r.u8();
    if (kind === 0) r.u32();
    else if (kind === 1) { r.u8(); limits(r); }
    else if (kind === 2) limits(r);
    else if (kind === 3) { r.u8(); r.u8(); globals++; }
    else if (kind === 4) { r.u8(); r.u32(); }
    else r.fail(`unknown import kind ${kind}`);
  }
  return globals;
}

function limits(r: Reader): void {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
}

function countEntries(bytes: Uint8Array, s: Span | undefined): number {
  return s ? new Reader(bytes, s.start, s.end).u32() : 0;
}

function writeSection(out: Writer, id: number, body: Writer): void {
  out.u8(id);
  out.sized(body);
}

/** The global section with the stop-flag address global appended. */
function globalSection(bytes: Uint8Array, s: Span | undefined): Writer {
  const w = new Writer(s ? s.end - s.start + 16 : 16);
  if (s) {
    const r = new Reader(bytes, s.start, s.end);
    w.u32(r.u32() + 1);
    w.bytes(bytes, r.pos, s.end);
  } else {
    w.u32(1);
  }
  w.u8(I32); w.u8(1); w.u8(Op.i32Const); w.s32(0); w.u8(Op.end);
  return w;
}

/** The export section with {@link STOP_FLAG_EXPORT} appended. */
function exportSection(bytes: Uint8Array, s: Span | undefined, flagGlobal: number): Writer {
  const w = new Writer(s ? s.end - s.start + 32 : 32);
  if (s) {
    const r = new Reader(bytes, s.start, s.end);
    w.u32(r.u32() + 1);
    w.bytes(bytes, r.pos, s.end);
  } else {
    w.u32(1);
  }
  w.name(STOP_FLAG_EXPORT);
  w.u8(3);
  w.u32(flagGlobal);
  return w;
}

/**
 * Rewrites every function body. A loop gets the check when it contains a call or another loop,
 * which is only known at its `end`, so positions are collected first and the body copied after.
 */
function codeSection(bytes: Uint8Array, s: Span, check: Uint8Array): { writer: Writer; loops: number; checked: number } {
  const r = new Reader(bytes, s.start, s.end);
  const count = r.u32();
  const w = new Writer(s.end - s.start + (s.end - s.start) / 8);
  w.u32(count);
  const body = new Writer(1 << 16);
  // Per open control frame: -1 for block/if/try, else the index of the loop in `points`.
  let frames = new Int32Array(256);
  let points = new Int32Array(256); // body offset right after each loop's block type
  let keep = new Uint8Array(256);
  let loops = 0;
  let checked = 0;
  for (let f = 0; f < count; f++) {
    const size = r.u32();
    const end = r.pos + size;
    if (end > s.end) r.fail('function body runs past the code section');
    const br = new Reader(bytes, r.pos, end);
    for (let n = br.u32(); n > 0; n--) { br.u32(); br.u8(); }
    const codeStart = br.pos;
    let depth = 0;
    let nPoints = 0;
    while (!br.done) {
      const op = br.u8();
      if (op === Op.loop || op === Op.block || op === Op.if || op === Op.try) {
        readBlockType(br);
        if (depth === frames.length) frames = grow(frames);
        if (op === Op.loop) {
          if (nPoints === points.length) { points = grow(points); keep = growBytes(keep); }
          points[nPoints] = br.pos;
          keep[nPoints] = 0;
          frames[depth++] = nPoints++;
        } else {
          frames[depth++] = -1;
        }
        continue;
      }
      if (op === Op.end) {
        if (depth > 0) {
          const closed = frames[--depth]!;
          if (closed >= 0) markEnclosingLoop(frames, depth, keep);
        }
        continue;
      }
      if (op === Op.call || op === Op.callIndirect || op === Op.returnCall || op === Op.returnCallIndirect) {
        markEnclosingLoop(frames, depth, keep);
      }
      skipImmediates(br, op);
    }
    body.reset();
    body.bytes(bytes, r.pos, codeStart);
    let copied = codeStart;
    for (let i = 0; i < nPoints; i++) {
      if (!keep[i]) continue;
      body.bytes(bytes, copied, points[i]!);
      body.bytes(check);
      copied = points[i]!;
      checked++;
    }
    body.bytes(bytes, copied, end);
    loops += nPoints;
    w.sized(body);
    r.pos = end;
  }
  if (!r.done) r.fail('trailing bytes in code section');
  return { writer: w, loops, checked };
}

/** Marks the innermost loop around control depth `depth` as needing a check. */
function markEnclosingLoop(frames: Int32Array<ArrayBuffer>, depth: number, keep: Uint8Array<ArrayBuffer>): void {
  for (let d = depth - 1; d >= 0; d--) {
    const p = frames[d]!;
    if (p >= 0) { keep[p] = 1; return; }
  }
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function growBytes(a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(a.length * 2);
  b.set(a);
  return b;
}
