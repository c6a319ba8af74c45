import { Reader, Writer } from './bytes.js';
import { Op, readBlockType, skipImmediates } from './opcodes.js';
import { matchCountedLoop, writeStrips } from './counted-loop.js';
import type { BulkHelpers } from './bulk-ops.js';

/** What the metering pass needs to know about the module around one function body. */
export interface MeterContext {
  /** Parameter count of every type in the type section. */
  typeParams: number[];
  numImportedFuncs: number;
  /** Functions the original module has (imported and defined). */
  numFuncs: number;
  numImportedGlobals: number;
  /** Globals the original module has (imported and defined). */
  numGlobals: number;
  /** Added to every function index >= numImportedFuncs (our helper functions take those slots). */
  funcShift: number;
  /** Added to every global index >= numImportedGlobals. */
  globalShift: number;
  /** Final indices of the meter helpers: `refill(need) -> ok` and `memory_refused(mem) -> 0`. */
  refillFunc: number;
  memoryRefusedFunc: number;
  /** Final index of the i32 fuel global (fuel left in the current slice). */
  fuelGlobal: number;
  /**
   * The size-charged replacements of bulk memory/table instructions and growth (bulk-ops.ts):
   * each such instruction becomes a call to the helper this returns.
   */
  bulk: BulkHelpers;
  /**
   * The fuel global is the module's own and `refillFunc` is `grant(need, left) -> fuel | -1`
   * (instead of the shared imported global and `refill(need) -> ok`).
   */
  ownFuel?: boolean;
  /** Run counted loops in unmetered strips paid for up front (see counted-loop.ts); default true. */
  versionLoops?: boolean;
}

const enum Kind { Func, Block, Loop, If, Try }

/** V8's limit on locals per function (params included). */
const MAX_LOCALS = 50_000;

interface Frame {
  kind: Kind;
  /** Labels we inserted right outside this frame (3 for a loop wrapped with an exit slow path). */
  extra: number;
  /** A loop wrapped with an exit slow path. */
  wrapped?: boolean;
  /** Cost charged at the loop header (used by the slow path after a wrapped loop). */
  headerCost: number;
  /**
   * For `if`: the then-arm's first run, charged in advance with the run before the `if`; given
   * back on the else path (see `segmentCosts`).
   */
  refund?: number;
  sawElse?: boolean;
}

/**
 * Rewrites one function body (`buf[start..end)`, without its size prefix) so that it charges fuel
 * per straight-line run and checks it at function entry and loop headers; see README in
 * lib/instrument for the scheme. Also remaps function/global indices shifted by the added helpers.
 * Returns the number of counted loops given unmetered strips (see counted-loop.ts).
 */
export function meterFunctionBody(buf: Uint8Array, start: number, end: number, numParams: number, ctx: MeterContext, out: Writer, scratch = new Writer()): number {
  const r = new Reader(buf, start, end);
  // Locals: copy the groups, then add three i32s: the cached fuel, a scratch slot (memory.grow
  // results, a strip's pass count) and a counted loop's strip limit.
  const groups = r.u32();
  let declared = 0;
  const groupsStart = r.pos;
  for (let i = 0; i < groups; i++) {
    declared += r.u32();
    r.u8();
  }
  const codeStart = r.pos;
  const fuelLocal = numParams + declared;
  // V8 rejects functions with more than 50,000 locals; ours must not push a valid one over.
  if (fuelLocal + 3 > MAX_LOCALS) r.fail(`function has ${fuelLocal} locals; metering needs 3 more and V8 allows ${MAX_LOCALS}`);
  const scratchLocal = fuelLocal + 1;
  const limitLocal = fuelLocal + 2;
  const { runs: costs, prepaid } = segmentCosts(new Reader(buf, codeStart, end));

  const w = scratch;
  w.reset();
  w.u32(groups + 1);
  w.bytes(buf, groupsStart, codeStart);
  w.u32(3);
  w.u8(0x7f);

  const G = ctx.fuelGlobal;
  let seg = 0;
  // True while the local and the global are known equal (written back or re-read, no charge since,
  // no label passed): a second write-back (`call; call`, `call; end`) is then left out.
  let synced = false;
  const charge = (c: number) => {
    if (c === 0) return;
    synced = false;
    w.u8(Op.localGet); w.u32(fuelLocal); w.u8(Op.i32Const); w.s32(c); w.u8(Op.i32Sub); w.u8(Op.localSet); w.u32(fuelLocal);
  };
  const flush = () => {
    if (synced) return;
    w.u8(Op.localGet); w.u32(fuelLocal); w.u8(Op.globalSet); w.u32(G);
    synced = true;
  };
  const reload = () => { w.u8(Op.globalGet); w.u32(G); w.u8(Op.localSet); w.u32(fuelLocal); synced = true; };
  // Out of fuel in this slice: the out-of-line helper (bulk-ops.ts `refuel`) publishes the local,
  // asks the host and returns the new fuel; a stop must be a trap (`unreachable`, in the helper)
  // because a JS exception could be caught by a legacy `catch_all`.
  const refuel = ctx.bulk.refuel();
  const slowPath = (c: number) => {
    w.u8(Op.i32Const); w.s32(c); w.u8(Op.localGet); w.u32(fuelLocal); w.u8(Op.call); w.u32(refuel); w.u8(Op.localSet); w.u32(fuelLocal);
  };
  const lessThan = (c: number) => { w.u8(Op.localGet); w.u32(fuelLocal); w.u8(Op.i32Const); w.s32(c); w.u8(Op.i32LtS); };

  // Function entry: load the shared fuel, check, charge the first run.
  const entryCost = costs[seg++]!;
  w.u8(Op.globalGet); w.u32(G); w.u8(Op.localSet); w.u32(fuelLocal);
  lessThan(entryCost);
  w.u8(Op.if); w.u8(0x40); slowPath(entryCost); w.u8(Op.end);
  charge(entryCost);

  const frames: Frame[] = [{ kind: Kind.Func, extra: 0, headerCost: 0 }];
  let wrapped = 0;
  let versioned = 0;
  let copyFrom = codeStart;
  const sync = (p: number) => { if (p > copyFrom) w.bytes(buf, copyFrom, p); };
  /** New relative depth of original branch depth `d`, plus whether it leaves the function. */
  const target = (d: number): number => {
    const t = frames.length - 1 - d;
    if (t < 0) r.fail(`branch depth ${d} out of range`);
    if (wrapped === 0) return d;
    let nd = d;
    for (let j = t + 1; j < frames.length; j++) nd += frames[j]!.extra;
    return nd;
  };
  const isFunctionLabel = (d: number) => d === frames.length - 1;
  const mapFunc = (f: number) => {
    // The appended helpers (bulk-ops.ts) would make an out-of-range index valid: reject it here.
    if (f >= ctx.numFuncs) r.fail('unknown function');
    return f >= ctx.numImportedFuncs ? f + ctx.funcShift : f;
  };
  const mapGlobal = (g: number) => (g >= ctx.numImportedGlobals ? g + ctx.globalShift : g);

  while (r.pos < r.end) {
    const at = r.pos;
    const op = r.u8();
    // A label (or a function end reached by a branch) joins paths whose local and global may differ.
    if (op === Op.block || op === Op.loop || op === Op.if || op === Op.else || op === Op.try || op === Op.catch
      || op === Op.catchAll || op === Op.delegate || (op === Op.end && frames.length > 1)) synced = false;
    switch (op) {
      case Op.block: case Op.try: {
        readBlockType(r);
        frames.push({ kind: op === Op.block ? Kind.Block : Kind.Try, extra: 0, headerCost: 0 });
        if (op !== Op.block) { sync(r.pos); copyFrom = r.pos; charge(costs[seg++]!); }
        break;
      }
      case Op.if:
        readBlockType(r);
        if (prepaid.has(seg)) {
          // The then-arm's first run was paid with the run before the `if`: nothing to charge here.
          frames.push({ kind: Kind.If, extra: 0, headerCost: 0, refund: costs[seg++]! });
        } else {
          frames.push({ kind: Kind.If, extra: 0, headerCost: 0, refund: 0 });
          sync(r.pos); copyFrom = r.pos;
          charge(costs[seg++]!);
        }
        break;
      case Op.loop: {
        const bt = readBlockType(r);
        const c = costs[seg++]!;
        const canWrap = bt < 0 || ctx.typeParams[bt] === 0;
        let counted = bt === -1 && ctx.versionLoops !== false ? matchCountedLoop(buf, at, end, fuelLocal) : undefined;
        // (A while loop's costs below assume its then-arm is prepaid, which a loop-back arm always is.)
        if (counted?.shape === 'while' && !prepaid.has(seg)) counted = undefined;
        if (canWrap) {
          // block bt (exit) / loop (retry) / block (slow) / loop bt (original) + header check
          sync(at);
          w.u8(Op.block); w.bytes(buf, at + 1, r.pos);
          w.u8(Op.loop); w.u8(0x40);
          if (counted) {
            // Unmetered strips first, every time the slow path has refilled (see counted-loop.ts).
            // A while loop's last pass: its run (c) less the refunded then-run, plus the run after
            // the `if` (the loop's `end`). A do-while loop's body is one run: every pass costs c.
            versioned++;
            const last = counted.shape === 'while' ? c - costs[seg]! + costs[seg + 1]! : c;
            writeStrips(w, buf, counted, { fuelLocal, scratchLocal, limitLocal, perPass: c, last, mapGlobal });
          }
          w.u8(Op.block); w.u8(0x40);
          w.bytes(buf, at, r.pos);
          copyFrom = r.pos;
          // f -= c; if (f < 0) leave to the slow path (which adds c back before asking the host).
          w.u8(Op.localGet); w.u32(fuelLocal); w.u8(Op.i32Const); w.s32(c); w.u8(Op.i32Sub);
          w.u8(Op.localTee); w.u32(fuelLocal); w.u8(Op.i32Const); w.u8(0); w.u8(Op.i32LtS);
          w.u8(Op.brIf); w.u32(1);
          frames.push({ kind: Kind.Loop, extra: 3, headerCost: c, wrapped: true });
          wrapped++;
        } else {
          // A loop with parameters cannot be re-entered from outside: check inline.
          sync(r.pos); copyFrom = r.pos;
          lessThan(c); w.u8(Op.if); w.u8(0x40); slowPath(c); w.u8(Op.end);
          charge(c);
          frames.push({ kind: Kind.Loop, extra: 0, headerCost: c });
        }
        break;
      }
      case Op.else: {
        const f = frames[frames.length - 1]!;
        f.sawElse = true;
        sync(r.pos); copyFrom = r.pos;
        charge(costs[seg++]! - f.refund!);
        break;
      }
      case Op.catch: case Op.catchAll:
        if (op === Op.catch) r.u32();
        sync(r.pos); copyFrom = r.pos;
        reload();
        charge(costs[seg++]!);
        break;
      case Op.end: {
        if (frames.length === 1) {
          sync(at); flush(); w.u8(Op.end); copyFrom = r.pos;
          if (r.pos !== r.end) r.fail('code after the end of a function body');
          break;
        }
        const f = frames.pop()!;
        if (f.kind === Kind.If && !f.sawElse && f.refund! > 0) {
          // Not taken: give the prepaid then-run back in an `else` arm we add (an `if` without
          // `else` has equal parameter and result types, so an arm of local moves is valid).
          sync(at); copyFrom = at;
          w.u8(Op.else); charge(-f.refund!);
        }
        sync(r.pos); copyFrom = r.pos;
        if (f.wrapped) {
          wrapped--;
          w.u8(Op.br); w.u32(2); w.u8(Op.end); // leave through the exit block with the loop's results
          w.u8(Op.localGet); w.u32(fuelLocal); w.u8(Op.i32Const); w.s32(f.headerCost); w.u8(Op.i32Add); w.u8(Op.localSet); w.u32(fuelLocal);
          slowPath(f.headerCost);
          w.u8(Op.br); w.u32(0); w.u8(Op.end);
          w.u8(Op.unreachable); w.u8(Op.end);
        }
        charge(costs[seg++]!);
        break;
      }
      case Op.delegate: {
        const d = r.u32();
        const f = frames.pop();
        if (!f || f.kind !== Kind.Try) r.fail('delegate outside try');
        sync(at); w.u8(Op.delegate); w.u32(target(d)); copyFrom = r.pos;
        charge(costs[seg++]!);
        break;
      }
      case Op.br: case Op.brIf: {
        const d = r.u32();
        sync(at);
        if (isFunctionLabel(d)) flush();
        w.u8(op); w.u32(target(d)); copyFrom = r.pos;
        break;
      }
      case Op.brTable: {
        const n = r.u32();
        const ds: number[] = [];
        let leaves = false;
        for (let i = 0; i <= n; i++) {
          const d = r.u32();
          if (isFunctionLabel(d)) leaves = true;
          ds.push(target(d));
        }
        sync(at);
        if (leaves) flush();
        w.u8(op); w.u32(n); for (const d of ds) w.u32(d);
        copyFrom = r.pos;
        break;
      }
      case Op.rethrow: {
        const d = r.u32();
        sync(at); flush(); w.u8(op); w.u32(target(d)); copyFrom = r.pos;
        break;
      }
      case Op.throw: case Op.return:
        if (op === Op.throw) r.u32();
        sync(at); flush(); copyFrom = at;
        break;
      case Op.call: case Op.returnCall: {
        const f = r.u32();
        sync(at); flush();
        w.u8(op); w.u32(mapFunc(f)); copyFrom = r.pos;
        if (op === Op.call) reload();
        break;
      }
      case Op.callIndirect: case Op.returnCallIndirect:
        r.u32(); r.u32();
        sync(at); flush(); w.bytes(buf, at, r.pos); copyFrom = r.pos;
        if (op === Op.callIndirect) reload();
        break;
      case Op.globalGet: case Op.globalSet: {
        const g = r.u32();
        // The appended tick global (bulk-ops.ts) would make an out-of-range index valid: reject it here.
        if (g >= ctx.numGlobals) r.fail('unknown global');
        if (ctx.globalShift) { sync(at); w.u8(op); w.u32(mapGlobal(g)); copyFrom = r.pos; }
        break;
      }
      case Op.refFunc: {
        const f = r.u32();
        sync(at); w.u8(op); w.u32(mapFunc(f)); copyFrom = r.pos;
        break;
      }
      case Op.localGet: case Op.localSet: case Op.localTee:
        // Our two added locals would make an out-of-range index valid: reject it here.
        if (r.u32() >= fuelLocal) r.fail('unknown local');
        break;
      case Op.memoryGrow: {
        // Growth asks the host first (deadline, fuel by size, the instance's total cap): bulk-ops.ts.
        const m = r.u32();
        sync(at); flush(); w.u8(Op.call); w.u32(ctx.bulk.memoryGrow(m, buf.subarray(at + 1, r.pos))); reload(); copyFrom = r.pos;
        break;
      }
      case Op.prefixFC: {
        // Bulk memory/table instructions are charged by size, in chunks: bulk-ops.ts.
        const helper = ctx.bulk.forPrefixFC(r, r.u32());
        if (helper >= 0) { sync(at); flush(); w.u8(Op.call); w.u32(helper); reload(); copyFrom = r.pos; }
        break;
      }
      default:
        skipImmediates(r, op);
    }
  }
  out.sized(w);
  return versioned;
}

/**
 * First pass: the instruction count of every straight-line run, in the order the runs start (which
 * is also the order they end: runs never nest). A run starts at function entry and after loop, if,
 * else, try, catch, catch_all, delegate and every inner end; `block` and branches do not end a run,
 * so a run may be charged for instructions a taken `br_if` skips (a small, deterministic overcharge).
 *
 * An `if` whose then-arm ends by branching back to a loop (`loop (if cond (then body br 1))`, as
 * AssemblyScript and most compilers emit `while`) has its then-arm's first run prepaid with the run
 * before the `if`, so such a loop pays once per iteration, at its header; the else path gives the
 * prepaid cost back (the rewriter adds an `else` arm where there is none), so totals stay exact.
 * Other then-arms (an early `return`, a `break`, a conditional increment) are charged where they
 * start: prepaying them would put a refund on the path that is usually taken. `prepaid` holds the
 * indices of the prepaid then-runs.
 */
function segmentCosts(r: Reader): { runs: number[]; prepaid: Set<number> } {
  const { runs, loopBackIfs } = runCosts(r);
  // Innermost first, so nested prepaid arms add up.
  for (let k = loopBackIfs.length - 1; k >= 0; k--) {
    const i = loopBackIfs[k]!;
    runs[i]! += runs[i + 1]!;
  }
  return { runs, prepaid: new Set(loopBackIfs.map((i) => i + 1)) };
}

const enum Label { Block, Loop, If, Try }

/**
 * The instruction count of every straight-line run (see {@link segmentCosts}), and the indices of
 * the runs that end at an `if` whose then-arm ends with a branch back to an enclosing loop.
 */
function runCosts(r: Reader): { runs: number[]; loopBackIfs: number[] } {
  const costs: number[] = [];
  const loopBackIfs: number[] = [];
  /** Open labels, and for each open `if` (by label depth) the run index that ended at it. */
  const labels: Label[] = [];
  const ifRun: number[] = [];
  let cur = 0;
  let prevBranchesToLoop = false;
  const closeThen = () => {
    // Leaving an if's then-arm (at its else or end): did its last instruction loop back?
    if (labels[labels.length - 1] === Label.If && ifRun[labels.length - 1]! >= 0 && prevBranchesToLoop) loopBackIfs.push(ifRun[labels.length - 1]!);
    ifRun[labels.length - 1] = -1;
  };
  while (r.pos < r.end) {
    const op = r.u8();
    cur++;
    let branchesToLoop = false;
    if (op === Op.br) {
      const d = r.u32();
      branchesToLoop = labels[labels.length - 1 - d] === Label.Loop;
    } else {
      skipImmediates(r, op);
    }
    switch (op) {
      case Op.block: labels.push(Label.Block); break;
      case Op.loop: case Op.if: case Op.try:
        labels.push(op === Op.loop ? Label.Loop : op === Op.if ? Label.If : Label.Try);
        ifRun[labels.length - 1] = op === Op.if ? costs.length : -1;
        costs.push(cur); cur = 0;
        break;
      case Op.else:
        closeThen();
        costs.push(cur); cur = 0;
        break;
      case Op.catch: case Op.catchAll:
        costs.push(cur); cur = 0;
        break;
      case Op.end: case Op.delegate:
        if (labels.length === 0) {
          if (op === Op.delegate) r.fail('delegate outside try');
          costs.push(cur);
          if (r.pos !== r.end) r.fail('code after the end of a function body');
          // Prepaid ifs in source order (the caller walks them innermost first, i.e. backwards).
          loopBackIfs.sort((a, b) => a - b);
          return { runs: costs, loopBackIfs };
        }
        if (op === Op.end) closeThen();
        labels.pop();
        costs.push(cur); cur = 0;
        break;
    }
    prevBranchesToLoop = branchesToLoop;
  }
  r.fail('function body does not end with `end`');
}
