import { Reader, type Writer } from './bytes.js';
import { Op, skipImmediates } from './opcodes.js';

/**
 * Loop versioning for the tightest loops. A loop shaped as compilers emit `for (; i < n; i++)` with
 * a straight-line body,
 *
 *   loop                                ;; empty block type
 *     <i> <n> i32.lt_u|lt_s|ne          ;; or <n> <i> i32.gt_u|gt_s|ne; <n> a local or a constant
 *     if                                ;; empty block type, no else
 *       <body: no control flow, calls, memory.grow, ref.func; writes neither i nor n>
 *       local.get i  i32.const 1  i32.add  local.set i
 *       br 1                              ;; back to the loop
 *     end
 *   end
 *
 * runs exactly `trips` iterations, computable at entry. Its metered form pays a header check per
 * iteration (`f -= c; br_if f < 0`), which on a body of a few instructions costs 15–25 %. When the
 * fuel left in this slice covers the whole loop, the rewriter charges it once and runs an unmetered
 * copy; otherwise the metered loop runs (and stops exactly where it always would):
 *
 *   trips = continue(i, n) ? n - i : 0
 *   if ((trips + 1) * c <= f) { f -= trips * c + exit; <original loop> } else { <metered loop> }
 *
 * `c` is the metered header charge (condition run plus the prepaid then-run), `exit` what the last,
 * failing check nets after its refund. The metered loop passes all trips + 1 checks exactly when
 * `(trips + 1) * c <= f`, so both forms complete, stop and charge identically: totals are the
 * metered loop's, and when fuel runs short the metered loop runs and stops where it always did. A
 * trap inside the copy leaves the precharge in the function's fuel local, which a trap never writes
 * back (the body has no call to flush it), so the host sees the same fuel as with the metered loop.
 * The slice bounds how long an unmetered copy runs, so the deadline check keeps its period.
 */
export interface CountedLoop {
  /** Induction variable (local index). */
  iv: number;
  /** Bound: a local (index) or a constant. */
  bound: { local: number } | { value: number };
  /** Continue condition, normalised to `i <op> n`. */
  cmp: 'lt_u' | 'lt_s' | 'ne';
  /** Offset of the loop's `loop` opcode and just past its `end`. */
  start: number;
  end: number;
}

type Operand = { local: number } | { value: number };

function operand(r: Reader): Operand | undefined {
  const op = r.u8();
  if (op === Op.localGet) return { local: r.u32() };
  if (op === Op.i32Const) return { value: r.s(32) };
  return undefined;
}

const I32_NE = 0x47, I32_LT_U = 0x49, I32_GT_S = 0x4a, I32_GT_U = 0x4b, I32_LT_S = Op.i32LtS;

/**
 * Recognises a counted loop whose `loop` opcode is at `start` (block type already known to be
 * empty); `locals` is the number of locals the original function has (params included).
 * Returns undefined for anything else; never throws on valid code.
 */
export function matchCountedLoop(buf: Uint8Array, start: number, end: number, locals: number): CountedLoop | undefined {
  const r = new Reader(buf, start, end);
  try {
    if (r.u8() !== Op.loop || r.u8() !== 0x40) return undefined;
    const a = operand(r);
    const b = operand(r);
    const cmpOp = r.u8();
    if (!a || !b || r.u8() !== Op.if || r.u8() !== 0x40) return undefined;
    // The body, up to the increment: where the last four instructions started, and every write.
    const recent: number[] = [];
    const writes: { at: number; local: number }[] = [];
    for (;;) {
      const at = r.pos;
      const op = r.u8();
      if (op === Op.br) {
        if (r.u32() !== 1 || r.u8() !== Op.end || r.u8() !== Op.end || recent.length < 4) return undefined;
        const incAt = recent[recent.length - 4]!;
        const inc = new Reader(buf, incAt, at);
        if (inc.u8() !== Op.localGet) return undefined;
        const iv = inc.u32();
        if (inc.u8() !== Op.i32Const || inc.s(32) !== 1 || inc.u8() !== Op.i32Add || inc.u8() !== Op.localSet || inc.u32() !== iv) return undefined;
        const written = new Set(writes.filter((x) => x.at < incAt).map((x) => x.local));
        return classify(iv, a, b, cmpOp, written, start, r.pos, locals);
      }
      if ((op < Op.drop && op !== 0x01) || op === Op.memoryGrow || op === Op.refFunc) return undefined;
      if (op === Op.localGet || op === Op.localSet || op === Op.localTee) {
        const local = r.u32();
        if (local >= locals) return undefined;
        if (op !== Op.localGet) writes.push({ at, local });
      } else {
        skipImmediates(r, op);
      }
      recent.push(at);
      if (recent.length > 4) recent.shift();
    }
  } catch {
    return undefined; // malformed: the metering pass reports it with its own message
  }
}

function classify(iv: number, a: Operand, b: Operand, cmpOp: number, written: Set<number>, start: number, end: number, locals: number): CountedLoop | undefined {
  let bound: Operand;
  let cmp: CountedLoop['cmp'];
  const isIv = (o: Operand) => 'local' in o && o.local === iv;
  if (isIv(a) && !isIv(b) && (cmpOp === I32_LT_U || cmpOp === I32_LT_S || cmpOp === I32_NE)) {
    bound = b;
    cmp = cmpOp === I32_LT_U ? 'lt_u' : cmpOp === I32_LT_S ? 'lt_s' : 'ne';
  } else if (isIv(b) && !isIv(a) && (cmpOp === I32_GT_U || cmpOp === I32_GT_S || cmpOp === I32_NE)) {
    bound = a;
    cmp = cmpOp === I32_GT_U ? 'lt_u' : cmpOp === I32_GT_S ? 'lt_s' : 'ne';
  } else {
    return undefined;
  }
  if (iv >= locals || written.has(iv) || ('local' in bound && (bound.local >= locals || written.has(bound.local)))) return undefined;
  return { iv, bound, cmp, start, end };
}

/** Local slots and costs the versioned entry needs. */
export interface VersionParams {
  fuelLocal: number;
  /** An i32 local free for the duration of the entry check. */
  scratchLocal: number;
  /** Metered charge per iteration (loop header) and of the final, failing check. */
  perTrip: number;
  exit: number;
  mapGlobal(g: number): number;
}

/**
 * Writes `trips → scratch; if ((trips + 1) * perTrip <= fuel) { fuel -= trips * perTrip + exit;
 * <original loop> } else` — the caller then writes the metered loop and one `end` after it.
 */
export function writeVersionedEntry(w: Writer, buf: Uint8Array, loop: CountedLoop, p: VersionParams): void {
  const bound = () => {
    if ('local' in loop.bound) { w.u8(Op.localGet); w.u32(loop.bound.local); } else { w.u8(Op.i32Const); w.s32(loop.bound.value); }
  };
  const iv = () => { w.u8(Op.localGet); w.u32(loop.iv); };
  // trips = n - i (mod 2^32): exact for `ne`; for `<` only when the loop runs at all.
  bound(); iv(); w.u8(Op.i32Sub);
  if (loop.cmp !== 'ne') {
    w.u8(Op.i32Const); w.u8(0);
    iv(); bound(); w.u8(loop.cmp === 'lt_u' ? I32_LT_U : I32_LT_S);
    w.u8(0x1b); // select
  }
  w.u8(Op.localSet); w.u32(p.scratchLocal);
  // In i64: up to 2^32 trips times the charge cannot overflow.
  w.u8(Op.localGet); w.u32(p.scratchLocal); w.u8(I64_EXTEND_I32_U);
  w.u8(I64_CONST); w.u8(1); w.u8(I64_ADD);
  w.u8(I64_CONST); w.s32(p.perTrip); w.u8(I64_MUL);
  w.u8(Op.localGet); w.u32(p.fuelLocal); w.u8(I64_EXTEND_I32_S);
  w.u8(I64_LE_S);
  w.u8(Op.if); w.u8(0x40);
  // Fits: the charge (less than (trips + 1) * perTrip) is at most the i32 fuel: i32 arithmetic is exact.
  w.u8(Op.localGet); w.u32(p.fuelLocal);
  w.u8(Op.localGet); w.u32(p.scratchLocal); w.u8(Op.i32Const); w.s32(p.perTrip); w.u8(I32_MUL);
  w.u8(Op.i32Const); w.s32(p.exit); w.u8(Op.i32Add);
  w.u8(Op.i32Sub); w.u8(Op.localSet); w.u32(p.fuelLocal);
  copyLoop(w, buf, loop, p.mapGlobal);
  w.u8(Op.else);
}

const I32_MUL = 0x6c, I64_CONST = 0x42, I64_MUL = 0x7e, I64_ADD = 0x7c, I64_LE_S = 0x57;
const I64_EXTEND_I32_S = 0xac, I64_EXTEND_I32_U = 0xad;

/** The original loop, byte for byte except global indices (shifted by the metering's added global). */
function copyLoop(w: Writer, buf: Uint8Array, loop: CountedLoop, mapGlobal: (g: number) => number): void {
  const r = new Reader(buf, loop.start, loop.end);
  let from = r.pos;
  r.u8(); r.u8(); // loop 0x40
  while (r.pos < r.end) {
    const at = r.pos;
    const op = r.u8();
    if (op === Op.globalGet || op === Op.globalSet) {
      const g = r.u32();
      w.bytes(buf, from, at);
      w.u8(op); w.u32(mapGlobal(g));
      from = r.pos;
    } else if (op === Op.loop || op === Op.if) {
      r.u8();
    } else {
      skipImmediates(r, op);
    }
  }
  w.bytes(buf, from, r.end);
}
