/**
 * The fast instantiation path: our own glue for components, as an alternative to jco's. Built
 * once per component; each instantiation is only the core `WebAssembly.Instance`s plus a few
 * small closures binding the precompiled adapters to that instance's memory.
 */
import { compileExport, compileImport, type ExportBinding, type InstanceState } from './bindings.js';
import type { MemoryContext } from './codec.js';
import { parseComponent } from './parse.js';
import { elideImportShims } from './indirection.js';
import { GuestResourceTable } from './guest-resources.js';
import { buildPlan, type CoreItem, type Plan, type ResolvedOptions } from './plan.js';
import { Unsupported } from './reader.js';
import { HandleTable } from './resources.js';
import { GLUE_STATE, type GlueState } from '../glue-state.js';
import { encodingCode, type Encoding } from './strings.js';
import { camelCase, className, type FuncType, type ValType } from './types.js';
import { HAS_JSPI, isAsyncImport, MAY_SUSPEND } from '../jspi.js';
import { exportReach, postReturnPurity, type Reach } from './reach.js';
import { dirtyMapOf, isDirtyMap, markingRealloc } from '../../instrument/dirty-map.js';
import { InvalidComponentError } from '../../errors.js';

export { ComponentError } from './bindings.js';
export type { Plan } from './plan.js';

/** Instantiates one core module; the runtime's hook adds fuel-meter imports and records memories. */
export type InstantiateCore = (module: WebAssembly.Module, importObject: WebAssembly.Imports) => WebAssembly.Instance;

/** A component's fast glue. */
export interface FastGlue {
  /** Compiled core modules, in binary order (after the transform). */
  readonly modules: WebAssembly.Module[];
  /** Import keys the `imports` object must provide (versions stripped, as jco keys them). */
  readonly imports: readonly string[];
  /**
   * Instantiates the component: the same export object shape as jco's `instantiate` (sync mode).
   * Throws what the core instantiation throws, or an Error when a host import is missing.
   */
  instantiate(imports: Record<string, object>, instantiateCore?: InstantiateCore): Record<string, unknown>;
}

/** Why a component cannot take the fast path (the caller falls back to jco's glue). */
export interface FastGlueUnsupported {
  unsupported: string;
}

/** Rewrites a core module's bytes before compilation (fuel/memory instrumentation). */
export type CoreBytesTransform = (bytes: Uint8Array, index: number) => Uint8Array;

/** Decodes a component and plans its instantiation, or says why the fast path does not apply. */
export function planComponent(bytes: Uint8Array): Plan | FastGlueUnsupported {
  try {
    return buildPlan(parseComponent(bytes));
  } catch (err) {
    if (err instanceof Unsupported) return { unsupported: err.reason };
    return { unsupported: `decoding failed: ${(err as Error).message}` };
  }
}

/**
 * Builds the fast glue of a component: decode, plan, compile its core modules (through
 * `transform` when given) and its adapters. Resolves to `{ unsupported }` for components outside
 * the fast path (async, threads, resources defined inside nested components, ...); rejects only
 * if a core module fails to compile.
 */
export async function buildFastGlue(bytes: Uint8Array, options: { transform?: CoreBytesTransform } = {}): Promise<FastGlue | FastGlueUnsupported> {
  const plan = planComponent(bytes);
  if ('unsupported' in plan) return plan;
  const modules = await Promise.all(plan.modules.map((m, i) => {
    const code = options.transform ? options.transform(m, i) : m;
    return WebAssembly.compile(code as Uint8Array<ArrayBuffer>);
  }));
  return createFastGlue(plan, modules);
}

/**
 * The file name jco's `transpile` gives the core module at `index` of `Plan.modules`
 * (`component.core.wasm`, `component.core2.wasm`, ...): jco numbers them in binary order, so the
 * runtime can hand the modules it already compiled from jco's output to `createFastGlue`.
 */
export function jcoCoreModuleName(index: number): string {
  return `component.core${index === 0 ? '' : index + 1}.wasm`;
}

/** The state of a component without resources: nothing to reset. */
const NO_TABLES: GlueState = Object.freeze({ mark() {}, reset() {}, releaseAll() {} });

const defaultInstantiateCore: InstantiateCore = (module, importObject) => new WebAssembly.Instance(module, importObject);

/** Where a per-instance option set gets its memory and realloc from. */
interface ContextSpec {
  memory?: CoreItem;
  realloc?: CoreItem;
  enc: Encoding;
  /** Fill after this step (the latest step the items depend on); -1 = before any. */
  readyAfter: number;
}

/** Builds the glue from a plan and its core modules compiled by the caller (binary order). */
export function createFastGlue(fullPlan: Plan, modules: WebAssembly.Module[]): FastGlue {
  if (modules.length !== fullPlan.modules.length) throw new TypeError(`expected ${fullPlan.modules.length} core modules, got ${modules.length}`);
  // Host functions go straight into the main module: no shim and fixup instances (indirection.ts).
  const plan = elideImportShims(fullPlan);

  // One MemoryContext per distinct (memory, realloc) pair, shared by the functions using it.
  const contexts: ContextSpec[] = [];
  const contextKeys = new Map<string, number>();
  const itemKey = (i: CoreItem | undefined) => (!i ? '-' : i.k === 'lower' ? `l${i.id}` : i.k === 'drop' ? `d${i.resource}` : i.k === 'guest' ? `g${i.op}${i.resource}` : `${i.step}.${i.name}`);
  const stepOf = (i: CoreItem | undefined) => (!i || i.k !== 'export' ? -1 : i.step);
  const contextOf = (o: ResolvedOptions): number => {
    const key = `${itemKey(o.memory)}|${itemKey(o.realloc)}|${o.encoding}`;
    let id = contextKeys.get(key);
    if (id === undefined) {
      id = contexts.push({
        ...(o.memory ? { memory: o.memory } : {}), ...(o.realloc ? { realloc: o.realloc } : {}),
        enc: encodingCode(o.encoding), readyAfter: Math.max(stepOf(o.memory), stepOf(o.realloc)),
      }) - 1;
      contextKeys.set(key, id);
    }
    return id;
  };

  const lifts = plan.lifts.map((l) => ({ ...l, make: compileExport(l.type), cx: contextOf(l) }));
  // Which host imports each export may reach: only those that may reach an async one suspend.
  // Walked on the first instance given an async import (it reads the function bodies the exports
  // reach: up to ~1–2 ms of a load that most components, without async imports, never need).
  let reach: Reach[] | undefined;
  // Which post-returns call nothing outside their module (skipped before a reset; bindings.ts):
  // read by the first call that could skip one (0.1–0.7 ms, so not at load). None in a component
  // that calls a function it lifts itself: such an inner call returns into the outer one, which
  // goes on.
  let postPure: boolean[] | undefined;
  const selfCalls = plan.lowers.some((l) => l.call.k === 'lift');
  const postPureOf = lifts.map((l, id) => (l.postReturn === undefined || selfCalls ? undefined : () => (postPure ??= postReturnPurity(plan))[id]!));
  const lowers = plan.lowers.map((l) => ({ ...l, make: compileImport(l.type, { k: l.call.k === 'lift' ? 'func' : l.call.k, js: l.jsName }), cx: contextOf(l), js: l.jsName }));
  const resourceClasses = usedResources(plan);
  const contextsAfterStep: number[][] = plan.steps.map(() => []);
  const contextsUpFront: number[] = [];
  contexts.forEach((c, i) => (c.readyAfter < 0 ? contextsUpFront : contextsAfterStep[c.readyAfter]!).push(i));

  const exportShape = plan.exports.map((e) => {
    if (e.k === 'func') return { keys: [camelCase(e.name)], func: e.lift, members: undefined };
    const keys = [e.name];
    const colon = e.name.indexOf(':');
    if (colon >= 0) {
      const iface = e.name.slice(e.name.lastIndexOf('/') + 1).split('@')[0]!;
      keys.unshift(camelCase(iface));
    } else keys[0] = camelCase(e.name);
    return { keys, func: undefined, members: interfaceMembers(e.funcs, e.resources) };
  });

  function instantiate(imports: Record<string, object>, instantiateCore: InstantiateCore = defaultInstantiateCore): Record<string, unknown> {
    const lookup = (key: string, js: string): unknown => {
      const iface = (imports as Record<string, Record<string, unknown> | undefined>)[key];
      if (iface === undefined || iface === null) throw new TypeError(`Cannot destructure property '${js}' of 'imports[...]' as it is undefined.`);
      const v = iface[js];
      if (v === undefined) throw new Error(`unexpectedly undefined instance import '${js}', was '${js}' available at instantiation?`);
      return v;
    };
    const rt = plan.resources.map((r, i) =>
      new HandleTable(resourceClasses.has(i) ? lookup(r.key, r.className) as ConstructorParameters<typeof HandleTable>[0] : undefined, r.className));
    const gt = plan.definedResources.map((r) => new GuestResourceTable(className(r.name), () => (r.dtor ? resolve(r.dtor) as (rep: number) => void : undefined)));
    const hostFns = lowers.map((l) => {
      if (l.call.k === 'func') return lookup(l.key, l.js) as (...args: unknown[]) => unknown;
      // A function this component lifts: made on first call (its core instance comes later).
      if (l.call.k === 'lift') { const id = l.call.id; return (...args: unknown[]) => (fnOf(id) as (...a: unknown[]) => unknown)(...args); }
      const r = plan.resources[l.call.resource]!;
      return rt[l.call.resource]!.cls ?? lookup(r.key, r.className);
    }) as ((...args: unknown[]) => unknown)[];
    const cxs: MemoryContext[] = contexts.map((c) => ({ memory: undefined, realloc: undefined, dv: undefined, u8: undefined, dirty: undefined, rt, gt, enc: c.enc }));
    const stepExports: WebAssembly.Exports[] = new Array(plan.steps.length);
    // Async host functions (JSPI): their trampolines suspend the guest, and every export that may
    // reach one is entered through `WebAssembly.promising` (a suspending import reached from a
    // plain export traps); the others stay plain (reach.ts). Only plain functions can be async,
    // not resource constructors or methods.
    const isAsync = lowers.map((l, i) => HAS_JSPI && l.call.k === 'func' && isAsyncImport(hostFns[i]));
    const suspends = isAsync.includes(true);
    const liftSuspends = (id: number) => {
      if (!suspends) return false;
      const r = (reach ??= exportReach(plan))[id]!;
      return r === 'any' || [...r].some((lower) => isAsync[lower]);
    };
    // A component calling a function it lifts itself would get the promise of a promising export.
    if (suspends && lowers.some((l) => l.call.k === 'lift')) throw new TypeError('async host imports are not supported for a component that imports its own exports');
    const trampolines = lowers.map((l, i) => {
      const t = l.make({ cx: cxs[l.cx]!, host: hostFns[i]!, async: isAsync[i]! });
      return isAsync[i] ? new (WebAssembly as unknown as JspiApi).Suspending(t) : t;
    });
    const drops: ((handle: number) => void)[] = rt.map((t) => (handle: number) => t.drop(handle));
    const guestOps = (item: CoreItem & { k: 'guest' }) => {
      const t = gt[item.resource]!;
      return item.op === 'new' ? t.newHandle : item.op === 'rep' ? t.rep : t.dropHandle;
    };
    const resolve = (item: CoreItem): unknown =>
      (item.k === 'lower' ? trampolines[item.id] : item.k === 'drop' ? drops[item.resource] : item.k === 'guest' ? guestOps(item) : stepExports[item.step]![item.name]);
    const fill = (i: number) => {
      const spec = contexts[i]!;
      const cx = cxs[i]!;
      if (spec.memory) cx.memory = resolve(spec.memory) as WebAssembly.Memory;
      // A canonical option naming a dirty-page map (only reachable by name if validation were
      // bypassed) would let lowered guest data overwrite the marks.
      if (isDirtyMap(cx.memory)) throw new InvalidComponentError('a canonical option names a dirty-page map as its memory');
      if (spec.realloc) cx.realloc = resolve(spec.realloc) as MemoryContext['realloc'];
      // A `reset` pool restores only the pages marked dirty: what the glue writes into the guest's
      // memory (the regions realloc hands out, import results at a return pointer) is marked too.
      cx.dirty = cx.memory && dirtyMapOf(cx.memory);
      if (cx.dirty && cx.realloc) cx.realloc = markingRealloc(cx.realloc, cx.dirty);
    };
    for (const i of contextsUpFront) fill(i);
    for (let s = 0; s < plan.steps.length; s++) {
      const step = plan.steps[s]!;
      const importObject: Record<string, Record<string, unknown>> = {};
      for (const [name, src] of step.args) {
        if (src.k === 'step') importObject[name] = stepExports[src.step] as Record<string, unknown>;
        else {
          const bag: Record<string, unknown> = {};
          for (const [n, item] of src.items) bag[n] = resolve(item);
          importObject[name] = bag;
        }
      }
      stepExports[s] = instantiateCore(modules[step.module]!, importObject as WebAssembly.Imports).exports;
      for (const i of contextsAfterStep[s]!) fill(i);
    }
    const state: InstanceState = { trapped: false };
    const fns: unknown[] = new Array(lifts.length);
    const fnOf = (id: number) => {
      let f = fns[id];
      if (!f) {
        const l = lifts[id]!;
        const core = resolve(l.core) as ExportBinding['core'];
        const promising = liftSuspends(id);
        const binding: ExportBinding = {
          cx: cxs[l.cx]!, state, promising,
          core: promising ? (WebAssembly as unknown as JspiApi).promising(core) : core,
          postReturn: l.postReturn ? (resolve(l.postReturn) as ExportBinding['postReturn']) : undefined,
          ...(promising ? {} : { postReturnPure: postPureOf[id] }),
        };
        f = fns[id] = l.make(binding);
      }
      return f;
    };
    const out: Record<string, unknown> = {};
    for (const e of exportShape) {
      let value: unknown;
      if (e.func !== undefined) value = fnOf(e.func);
      else value = buildInterface(e.members!, fnOf, gt);
      // jco: the first export wins a short key (`test` for both `a:b/test@0.1.0` and `@0.2.0`);
      // full ids are unique.
      for (const k of e.keys) if (!(k in out)) out[k] = value;
    }
    if (suspends) Object.defineProperty(out, MAY_SUSPEND, { value: true });
    if (rt.length || gt.length) {
      const state: GlueState = {
        mark() { for (const t of rt) t.mark(); for (const t of gt) t.mark(); },
        reset() { for (const t of rt) t.reset(); for (const t of gt) t.reset(); },
        releaseAll() { for (const t of rt) t.releaseAll(); },
      };
      state.mark();
      (out as Record<symbol, unknown>)[GLUE_STATE] = state;
    } else {
      (out as Record<symbol, unknown>)[GLUE_STATE] = NO_TABLES;
    }
    return out;
  }

  return { modules, imports: plan.imports, instantiate };
}

/** Indices of the resources whose class the glue needs (jco reads exactly these at instantiation). */
function usedResources(plan: Plan): Set<number> {
  const used = new Set<number>();
  const walk = (t: ValType | undefined): void => {
    if (!t) return;
    switch (t.kind) {
      case 'own': case 'borrow': if (t.resource.index !== undefined) used.add(t.resource.index); return;
      case 'list': walk(t.elem); return;
      case 'option': walk(t.type); return;
      case 'record': for (const f of t.fields) walk(f.type); return;
      case 'tuple': for (const x of t.types) walk(x); return;
      case 'variant': for (const c of t.cases) walk(c.type); return;
      case 'result': walk(t.ok); walk(t.err); return;
    }
  };
  const walkFunc = (f: FuncType) => { for (const p of f.params) walk(p.type); walk(f.result); };
  for (const l of plan.lowers) {
    if (l.call.k === 'lift') continue;
    if (l.call.k !== 'func') used.add(l.call.resource);
    walkFunc(l.type);
  }
  // jco reads the class of every imported resource an export's signature mentions (`instanceof`).
  for (const l of plan.lifts) walkFunc(l.type);
  for (const step of plan.steps) {
    for (const [, src] of step.args) if (src.k === 'exports') for (const [, item] of src.items) if (item.k === 'drop') used.add(item.resource);
  }
  return used;
}

/** An exported interface's members: plain functions by jco name, and per resource its class parts. */
interface InterfaceMembers {
  funcs: [jsName: string, lift: number][];
  classes: { name: string; defined: number; ctor?: number; methods: [string, number][]; statics: [string, number][] }[];
}

const RESOURCE_FUNCTION = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/;

/** Groups an exported instance's functions the way jco shapes them (see `buildInterface`). */
function interfaceMembers(funcs: [string, number][], resources: [string, number][]): InterfaceMembers {
  const classes = new Map<string, InterfaceMembers['classes'][number]>();
  for (const [name, defined] of resources) {
    if (!classes.has(name)) classes.set(name, { name, defined, methods: [], statics: [] });
  }
  const out: InterfaceMembers = { funcs: [], classes: [...classes.values()] };
  for (const [name, id] of funcs) {
    const m = RESOURCE_FUNCTION.exec(name);
    const c = m && classes.get(m[2]!);
    if (!m || !c) { out.funcs.push([camelCase(name), id]); continue; }
    if (m[1] === 'constructor') c.ctor = id;
    else (m[1] === 'method' ? c.methods : c.statics).push([camelCase(m[3] ?? ''), id]);
  }
  return out;
}

type Fn = (...args: unknown[]) => unknown;

/** The JSPI API (Node 24+; typed here since the DOM lib types do not have it yet). */
interface JspiApi {
  Suspending: new (fn: Fn) => Fn;
  promising(fn: Fn): (...args: unknown[]) => Promise<unknown>;
}

/**
 * One instance's interface object, as jco builds it: functions by jco name, and per resource the
 * component defines a class (`new X(...)` runs the constructor; methods on the prototype take the
 * handle object as `self`; statics on the class). Handle objects lifted from results are made of
 * these classes.
 */
function buildInterface(members: InterfaceMembers, fnOf: (id: number) => unknown, gt: GuestResourceTable[]): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const c of members.classes) {
    const ctor = c.ctor === undefined ? undefined : fnOf(c.ctor) as Fn;
    const name = className(c.name);
    const cls = class {
      constructor(...args: unknown[]) {
        if (!ctor) throw new TypeError(`${name} has no constructor`);
        return ctor(...args) as object;
      }
    };
    Object.defineProperty(cls, 'name', { value: name });
    for (const [m, id] of c.methods) {
      const f = fnOf(id) as Fn;
      (cls.prototype as Record<string, unknown>)[m] = function (this: unknown, ...args: unknown[]) { return f(this, ...args); };
    }
    for (const [m, id] of c.statics) (cls as unknown as Record<string, unknown>)[m] = fnOf(id);
    const table = gt[c.defined]!;
    if (table.cls.prototype === Object.prototype) table.cls = cls;
    obj[name] = cls;
  }
  for (const [n, id] of members.funcs) obj[n] = fnOf(id);
  return obj;
}
