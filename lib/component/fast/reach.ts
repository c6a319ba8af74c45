/**
 * Which host imports each export may reach, so that exports that cannot suspend stay plain.
 *
 * Under JSPI a call can only suspend inside an export entered through `WebAssembly.promising`,
 * which costs a stack switch per call (several µs here). An export that can never reach an async
 * host import does not need it. This walks the direct-call graph of the core module that defines
 * each lifted function, from that function, and collects the lowered imports (`Plan.lowers` ids)
 * it may call. It is conservative: an indirect call (`call_indirect`, `call_ref`), a function
 * imported from another core instance, or a function body or module it cannot read makes the
 * answer `'any'`. Only the bodies a walk reaches are read.
 *
 * The same walk says which post-returns call nothing outside their module (`postReturnPurity`),
 * which the glue skips before a reset (bindings.ts `resetFollows`).
 *
 * Computed once per component on the original core modules (the limits rewrite adds imports and
 * shifts function indices, so the plan's own bytes are the ones to read).
 */
import { Reader } from '../../instrument/bytes.js';
import { skipImmediates } from '../../instrument/opcodes.js';
import { readImport, readSections } from '../../instrument/sections.js';
import type { CoreStep, Plan } from './plan.js';

/** Lowered imports (ids into `Plan.lowers`) a function may call, or `'any'` when unknown. */
export type Reach = ReadonlySet<number> | 'any';

/** What the walk needs of one core module. */
interface CallGraph {
  /** Per imported function: its module and name. */
  imports: { module: string; name: string }[];
  /**
   * Per defined function: the functions it calls directly (module function indices), or
   * `'indirect'` when it makes an indirect call, or undefined when its body is not understood.
   * Bodies are read when the walk first reaches them (a walk from a small function reads few).
   */
  calls(defined: number): number[] | 'indirect' | undefined;
  /** Exported functions by name. */
  exports: Map<string, number>;
}

const SECTION = { import: 2, function: 3, export: 7, code: 10 } as const;

/** Each lift's reach (index = lift id). */
export function exportReach(plan: Plan): Reach[] {
  const graphs = new Map<number, CallGraph | undefined>();
  const graphOf = (module: number) => {
    if (!graphs.has(module)) graphs.set(module, callGraph(plan.modules[module]!));
    return graphs.get(module);
  };
  return plan.lifts.map((l) => {
    const core = l.core;
    if (core.k !== 'export') return core.k === 'lower' ? new Set([core.id]) : new Set<number>();
    const step = plan.steps[core.step]!;
    const graph = graphOf(step.module);
    const start = graph?.exports.get(core.name);
    return graph && start !== undefined ? walk(graph, step, start) : 'any';
  });
}

function walk(graph: CallGraph, step: CoreStep, start: number): Reach {
  const reached = new Set<number>();
  const seen = new Set<number>([start]);
  const todo = [start];
  const nImports = graph.imports.length;
  while (todo.length) {
    const f = todo.pop()!;
    if (f < nImports) {
      const source = importSource(step, graph.imports[f]!);
      if (source === 'any') return 'any';
      if (source !== undefined) reached.add(source);
      continue;
    }
    const callees = graph.calls(f - nImports);
    if (callees === undefined || callees === 'indirect') return 'any';
    for (const c of callees) if (!seen.has(c)) { seen.add(c); todo.push(c); }
  }
  return reached;
}

/**
 * Per lift: true when it has a post-return that provably calls nothing outside its own core
 * module (no import of any kind — host, resource drop, another core instance — and no indirect
 * call on the way), so skipping it is unobservable except for the time and fuel it would use
 * (see `ExportBinding.postReturnPure`). False when unknown.
 */
export function postReturnPurity(plan: Plan): boolean[] {
  const graphs = new Map<number, CallGraph | undefined>();
  return plan.lifts.map((l) => {
    const post = l.postReturn;
    if (post?.k !== 'export') return false;
    const module = plan.steps[post.step]!.module;
    if (!graphs.has(module)) graphs.set(module, callGraph(plan.modules[module]!));
    const graph = graphs.get(module);
    const start = graph?.exports.get(post.name);
    return graph !== undefined && start !== undefined && callsNoImport(graph, start);
  });
}

function callsNoImport(graph: CallGraph, start: number): boolean {
  const seen = new Set<number>([start]);
  const todo = [start];
  const nImports = graph.imports.length;
  while (todo.length) {
    const f = todo.pop()!;
    if (f < nImports) return false;
    const callees = graph.calls(f - nImports);
    if (callees === undefined || callees === 'indirect') return false;
    for (const c of callees) if (!seen.has(c)) { seen.add(c); todo.push(c); }
  }
  return true;
}

/** The lower id behind a function import, undefined for one that never calls the host, or `'any'`. */
function importSource(step: CoreStep, imp: { module: string; name: string }): number | 'any' | undefined {
  const arg = step.args.find(([name]) => name === imp.module);
  if (!arg) return imp.module === 'sfirt:meter' ? undefined : 'any';
  const src = arg[1];
  if (src.k !== 'exports') return 'any';
  const item = src.items.find(([name]) => name === imp.name)?.[1];
  if (!item) return 'any';
  switch (item.k) {
    case 'lower': return item.id;
    case 'drop': case 'guest': return undefined; // resource bookkeeping: never an app import
    default: return 'any'; // a function of another core instance
  }
}

/**
 * Reads a module's imports, exports and where each function body is; undefined when the sections
 * are not understood. Bodies are read on demand (`calls`).
 */
function callGraph(bytes: Uint8Array): CallGraph | undefined {
  try {
    const imports: CallGraph['imports'] = [];
    const exports = new Map<string, number>();
    const bodies: [start: number, end: number][] = [];
    for (const s of readSections(bytes)) {
      const r = new Reader(bytes, s.start, s.end);
      if (s.id === SECTION.import) {
        for (let n = r.u32(); n > 0; n--) {
          const imp = readImport(r);
          if (imp.kind === 0) imports.push({ module: imp.module, name: imp.name });
        }
      } else if (s.id === SECTION.export) {
        for (let n = r.u32(); n > 0; n--) {
          const name = r.name();
          const kind = r.u8();
          const index = r.u32();
          if (kind === 0) exports.set(name, index);
        }
      } else if (s.id === SECTION.code) {
        for (let n = r.u32(); n > 0; n--) {
          const size = r.u32();
          bodies.push([r.pos, r.pos + size]);
          r.pos += size;
        }
      }
    }
    const read = new Map<number, number[] | 'indirect' | undefined>();
    const calls = (i: number) => {
      if (!read.has(i)) {
        const body = bodies[i];
        read.set(i, body && readBody(new Reader(bytes, body[0], body[1])));
      }
      return read.get(i);
    };
    return { imports, exports, calls };
  } catch {
    return undefined;
  }
}

/** A body's direct callees, `'indirect'` when it makes an indirect call, undefined when not understood. */
function readBody(r: Reader): number[] | 'indirect' | undefined {
  try {
    for (let groups = r.u32(); groups > 0; groups--) {
      r.u32();
      const t = r.u8();
      if (t === 0x63 || t === 0x64) r.s(33); // (ref null? ht)
    }
    const callees: number[] = [];
    let indirect = false;
    while (!r.done) {
      const op = r.u8();
      if (op === 0x10 || op === 0x12) callees.push(r.u32()); // call, return_call
      else if (op === 0x11 || op === 0x13) { indirect = true; r.u32(); r.u32(); } // call_indirect
      else if (op === 0x14 || op === 0x15) { indirect = true; r.u32(); } // call_ref, return_call_ref
      else skipImmediates(r, op); // throws on what it does not know
    }
    return indirect ? 'indirect' : callees;
  } catch {
    return undefined;
  }
}
