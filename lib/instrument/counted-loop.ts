import { Reader, type Writer } from './bytes.js';
import { Op, skipImmediates } from './opcodes.js';

/**
 * Strip mining for the tightest loops. Two shapes whose trip count is known at entry, with a
 * straight-line body (no control flow, calls, memory.grow, bulk memory/table operations or ref.func;
 * writes neither i nor n):
 *
 *   while (AssemblyScript's `for`)           do-while (LLVM's rotated loops)
 *   loop                                     loop
 *     <i> <n> i32.lt_u|lt_s|ne                 <body>
 *     if                                       local.get i  i32.const 1  i32.add  local.tee i
 *       <body>                                 <n>  i32.lt_u|lt_s|ne              br_if 0
 *       local.get i i32.const 1 i32.add      end
 *       local.set i
 *       br 1                                 (also `local.set i  local.get i  <n>  cmp`,
 *     end                                    `local.set i  <n>  local.get i  gt_u|gt_s|ne`,
 *   end                                      and the countdown `local.get k  i32.const -1
 *                                            i32.add  local.tee k  br_if 0`)
 *
 * (the while condition may also be `<n> <i> gt_u|gt_s|ne`; `<n>` is a local or a constant).
 * The metered form pays a header check per iteration (`f -= c; br_if f < 0`), which on a body of a
 * few instructions costs 15–25 %. Instead, at entry and again each time the slow path has refilled
 * the slice, the rewritten loop runs as many passes as the fuel left in the slice pays for as an
 * unmetered copy whose condition compares with a limit `lim` in place of `n` (strip mining):
 *
 *   block $metered
 *     x = passes left − 1          ;; while: trips left; do-while: body runs left − 1
 *     if ((x + 1) * c <= f)        { f -= x * c + last; s = passes left; final = 1 }
 *     else if (f >= c)             { s = f / c;  f -= s * c;  final = 0 }
 *     else                         br $metered
 *     lim = i + step * s;  <original loop, comparing with lim>;  br_if $exit (final);  br $retry
 *   end
 *   <metered loop; its slow path refills, then branches to $retry>
 *
 * `c` is the metered header charge (for a while loop: condition run plus the prepaid then-run);
 * `last` is what the final header nets (while: the failing check after its refund; do-while: a full
 * `c`). A strip ends with fuel left below one pass, so the metered loop's first check goes to the
 * slow path with exactly the fuel the metered loop would have had there: both forms refill, stop
 * and charge identically, and the totals are the metered loop's. A trap inside a strip leaves its
 * precharge in the function's fuel local, which a trap never writes back (the body has no call to
 * flush it), so the host sees the same fuel. A strip never outlasts a slice, so the deadline check
 * keeps its period.
 */
export interface CountedLoop {
  shape: 'while' | 'do';
  /** Induction variable (local index) and its step. */
  iv: number;
  step: 1 | -1;
  /** Bound: a local (index) or a constant. */
  bound: Operand;
  /** Continue condition, normalised to `i <cmp> n` (a step of -1 comes only with `ne`). */
  cmp: 'lt_u' | 'lt_s' | 'ne';
  /** Offset of the loop's `loop` opcode and just past its `end`. */
  start: number;
  end: number;
  /**
   * Where the copy compares with `lim` instead: the bound operand's bytes `[patchAt, patchEnd)` are
   * replaced by `local.get lim`; for the countdown (`local.tee k  br_if 0`, no operand) `lim` and
   * an `i32.ne` are inserted before the `br_if` (patchAt = patchEnd).
   */
  patchAt: number;
  patchEnd: number;
}

type Operand = { local: number } | { value: number };

const I32_NE = 0x47, I32_LT_U = 0x49, I32_GT_S = 0x4a, I32_GT_U = 0x4b, I32_LT_S = Op.i32LtS;
const I32_MUL = 0x6c, I32_DIV_U = 0x6e, I64_CONST = 0x42, I64_MUL = 0x7e, I64_ADD = 0x7c, I64_LE_S = 0x57;
const I64_EXTEND_I32_S = 0xac, I64_EXTEND_I32_U = 0xad, SELECT = 0x1b, NOP = 0x01;

/** One decoded instruction: opcode and its single integer immediate where it has one we look at. */
interface Insn { at: number; op: number; imm: number }

const isOperand = (x: Insn | undefined): boolean => x !== undefined && (x.op === Op.localGet || x.op === Op.i32Const);
const toOperand = (x: Insn): Operand => (x.op === Op.localGet ? { local: x.imm } : { value: x.imm });
const isGet = (x: Insn | undefined, l: number) => x !== undefined && x.op === Op.localGet && x.imm === l;
const isConst = (x: Insn | undefined, v: number) => x !== undefined && x.op === Op.i32Const && x.imm === v;

/**
 * Reads straight-line instructions until a control one (returned last), or undefined when the code
 * has anything a versioned body must not contain or a local index ≥ `locals`.
 */
function readStraight(r: Reader, locals: number): Insn[] | undefined {
  const out: Insn[] = [];
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    let imm = 0;
    if (op === Op.localGet || op === Op.localSet || op === Op.localTee) {
      imm = r.u32();
      if (imm >= locals) return undefined;
    } else if (op === Op.i32Const) {
      imm = r.s(32);
    } else if (op === Op.if || op === Op.br || op === Op.brIf) {
      imm = op === Op.if ? r.u8() : r.u32();
      out.push({ at, op, imm });
      return out;
    } else if ((op < Op.drop && op !== NOP) || op === Op.memoryGrow || op === Op.refFunc) {
      return undefined;
    } else if (op === Op.prefixFC && r.buf[r.pos]! >= 8) {
      return undefined; // bulk memory/table operations become helper calls (bulk-ops.ts)
    } else {
      skipImmediates(r, op);
    }
    out.push({ at, op, imm });
  }
}

/**
 * `i <op> n` normalised, or undefined. `a`, `b` are the compared operands in stack order; `next`
 * is the instruction after `b` (the comparison), which bounds the bound operand's bytes.
 */
function condition(a: Insn, b: Insn, cmpOp: number, iv: number, next: Insn): { bound: Operand; cmp: CountedLoop['cmp']; patchAt: number; patchEnd: number } | undefined {
  if (isGet(a, iv) && !isGet(b, iv) && isOperand(b) && (cmpOp === I32_LT_U || cmpOp === I32_LT_S || cmpOp === I32_NE)) {
    return { bound: toOperand(b), cmp: cmpOp === I32_LT_U ? 'lt_u' : cmpOp === I32_LT_S ? 'lt_s' : 'ne', patchAt: b.at, patchEnd: next.at };
  }
  if (isGet(b, iv) && !isGet(a, iv) && isOperand(a) && (cmpOp === I32_GT_U || cmpOp === I32_GT_S || cmpOp === I32_NE)) {
    return { bound: toOperand(a), cmp: cmpOp === I32_GT_U ? 'lt_u' : cmpOp === I32_GT_S ? 'lt_s' : 'ne', patchAt: a.at, patchEnd: b.at };
  }
  return undefined;
}

/** True when no instruction in `body` writes `iv` or the bound local. */
function untouched(body: Insn[], iv: number, bound: Operand): boolean {
  return body.every((x) => (x.op !== Op.localSet && x.op !== Op.localTee) || (x.imm !== iv && !('local' in bound && x.imm === bound.local)));
}

/**
 * Recognises a counted loop whose `loop` opcode is at `start`; `locals` is the number of locals the
 * original function has (params included). Returns undefined for anything else; never throws.
 */
export function matchCountedLoop(buf: Uint8Array, start: number, end: number, locals: number): CountedLoop | undefined {
  const r = new Reader(buf, start, end);
  try {
    if (r.u8() !== Op.loop || r.u8() !== 0x40) return undefined;
    const head = readStraight(r, locals);
    if (!head) return undefined;
    const last = head.pop()!;
    if (last.op === Op.if) return matchWhile(r, head, last, start, locals);
    if (last.op === Op.brIf && last.imm === 0 && r.u8() === Op.end) return matchDo(head, last, start, r.pos);
    return undefined;
  } catch {
    return undefined; // malformed: the metering pass reports it with its own message
  }
}

function matchWhile(r: Reader, cond: Insn[], ifInsn: Insn, start: number, locals: number): CountedLoop | undefined {
  if (ifInsn.imm !== 0x40 || cond.length !== 3) return undefined;
  const body = readStraight(r, locals);
  const br = body?.pop();
  if (!body || !br || br.op !== Op.br || br.imm !== 1 || r.u8() !== Op.end || r.u8() !== Op.end || body.length < 4) return undefined;
  // Increment: local.get i  i32.const 1  i32.add  local.set i
  const [g, one, add, set] = body.slice(-4) as [Insn, Insn, Insn, Insn];
  const iv = g.imm;
  if (g.op !== Op.localGet || !isConst(one, 1) || add.op !== Op.i32Add || set.op !== Op.localSet || set.imm !== iv) return undefined;
  const c = condition(cond[0]!, cond[1]!, cond[2]!.op, iv, cond[2]!);
  if (!c || !untouched(body.slice(0, -4), iv, c.bound)) return undefined;
  return { shape: 'while', iv, step: 1, ...c, start, end: r.pos };
}

function matchDo(code: Insn[], brIf: Insn, start: number, end: number): CountedLoop | undefined {
  const n = code.length;
  const at = (k: number) => code[n - k];
  // Countdown: local.get k  i32.const -1  i32.add  local.tee k  (br_if 0)
  if (n >= 4 && at(4)!.op === Op.localGet && isConst(at(3), -1) && at(2)!.op === Op.i32Add && at(1)!.op === Op.localTee && at(1)!.imm === at(4)!.imm) {
    const iv = at(4)!.imm;
    const bound = { value: 0 };
    if (!untouched(code.slice(0, -4), iv, bound)) return undefined;
    return { shape: 'do', iv, step: -1, bound, cmp: 'ne', start, end, patchAt: brIf.at, patchEnd: brIf.at };
  }
  // Count up: local.get i  i32.const 1  i32.add, then `local.tee i  <n> cmp`, `local.set i
  // local.get i  <n>  cmp` or `local.set i  <n>  local.get i  cmp`.
  let inc: number;
  let a: Insn, b: Insn;
  if (n >= 6 && at(3)!.op === Op.localTee) {
    inc = 6; a = { ...at(3)!, op: Op.localGet }; b = at(2)!;
  } else if (n >= 7 && at(4)!.op === Op.localSet) {
    inc = 7; a = at(3)!; b = at(2)!;
    if (!isGet(a, at(4)!.imm) && !isGet(b, at(4)!.imm)) return undefined;
  } else {
    return undefined;
  }
  const g = at(inc)!, write = at(inc - 3)!;
  const iv = g.imm;
  if (g.op !== Op.localGet || !isConst(at(inc - 1), 1) || at(inc - 2)!.op !== Op.i32Add || write.imm !== iv) return undefined;
  const c = condition(a, b, at(1)!.op, iv, at(1)!);
  if (!c || !untouched(code.slice(0, -inc), iv, c.bound)) return undefined;
  return { shape: 'do', iv, step: 1, ...c, start, end };
}

/** Local slots and costs the strips need. */
export interface StripParams {
  fuelLocal: number;
  /** Free i32 locals: passes to run, and the limit the copy compares with. */
  scratchLocal: number;
  limitLocal: number;
  /** Metered charge per header pass, and what the final pass nets. */
  perPass: number;
  last: number;
  mapGlobal(g: number): number;
}

/**
 * Writes `block $metered … end` (see the comment at the top), right inside the wrapped loop's
 * `loop $retry` (so `br 1` is $retry and `br_if 2` leaves through $exit).
 */
export function writeStrips(w: Writer, buf: Uint8Array, loop: CountedLoop, p: StripParams): void {
  const bound = () => {
    if ('local' in loop.bound) { w.u8(Op.localGet); w.u32(loop.bound.local); } else { w.u8(Op.i32Const); w.s32(loop.bound.value); }
  };
  const get = (l: number) => { w.u8(Op.localGet); w.u32(l); };
  const set = (l: number) => { w.u8(Op.localSet); w.u32(l); };
  const i32 = (v: number) => { w.u8(Op.i32Const); w.s32(v); };
  // The value the continue condition sees first: i itself (while) or i after one step (do-while).
  const first = () => {
    get(loop.iv);
    if (loop.shape === 'do') { i32(loop.step); w.u8(Op.i32Add); }
  };
  w.u8(Op.block); w.u8(0x40);
  // x = distance from `first` to n in steps (mod 2^32): exact for `ne`; for `<`, 0 unless the
  // condition holds at `first`.
  if (loop.step === 1) { bound(); first(); } else { first(); bound(); }
  w.u8(Op.i32Sub);
  if (loop.cmp !== 'ne') {
    i32(0);
    first(); bound(); w.u8(loop.cmp === 'lt_u' ? I32_LT_U : I32_LT_S);
    w.u8(SELECT);
  }
  set(p.scratchLocal);
  // The rest fits: (x + 1) * c <= f, in i64 ((2^32 - 1 + 1) * c cannot overflow).
  get(p.scratchLocal); w.u8(I64_EXTEND_I32_U);
  w.u8(I64_CONST); w.u8(1); w.u8(I64_ADD);
  w.u8(I64_CONST); w.s32(p.perPass); w.u8(I64_MUL);
  get(p.fuelLocal); w.u8(I64_EXTEND_I32_S);
  w.u8(I64_LE_S);
  w.u8(Op.if); w.u8(0x7f);
  // f -= x * c + last (at most (x + 1) * c <= f: exact in i32); passes = x (+ 1 for do-while).
  get(p.fuelLocal); get(p.scratchLocal); i32(p.perPass); w.u8(I32_MUL); i32(p.last); w.u8(Op.i32Add); w.u8(Op.i32Sub); set(p.fuelLocal);
  if (loop.shape === 'do') { get(p.scratchLocal); i32(1); w.u8(Op.i32Add); set(p.scratchLocal); }
  i32(1);
  w.u8(Op.else);
  // Less than one pass left: the metered loop's check goes to the slow path.
  get(p.fuelLocal); i32(p.perPass); w.u8(Op.i32LtS); w.u8(Op.brIf); w.u32(1);
  // passes = f / c (f >= c > 0); f -= passes * c.
  get(p.fuelLocal); i32(p.perPass); w.u8(I32_DIV_U); set(p.scratchLocal);
  get(p.fuelLocal); get(p.scratchLocal); i32(p.perPass); w.u8(I32_MUL); w.u8(Op.i32Sub); set(p.fuelLocal);
  i32(0);
  w.u8(Op.end);
  // lim = i + step * passes; the copy runs exactly `passes` passes; then done or around again.
  get(loop.iv); get(p.scratchLocal); w.u8(loop.step === 1 ? Op.i32Add : Op.i32Sub); set(p.limitLocal);
  copyLoop(w, buf, loop, p);
  w.u8(Op.brIf); w.u32(2);
  w.u8(Op.br); w.u32(1);
  w.u8(Op.end);
}

/**
 * The original loop, byte for byte except the bound (compared with `lim` instead) and global
 * indices (shifted by the metering's added global).
 */
function copyLoop(w: Writer, buf: Uint8Array, loop: CountedLoop, p: StripParams): void {
  const r = new Reader(buf, loop.start, loop.end);
  let from = r.pos;
  while (r.pos < r.end) {
    const at = r.pos;
    if (at === loop.patchAt) {
      w.bytes(buf, from, at);
      w.u8(Op.localGet); w.u32(p.limitLocal);
      if (loop.patchAt === loop.patchEnd) w.u8(I32_NE);
      r.pos = loop.patchEnd;
      from = r.pos;
      if (r.pos !== at) continue;
    }
    const op = r.u8();
    if (op === Op.globalGet || op === Op.globalSet) {
      const g = r.u32();
      w.bytes(buf, from, at);
      w.u8(op); w.u32(p.mapGlobal(g));
      from = r.pos;
    } else if (op === Op.loop || op === Op.if) {
      r.u8(); // empty block type
    } else {
      skipImmediates(r, op);
    }
  }
  w.bytes(buf, from, r.end);
}
