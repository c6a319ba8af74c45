/**
 * Builds an instantiation plan from a decoded component: which core modules are instantiated in
 * which order with which import objects, which functions are lifted (exports) and lowered (host
 * imports), with their resolved types. Nested components that only re-export (wit-component's
 * interface shims) are flattened by evaluating them at their instantiation site.
 */
import type { Alias, CanonOptions, Decl, Definition, ExternDesc, ParsedComponent, Sort, TypeDef, ValTypeRef } from './parse.js';
import { jcoImportKeys } from '../wit/import-keys.js';
import { Unsupported } from './reader.js';
import { camelCase, className, type FuncType, type ResourceType, type ValType } from './types.js';

/** Where a per-instance core item (function, memory, table, global) comes from. */
export type CoreItem =
  | { k: 'export'; step: number; name: string }
  | { k: 'lower'; id: number }
  /** `canon resource.drop` of an imported resource (index into `Plan.resources`). */
  | { k: 'drop'; resource: number }
  /** `canon resource.new/rep/drop` of a resource the component defines (into `Plan.definedResources`). */
  | { k: 'guest'; op: 'new' | 'rep' | 'drop'; resource: number };

/** The source of one core import module: a previous instantiation or an inline export bag. */
export type CoreInstanceSource =
  | { k: 'step'; step: number }
  | { k: 'exports'; items: [string, CoreItem][] };

/** One `new WebAssembly.Instance`. */
export interface CoreStep {
  module: number;
  args: [string, CoreInstanceSource][];
}

/** Canonical options resolved to core items. */
export interface ResolvedOptions {
  memory?: CoreItem;
  realloc?: CoreItem;
  postReturn?: CoreItem;
  encoding: StringEncoding;
}

/** How strings are laid out in guest memory (canonical option `string-encoding`). */
export type StringEncoding = 'utf8' | 'utf16' | 'latin1+utf16';

/** A `canon lift`: a component function backed by a core function. */
export interface Lift extends ResolvedOptions {
  core: CoreItem;
  type: FuncType;
}

/**
 * How a lowered import reaches the host: a plain function `imports[key][jsName]`, or, for a
 * resource (`resource` indexes `Plan.resources`), `new Class(...)`, `self[jsName](...)` on the
 * lifted `borrow` in the first parameter, or `Class[jsName](...)`, as jco calls them; or `lift`,
 * a function this component lifts itself (nested components wired together), called through JS
 * values as jco does.
 */
export type HostCall =
  | { k: 'func' }
  | { k: 'constructor' | 'method' | 'static'; resource: number }
  | { k: 'lift'; id: number };

/** A `canon lower` of a host import. */
export interface Lower extends ResolvedOptions {
  key: string;
  name: string;
  /** The property jco reads: the camelCase function name, or `default` for a world-level function. */
  jsName: string;
  call: HostCall;
  type: FuncType;
}

/** An imported resource type: jco's glue finds its class at `imports[key][className]`. */
export interface PlanResource {
  key: string;
  name: string;
  className: string;
}

/** A resource type the component defines (and exports): its destructor, and its name once exported. */
export interface PlanDefinedResource {
  /** The WIT name it is exported under (`x`); empty until an export names it. */
  name: string;
  dtor?: CoreItem;
}

/** A top-level export: a function, or an interface (instance) of functions. */
export type PlanExport =
  | { name: string; k: 'func'; lift: number }
  /** `resources`: the resource types it exports that the component defines, by WIT name. */
  | { name: string; k: 'instance'; funcs: [string, number][]; resources: [string, number][] };

export interface Plan {
  /** Core module bytes in the order they appear in the binary (nested components included). */
  modules: Uint8Array[];
  steps: CoreStep[];
  lifts: Lift[];
  lowers: Lower[];
  exports: PlanExport[];
  /** Import keys (versions stripped, as jco keys its import object). */
  imports: string[];
  /** Imported resource types, in import order; `ResourceType.index` points here. */
  resources: PlanResource[];
  /** Resource types the component defines; `ResourceType.defined` points here. */
  definedResources: PlanDefinedResource[];
}

type TypeEntry =
  | { k: 'val'; t: ValType }
  | { k: 'func'; f: FuncType }
  | { k: 'instance'; exports: Map<string, TypeEntry> }
  | { k: 'component' }
  | { k: 'resource'; r: ResourceType };

type FuncItem = { k: 'lift'; id: number } | { k: 'host'; key: string; name: string; jsName: string; call: HostCall; type: FuncType };
type InstItem =
  | { k: 'import'; key: string; exports: Map<string, TypeEntry> }
  | { k: 'exports'; items: Map<string, Item> };
type CoreInst = { k: 'step'; step: number } | { k: 'exports'; items: Map<string, CoreItem> };
type Item =
  | { sort: 'func'; v: FuncItem }
  | { sort: 'instance'; v: InstItem }
  | { sort: 'type'; v: TypeEntry }
  | { sort: 'component'; v: ComponentDef }
  | { sort: 'core:module'; v: number };
interface ComponentDef { parsed: ParsedComponent; scope: Scope }

interface TypeScope { types: TypeEntry[]; parent?: TypeScope }

class Scope implements TypeScope {
  types: TypeEntry[] = [];
  coreModules: number[] = [];
  coreInstances: CoreInst[] = [];
  coreFuncs: CoreItem[] = [];
  coreMemories: CoreItem[] = [];
  coreTables: CoreItem[] = [];
  coreGlobals: CoreItem[] = [];
  funcs: FuncItem[] = [];
  instances: InstItem[] = [];
  components: ComponentDef[] = [];
  exports = new Map<string, Item>();
  constructor(readonly parent?: Scope) {}
}


function at<T>(list: T[], idx: number, what: string): T {
  const v = list[idx];
  if (v === undefined) throw new Unsupported(`${what} index ${idx} out of range`);
  return v;
}

/** Builds the plan; throws `Unsupported` (with the reason) for anything outside the fast path. */
export function buildPlan(parsed: ParsedComponent): Plan {
  const plan: Plan = { modules: [], steps: [], lifts: [], lowers: [], exports: [], imports: [], resources: [], definedResources: [] };
  const moduleIds = new Map<Uint8Array, number>();
  const root = new Scope();
  // jco keys imports without `@version`, unless two versions of one interface are imported.
  const importKeys = jcoImportKeys(parsed.definitions.flatMap((d) => (d.s === 'import' ? [d.name] : [])));
  const importKey = (name: string): string => importKeys.get(name) ?? name;

  const resolveVal = (ts: TypeScope, ref: ValTypeRef): ValType => {
    if ('prim' in ref) return { kind: ref.prim };
    const e = at(ts.types, ref.idx, 'type');
    if (e.k !== 'val') throw new Unsupported(e.k === 'resource' ? 'resource types' : `type ${ref.idx} is not a value type`);
    return e.t;
  };

  const resolveTypeDef = (ts: TypeScope, def: TypeDef): TypeEntry => {
    const v = (r: ValTypeRef) => resolveVal(ts, r);
    switch (def.k) {
      case 'prim': return { k: 'val', t: { kind: def.prim } };
      case 'record': return { k: 'val', t: { kind: 'record', fields: def.fields.map((f) => ({ name: f.name, type: v(f.t) })) } };
      case 'variant': return { k: 'val', t: { kind: 'variant', cases: def.cases.map((c) => (c.t ? { name: c.name, type: v(c.t) } : { name: c.name })) } };
      case 'list': return { k: 'val', t: { kind: 'list', elem: v(def.t) } };
      case 'tuple': return { k: 'val', t: { kind: 'tuple', types: def.ts.map(v) } };
      case 'flags': return { k: 'val', t: { kind: 'flags', names: def.names } };
      case 'enum': return { k: 'val', t: { kind: 'enum', names: def.names } };
      case 'option': return { k: 'val', t: { kind: 'option', type: v(def.t) } };
      case 'result': return { k: 'val', t: { kind: 'result', ...(def.ok ? { ok: v(def.ok) } : {}), ...(def.err ? { err: v(def.err) } : {}) } };
      case 'own': case 'borrow': {
        const e = at(ts.types, def.idx, 'type');
        if (e.k !== 'resource') throw new Unsupported(`${def.k} of a non-resource type`);
        return { k: 'val', t: { kind: def.k, resource: e.r } };
      }
      case 'func': return { k: 'func', f: { params: def.params.map((p) => ({ name: p.name, type: v(p.t) })), ...(def.result ? { result: v(def.result) } : {}) } };
      case 'instance': return { k: 'instance', exports: instanceTypeExports(ts, def.decls) };
      case 'component': return { k: 'component' };
      case 'resource': throw new Unsupported('resource type definition outside a component'); // handled by `evaluate`
      case 'unsupported': throw new Unsupported(def.what);
    }
  };

  const outerTypes = (ts: TypeScope, count: number): TypeScope => {
    let s: TypeScope | undefined = ts;
    for (let i = 0; i < count && s; i++) s = s.parent;
    if (!s) throw new Unsupported('outer alias beyond the root component');
    return s;
  };

  /** Evaluates an instance type's declarators in their own type index space. */
  function instanceTypeExports(parent: TypeScope, decls: Decl[]): Map<string, TypeEntry> {
    const local: TypeScope = { types: [], parent };
    const exports = new Map<string, TypeEntry>();
    for (const d of decls) {
      switch (d.k) {
        case 'coreType': break;
        case 'type': local.types.push(resolveTypeDef(local, d.def)); break;
        case 'alias':
          if (d.target.k !== 'outer' || d.sort !== 'type') throw new Unsupported('non-type alias in an instance type');
          local.types.push(at(outerTypes(local, d.target.count).types, d.target.idx, 'outer type'));
          break;
        case 'export': {
          const e = descEntry(local, d.desc, d.name);
          if (d.desc.k === 'type') local.types.push(e);
          exports.set(d.name, e);
          break;
        }
        case 'import': throw new Unsupported('import in an instance type');
      }
    }
    return exports;
  }

  function descEntry(ts: TypeScope, desc: ExternDesc, name: string): TypeEntry {
    switch (desc.k) {
      case 'func': {
        const e = at(ts.types, desc.idx, 'type');
        if (e.k !== 'func') throw new Unsupported('function import with a non-function type');
        return e;
      }
      case 'type': return desc.subResource ? { k: 'resource', r: { name } } : at(ts.types, desc.eq!, 'type');
      case 'instance': return at(ts.types, desc.idx, 'type');
      case 'component': return { k: 'component' };
      default: throw new Unsupported(`${desc.k} imports/exports`);
    }
  }

  const itemOf = (scope: Scope, sort: Sort, idx: number): Item => {
    switch (sort) {
      case 'func': return { sort, v: at(scope.funcs, idx, 'func') };
      case 'instance': return { sort, v: at(scope.instances, idx, 'instance') };
      case 'type': return { sort, v: at(scope.types, idx, 'type') };
      case 'component': return { sort, v: at(scope.components, idx, 'component') };
      case 'core:module': return { sort, v: at(scope.coreModules, idx, 'core module') };
      default: throw new Unsupported(`${sort} as an instantiation argument or export`);
    }
  };

  const pushItem = (scope: Scope, item: Item): void => {
    switch (item.sort) {
      case 'func': scope.funcs.push(item.v); break;
      case 'instance': scope.instances.push(item.v); break;
      case 'type': scope.types.push(item.v); break;
      case 'component': scope.components.push(item.v); break;
      case 'core:module': scope.coreModules.push(item.v); break;
    }
  };

  const coreSpace = (scope: Scope, sort: Sort): CoreItem[] => {
    switch (sort) {
      case 'core:func': return scope.coreFuncs;
      case 'core:memory': return scope.coreMemories;
      case 'core:table': return scope.coreTables;
      case 'core:global': return scope.coreGlobals;
      default: throw new Unsupported(`core ${sort} items`);
    }
  };

  const resolveOptions = (scope: Scope, opts: CanonOptions): ResolvedOptions => {
    if (opts.async || opts.callback !== undefined) throw new Unsupported('async functions');
    return {
      encoding: opts.encoding,
      ...(opts.memory !== undefined ? { memory: at(scope.coreMemories, opts.memory, 'core memory') } : {}),
      ...(opts.realloc !== undefined ? { realloc: at(scope.coreFuncs, opts.realloc, 'core func') } : {}),
      ...(opts.postReturn !== undefined ? { postReturn: at(scope.coreFuncs, opts.postReturn, 'core func') } : {}),
    };
  };

  const alias = (scope: Scope, sort: Sort, target: Alias): void => {
    if (target.k === 'coreExport') {
      const inst = at(scope.coreInstances, target.instance, 'core instance');
      let item: CoreItem | undefined;
      if (inst.k === 'step') item = { k: 'export', step: inst.step, name: target.name };
      else item = inst.items.get(target.name);
      if (!item) throw new Unsupported(`core export ${target.name} not found`);
      coreSpace(scope, sort).push(item);
      return;
    }
    if (target.k === 'export') {
      const inst = at(scope.instances, target.instance, 'instance');
      if (inst.k === 'import') {
        const e = inst.exports.get(target.name);
        if (!e) throw new Unsupported(`import ${inst.key} has no export ${target.name}`);
        if (sort === 'func' && e.k === 'func') scope.funcs.push({ k: 'host', key: inst.key, name: target.name, ...hostCall(inst.exports, target.name), type: e.f });
        else if (sort === 'type') scope.types.push(e);
        else throw new Unsupported(`alias of ${sort} ${target.name} from an imported instance`);
        return;
      }
      const item = inst.items.get(target.name);
      if (!item || item.sort !== sort) throw new Unsupported(`instance has no ${sort} export ${target.name}`);
      pushItem(scope, item);
      return;
    }
    let s: Scope | undefined = scope;
    for (let i = 0; i < target.count && s; i++) s = s.parent;
    if (!s) throw new Unsupported('outer alias beyond the root component');
    if (sort === 'type') scope.types.push(at(s.types, target.idx, 'outer type'));
    else if (sort === 'component') scope.components.push(at(s.components, target.idx, 'outer component'));
    else if (sort === 'core:module') scope.coreModules.push(at(s.coreModules, target.idx, 'outer core module'));
    else if (sort !== 'core:type') throw new Unsupported(`outer alias of ${sort}`);
  };

  function run(scope: Scope, parsedComponent: ParsedComponent, args?: Map<string, Item>): void {
    for (const d of parsedComponent.definitions) evaluate(scope, d, args);
  }

  function evaluate(scope: Scope, d: Definition, args?: Map<string, Item>): void {
    switch (d.s) {
      case 'coreModule': {
        let id = moduleIds.get(d.bytes);
        if (id === undefined) { id = plan.modules.push(d.bytes) - 1; moduleIds.set(d.bytes, id); }
        scope.coreModules.push(id);
        return;
      }
      case 'coreInstance': {
        if (d.k === 'instantiate') {
          const step: CoreStep = {
            module: at(scope.coreModules, d.module, 'core module'),
            args: d.args.map(({ name, instance }) => {
              const src = at(scope.coreInstances, instance, 'core instance');
              return [name, src.k === 'step' ? src : { k: 'exports', items: [...src.items] }];
            }),
          };
          scope.coreInstances.push({ k: 'step', step: plan.steps.push(step) - 1 });
        } else {
          const items = new Map<string, CoreItem>();
          for (const e of d.exports) items.set(e.name, at(coreSpace(scope, e.sort), e.idx, e.sort));
          scope.coreInstances.push({ k: 'exports', items });
        }
        return;
      }
      case 'coreType': return;
      case 'component': scope.components.push({ parsed: d.component, scope }); return;
      case 'instance': {
        const items = new Map<string, Item>();
        if (d.k === 'instantiate') {
          const def = at(scope.components, d.component, 'component');
          const bound = new Map<string, Item>();
          for (const a of d.args) bound.set(a.name, itemOf(scope, a.sort, a.idx));
          const inner = new Scope(def.scope);
          run(inner, def.parsed, bound);
          for (const [k, v] of inner.exports) items.set(k, v);
        } else {
          for (const e of d.exports) items.set(e.name, itemOf(scope, e.sort, e.idx));
        }
        scope.instances.push({ k: 'exports', items });
        return;
      }
      case 'alias': alias(scope, d.sort, d.target); return;
      case 'type': {
        if (d.def.k === 'resource') {
          // Handle tables are per component instance; one flat table per type is exact only at the root.
          if (scope !== root) throw new Unsupported('resources defined in a nested component');
          const dtor = d.def.dtor === undefined ? undefined : at(scope.coreFuncs, d.def.dtor, 'core func');
          const defined = plan.definedResources.push(dtor ? { name: '', dtor } : { name: '' }) - 1;
          scope.types.push({ k: 'resource', r: { name: '', defined } });
          return;
        }
        scope.types.push(resolveTypeDef(scope, d.def));
        return;
      }
      case 'canon': {
        if (d.k === 'resource.drop' || d.k === 'resource.new' || d.k === 'resource.rep') {
          const t = at(scope.types, d.type, 'type');
          if (t.k !== 'resource') throw new Unsupported(`${d.k} of a non-resource type`);
          if (t.r.defined !== undefined) {
            scope.coreFuncs.push({ k: 'guest', op: d.k === 'resource.new' ? 'new' : d.k === 'resource.rep' ? 'rep' : 'drop', resource: t.r.defined });
          } else if (t.r.index !== undefined && d.k === 'resource.drop') {
            scope.coreFuncs.push({ k: 'drop', resource: t.r.index });
          } else {
            throw new Unsupported(`${d.k} of a resource the component does not define`);
          }
          return;
        }
        const opts = resolveOptions(scope, d.opts);
        if (d.k === 'lift') {
          const t = at(scope.types, d.type, 'type');
          if (t.k !== 'func') throw new Unsupported('canon lift with a non-function type');
          const id = plan.lifts.push({ core: at(scope.coreFuncs, d.coreFunc, 'core func'), type: t.f, ...opts }) - 1;
          scope.funcs.push({ k: 'lift', id });
        } else {
          const f = at(scope.funcs, d.func, 'func');
          if (opts.postReturn) throw new Unsupported('post-return on canon lower');
          let id: number;
          if (f.k === 'lift') {
            // Nested components wired together: the call goes through JS values, as in jco.
            const callee = plan.lifts[f.id]!;
            if (signatureHasResources(callee.type, () => true)) throw new Unsupported('resource handles between nested components');
            id = plan.lowers.push({ key: '', name: '', jsName: '', call: { k: 'lift', id: f.id }, type: callee.type, ...opts }) - 1;
          } else {
            id = plan.lowers.push({ key: f.key, name: f.name, jsName: f.jsName, call: f.call, type: f.type, ...opts }) - 1;
          }
          scope.coreFuncs.push({ k: 'lower', id });
        }
        return;
      }
      case 'import': {
        if (args) {
          // A nested component: its imports are bound to the instantiation arguments.
          const item = args.get(d.name);
          if (item) { pushItem(scope, item); return; }
          if (d.desc.k === 'type' && d.desc.eq !== undefined) { scope.types.push(at(scope.types, d.desc.eq, 'type')); return; }
          throw new Unsupported(`nested component import ${d.name} is not supplied`);
        }
        const e = descEntry(scope, d.desc, d.name);
        if (d.desc.k === 'instance') {
          if (e.k !== 'instance') throw new Unsupported('instance import with a non-instance type');
          const key = importKey(d.name);
          plan.imports.push(key);
          // Resources this interface defines (not `use`d from another one, those have an index).
          for (const [name, x] of e.exports) {
            if (x.k === 'resource' && x.r.index === undefined) x.r.index = plan.resources.push({ key, name, className: className(name) }) - 1;
          }
          scope.instances.push({ k: 'import', key, exports: e.exports });
        } else if (d.desc.k === 'func' && e.k === 'func') {
          // A world-level function: jco reads `imports[name].default`.
          const key = importKey(d.name);
          plan.imports.push(key);
          scope.funcs.push({ k: 'host', key, name: d.name, jsName: 'default', call: { k: 'func' }, type: e.f });
        } else if (d.desc.k === 'type') scope.types.push(e);
        else throw new Unsupported(`top-level ${d.desc.k} import ${d.name}`);
        return;
      }
      case 'export': {
        const item = itemOf(scope, d.sort, d.idx);
        scope.exports.set(d.name, item);
        pushItem(scope, item);
        if (!args && scope === root) {
          if (item.sort === 'func') {
            if (item.v.k !== 'lift') throw new Unsupported(`export ${d.name} re-exports an import`);
            plan.exports.push({ name: d.name, k: 'func', lift: item.v.id });
          } else if (item.sort === 'instance') {
            plan.exports.push({ name: d.name, k: 'instance', funcs: instanceFuncs(d.name, item.v), resources: instanceResources(item.v) });
          } else if (item.sort !== 'type') {
            throw new Unsupported(`export of a ${item.sort}`);
          }
        }
        return;
      }
    }
  }

  /**
   * The defined resources an exported instance exports first (jco gives the class to that
   * interface; another that re-exports the type, `use`ing it, gets none).
   */
  function instanceResources(inst: InstItem): [string, number][] {
    const out: [string, number][] = [];
    if (inst.k !== 'exports') return out;
    for (const [tname, item] of inst.items) {
      if (item.sort !== 'type' || item.v.k !== 'resource' || item.v.r.defined === undefined) continue;
      const d = plan.definedResources[item.v.r.defined]!;
      if (d.name) continue;
      d.name = tname;
      out.push([tname, item.v.r.defined]);
    }
    return out;
  }

  function instanceFuncs(name: string, inst: InstItem): [string, number][] {
    if (inst.k !== 'exports') throw new Unsupported(`export ${name} re-exports an imported instance`);
    const out: [string, number][] = [];
    for (const [fname, item] of inst.items) {
      if (item.sort === 'type') continue;
      if (item.sort !== 'func' || item.v.k !== 'lift') throw new Unsupported(`export ${name}#${fname} is not a lifted function`);
      out.push([fname, item.v.id]);
    }
    return out;
  }

  run(root, parsed);
  for (const l of plan.lifts) {
    if (signatureHasResources(l.type, (r) => r.index === undefined && r.defined === undefined)) throw new Unsupported('resource handles of an unknown resource type');
  }
  for (const l of plan.lowers) {
    if (l.call.k !== 'lift' && signatureHasResources(l.type, (r) => r.index === undefined)) throw new Unsupported('host imports with handles of resources the component defines');
  }
  return plan;
}

/**
 * jco's JS shape of an interface function: `[constructor]r`, `[method]r.f`, `[static]r.f` call
 * the resource's class (found among the interface's exports); anything else is a plain function.
 */
function hostCall(exports: Map<string, TypeEntry>, name: string): { jsName: string; call: HostCall } {
  const m = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!m) return { jsName: camelCase(name), call: { k: 'func' } };
  const kind = m[1] as 'constructor' | 'method' | 'static';
  const e = exports.get(m[2]!);
  if (!e || e.k !== 'resource' || e.r.index === undefined) throw new Unsupported(`${name}: resource ${m[2]} is not defined by its interface`);
  if ((kind === 'constructor') !== (m[3] === undefined)) throw new Unsupported(`malformed resource function name ${name}`);
  return { jsName: m[3] ? camelCase(m[3]) : className(m[2]!), call: { k: kind, resource: e.r.index } };
}

/** True when `pred` holds for a resource handle anywhere in the signature. */
function signatureHasResources(f: FuncType, pred: (r: ResourceType) => boolean): boolean {
  const walk = (t: ValType | undefined): boolean => {
    if (!t) return false;
    switch (t.kind) {
      case 'own': case 'borrow': return pred(t.resource);
      case 'list': return walk(t.elem);
      case 'option': return walk(t.type);
      case 'record': return t.fields.some((x) => walk(x.type));
      case 'tuple': return t.types.some(walk);
      case 'variant': return t.cases.some((c) => walk(c.type));
      case 'result': return walk(t.ok) || walk(t.err);
      default: return false;
    }
  };
  return f.params.some((p) => walk(p.type)) || walk(f.result);
}
