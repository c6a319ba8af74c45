/**
 * Removes the shim/fixup indirection that wit-component puts between a component's main module
 * and the functions it imports. Lowered imports need the main module's memory and realloc, which
 * exist only after it is instantiated, so the component instantiates
 *   1. a *shim* module: a funcref table plus one export per import, `call_indirect`ing into it;
 *   2. the main module, importing the shim's functions;
 *   3. a *fixup* module that stores the real functions into the shim's table (element segments).
 * Our trampolines are JS closures that find memory and realloc at call time, so the main module
 * can import them directly: two of three `WebAssembly.Instance`s (~45 µs per cold start on this
 * machine) and one `call_indirect` per host call disappear. The rewrite applies only when it
 * provably means the same: modules of exactly those shapes, and every function the fixup installs
 * already exists when each shim function's first user is instantiated (an adapter's exports, made
 * after the main module, keep the shim).
 */
import { Reader } from '../../instrument/bytes.js';
import { readImport, readSections } from '../../instrument/sections.js';
import type { CoreInstanceSource, CoreItem, CoreStep, Plan } from './plan.js';

const FUNCREF = 0x70;
const I32_CONST = 0x41;
const LOCAL_GET = 0x20;
const CALL_INDIRECT = 0x11;
const END = 0x0b;

/** A shim module: its table export's name and, per function export, the table slot it calls. */
interface Shim {
  table: string;
  slots: Map<string, number>;
}

/** Reads a shim module (no imports, one funcref table, every function a pure `call_indirect`), or undefined. */
export function readShim(bytes: Uint8Array): Shim | undefined {
  try {
    const sections = readSections(bytes);
    const body = (id: number) => sections.find((s) => s.id === id);
    if (sections.some((s) => s.id === 2 || s.id === 5 || s.id === 6 || s.id === 8 || s.id === 9 || s.id === 11)) return undefined; // imports, memory, globals, start, elements, data
    const tableSec = body(4);
    const funcSec = body(3);
    const exportSec = body(7);
    const codeSec = body(10);
    const typeSec = body(1);
    if (!tableSec || !funcSec || !exportSec || !codeSec || !typeSec) return undefined;
    let r = new Reader(bytes, tableSec.start, tableSec.end);
    if (r.u32() !== 1 || r.u8() !== FUNCREF) return undefined;
    // Parameter counts of every type, to check each body forwards exactly its own parameters.
    r = new Reader(bytes, typeSec.start, typeSec.end);
    const params: number[] = [];
    for (let n = r.u32(), i = 0; i < n; i++) {
      if (r.u8() !== 0x60) return undefined;
      const p = r.u32();
      r.skip(p);
      r.skip(r.u32());
      params.push(p);
    }
    r = new Reader(bytes, funcSec.start, funcSec.end);
    const funcTypes: number[] = [];
    for (let n = r.u32(), i = 0; i < n; i++) funcTypes.push(r.u32());
    r = new Reader(bytes, codeSec.start, codeSec.end);
    const targets: number[] = [];
    if (r.u32() !== funcTypes.length) return undefined;
    for (let i = 0; i < funcTypes.length; i++) {
      const size = r.u32();
      const end = r.pos + size;
      if (r.u32() !== 0) return undefined; // no locals
      const p = params[funcTypes[i]!]!;
      for (let j = 0; j < p; j++) if (r.u8() !== LOCAL_GET || r.u32() !== j) return undefined;
      if (r.u8() !== I32_CONST) return undefined;
      const slot = r.s(32);
      if (r.u8() !== CALL_INDIRECT || r.u32() !== funcTypes[i] || r.u32() !== 0 || r.u8() !== END || r.pos !== end) return undefined;
      targets.push(slot);
    }
    r = new Reader(bytes, exportSec.start, exportSec.end);
    let table: string | undefined;
    const slots = new Map<string, number>();
    for (let n = r.u32(), i = 0; i < n; i++) {
      const name = r.name();
      const kind = r.u8();
      const index = r.u32();
      if (kind === 0) slots.set(name, targets[index]!);
      else if (kind === 1 && table === undefined) table = name;
      else return undefined;
    }
    return table === undefined ? undefined : { table, slots };
  } catch {
    return undefined;
  }
}

/** An import of a core module: module and field name. */
type ImportName = [module: string, name: string];

/**
 * Reads a fixup module (imports: functions and one funcref table; nothing defined; active element
 * segments into that table): the table import, and per table slot the imported function stored
 * there; or undefined.
 */
export function readFixup(bytes: Uint8Array): { table: ImportName; slots: Map<number, ImportName> } | undefined {
  try {
    const sections = readSections(bytes);
    if (sections.some((s) => s.id !== 0 && s.id !== 1 && s.id !== 2 && s.id !== 9)) return undefined; // types, imports, elements (+ custom)
    const importSec = sections.find((s) => s.id === 2);
    const elemSec = sections.find((s) => s.id === 9);
    if (!importSec || !elemSec) return undefined;
    let r = new Reader(bytes, importSec.start, importSec.end);
    const funcs: ImportName[] = [];
    let table: ImportName | undefined;
    for (let n = r.u32(), i = 0; i < n; i++) {
      const entry = readImport(r);
      if (entry.kind === 0) funcs.push([entry.module, entry.name]);
      else if (entry.kind === 1 && table === undefined && entry.refType === FUNCREF) table = [entry.module, entry.name];
      else return undefined;
    }
    if (table === undefined) return undefined;
    r = new Reader(bytes, elemSec.start, elemSec.end);
    const slots = new Map<number, ImportName>();
    for (let n = r.u32(), i = 0; i < n; i++) {
      const form = r.u32();
      if (form === 2) { if (r.u32() !== 0) return undefined; } else if (form !== 0) return undefined;
      if (r.u8() !== I32_CONST) return undefined;
      const offset = r.s(32);
      if (r.u8() !== END) return undefined;
      if (form === 2 && r.u8() !== 0) return undefined; // elemkind funcref
      for (let count = r.u32(), j = 0; j < count; j++) {
        const f = r.u32();
        if (f >= funcs.length) return undefined;
        slots.set(offset + j, funcs[f]!);
      }
    }
    return { table, slots };
  } catch {
    return undefined;
  }
}

/** The core item a step's instantiation args supply for import `[module, name]`. */
function argItem(step: CoreStep, [module, name]: ImportName): CoreItem | undefined {
  const src = step.args.find(([n]) => n === module)?.[1];
  if (!src) return undefined;
  if (src.k === 'step') return { k: 'export', step: src.step, name };
  return src.items.find(([n]) => n === name)?.[1];
}

/** Every core item a plan mentions, with a setter to replace it. */
function forEachItem(plan: Plan, visit: (item: CoreItem, replace: (next: CoreItem) => void) => void, skipStep = -1): void {
  for (let i = 0; i < plan.steps.length; i++) {
    if (i === skipStep) continue;
    for (const [, src] of plan.steps[i]!.args) {
      if (src.k !== 'exports') continue;
      for (const entry of src.items) visit(entry[1], (next) => { entry[1] = next; });
    }
  }
  const options = [...plan.lifts, ...plan.lowers];
  for (const o of options) {
    if (o.memory) visit(o.memory, (next) => { o.memory = next; });
    if (o.realloc) visit(o.realloc, (next) => { o.realloc = next; });
    if (o.postReturn) visit(o.postReturn, (next) => { o.postReturn = next; });
  }
  for (const l of plan.lifts) visit(l.core, (next) => { l.core = next; });
}

/**
 * Returns `plan` without its shim/fixup steps where that is safe (see the file comment); the
 * plan is returned unchanged otherwise. `plan.modules` is untouched (unused modules stay listed).
 */
export function elideImportShims(plan: Plan): Plan {
  for (let s = 0; s < plan.steps.length; s++) {
    const shim = readShim(plan.modules[plan.steps[s]!.module]!);
    if (!shim || plan.steps[s]!.args.length !== 0) continue;
    // The fixup: a later step of fixup shape whose table import is the shim's table.
    let fixup: ReturnType<typeof readFixup>;
    const f = plan.steps.findIndex((step, i) => {
      if (i <= s) return false;
      fixup = readFixup(plan.modules[step.module]!);
      const table = fixup && argItem(step, fixup.table);
      return !!table && table.k === 'export' && table.step === s && table.name === shim.table;
    });
    if (f < 0 || !fixup) continue;
    // Shim export name → the item the fixup stores in its slot.
    const direct = new Map<string, CoreItem>();
    for (const [name, slot] of shim.slots) {
      const fn = fixup.slots.get(slot);
      const item = fn && argItem(plan.steps[f]!, fn);
      if (item && !(item.k === 'export' && item.step === s)) direct.set(name, item);
    }
    if (direct.size !== shim.slots.size) continue;
    if (!canElide(plan, s, f, direct)) continue;
    return elideImportShims(rebuild(plan, s, f, direct));
  }
  return plan;
}

/** True when only the fixup uses the shim's table and every shim function's replacement exists before its users. */
function canElide(plan: Plan, s: number, f: number, direct: Map<string, CoreItem>): boolean {
  for (let c = 0; c < plan.steps.length; c++) {
    if (c === f) continue;
    for (const [, src] of plan.steps[c]!.args) {
      if (src.k === 'step') { if (src.step === s) return false; continue; }
      for (const [, item] of src.items) {
        if (item.k !== 'export' || item.step !== s) continue;
        const next = direct.get(item.name);
        if (!next) return false; // the table, to anything but the fixup
        if (next.k === 'export' && next.step >= c) return false;
      }
    }
  }
  let ok = true;
  forEachItem(plan, (item) => { if (item.k === 'export' && item.step === s && !direct.has(item.name)) ok = false; }, f);
  return ok;
}

/** A copy of `plan` with steps `s` (shim) and `f` (fixup) removed and every reference rewired. */
function rebuild(plan: Plan, s: number, f: number, direct: Map<string, CoreItem>): Plan {
  const renumber = (step: number) => step - (step > s ? 1 : 0) - (step > f ? 1 : 0);
  const mapItem = (item: CoreItem): CoreItem => {
    if (item.k !== 'export') return item;
    if (item.step === s) return mapItem(direct.get(item.name)!);
    return { k: 'export', step: renumber(item.step), name: item.name };
  };
  const copy: Plan = {
    ...plan,
    steps: plan.steps.filter((_, i) => i !== s && i !== f).map((step): CoreStep => ({
      module: step.module,
      args: step.args.map(([name, src]): [string, CoreInstanceSource] => [name,
        src.k === 'step' ? { k: 'step', step: renumber(src.step) } : { k: 'exports', items: src.items.map(([n, item]) => [n, item]) }]),
    })),
    lifts: plan.lifts.map((l) => ({ ...l })),
    lowers: plan.lowers.map((l) => ({ ...l })),
  };
  // Map through the original numbering: items in the copy still carry the old step numbers.
  forEachItem(copy, (item, replace) => replace(mapItem(item)));
  return copy;
}
