import { InvalidComponentError } from '../../errors.js';
import type { Field, PrimitiveName, ResolvedType, WitFunction, WitInterface, TypeDef } from './types.js';

/**
 * Reads the interface types of a component's imports and exports straight from its binary.
 *
 * Why: jco 1.35's `componentWit` prints only the root package (`export docs:adder/add@0.1.0;`)
 * without the definitions of the interfaces it references, so their function signatures are not
 * in the text. This decoder walks the component's type, import, export, alias, instance, canon and
 * nested-component sections (skipping core modules), computes the type of each top-level
 * instance import/export, and returns it as interfaces keyed by their full name.
 *
 * It understands what wit-component emits (records, variants, lists, resources, shim
 * components that ascribe export types). Async builtins or core types inside component types are
 * reported as `InvalidComponentError('unsupported ...')`; callers treat that as "no extra types".
 */
export function decodeComponentInterfaces(bytes: Uint8Array): Map<string, WitInterface> {
  const { imports, exports } = decodeInterfacesByDirection(bytes);
  return new Map([...imports, ...exports]);
}

/**
 * The same, with imports and exports apart: an interface that is both imported and exported may
 * differ between the two (the import lists only the functions the component calls).
 */
export function decodeInterfacesByDirection(bytes: Uint8Array): { imports: Map<string, WitInterface>; exports: Map<string, WitInterface> } {
  try {
    return decodeTopLevel(bytes);
  } catch (err) {
    if (err instanceof InvalidComponentError) throw err;
    // E.g. a RangeError from absurdly deep nesting in a crafted binary: still the component's fault.
    throw new InvalidComponentError(`cannot decode component types: ${(err as Error).message}`, { cause: err });
  }
}

function decodeTopLevel(bytes: Uint8Array): { imports: Map<string, WitInterface>; exports: Map<string, WitInterface> } {
  const r = new Reader(bytes);
  if (r.u8() !== 0 || r.u8() !== 0x61 || r.u8() !== 0x73 || r.u8() !== 0x6d) throw new InvalidComponentError('not a wasm binary');
  const version = r.u8() | (r.u8() << 8);
  const layer = r.u8() | (r.u8() << 8);
  if (layer !== 1) throw new InvalidComponentError(`not a component (layer ${layer}, version ${version})`);
  const top = decodeComponent(r, bytes.length, undefined);
  const interfaces = (list: Map<string, Extern>): Map<string, WitInterface> => {
    const out = new Map<string, WitInterface>();
    for (const [name, ext] of list) {
      if (ext.sort === 'instance' && name.includes(':')) out.set(name, toInterface(name, ext.type));
    }
    return out;
  };
  return { imports: interfaces(top.imports), exports: interfaces(top.exports) };
}

/** A function type: named params and an optional result. */
interface FuncType { params: Field<ResolvedType>[]; result?: ResolvedType; async: boolean }
/** An instance type: its exports by name. */
interface InstanceType {
  exports: Map<string, Extern>;
  /** Names of resources this instance type defines itself (`(sub resource)`), as opposed to re-exporting. */
  definedResources?: Set<string>;
}
/** A component type: imports and exports by name. */
interface ComponentType { imports: Map<string, Extern>; exports: Map<string, Extern> }
type Extern =
  | { sort: 'func'; type: FuncType }
  | { sort: 'type'; type: TypeEntry }
  | { sort: 'instance'; type: InstanceType }
  | { sort: 'component'; type: ComponentType }
  | { sort: 'other' };
type TypeEntry =
  | { t: 'value'; v: ResolvedType }
  | { t: 'func'; f: FuncType }
  | { t: 'instance'; i: InstanceType }
  | { t: 'component'; c: ComponentType };

/** Type index space of one scope (component, instance type or component type), with its parent for `alias outer`. */
class TypeScope {
  readonly types: TypeEntry[] = [];
  readonly components: ComponentType[] = [];
  constructor(readonly parent: TypeScope | undefined) {}
  outer(count: number): TypeScope {
    let s: TypeScope | undefined = this;
    for (let i = 0; i < count; i++) s = s?.parent;
    if (!s) throw new InvalidComponentError('alias outer beyond the outermost component');
    return s;
  }
  type(i: number): TypeEntry {
    const t = this.types[i];
    if (!t) throw new InvalidComponentError(`type index ${i} out of range`);
    return t;
  }
  value(i: number): ResolvedType {
    const t = this.type(i);
    if (t.t !== 'value') throw new InvalidComponentError(`type ${i} is not a value type`);
    return t.v;
  }
}

const PRIMS: Record<number, PrimitiveName> = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32', 0x78: 's64',
  0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string', 0x64: 'error-context',
};

function decodeComponent(r: Reader, end: number, parent: TypeScope | undefined): ComponentType {
  const scope = new TypeScope(parent);
  const funcs: FuncType[] = [];
  const instances: InstanceType[] = [];
  const imports = new Map<string, Extern>();
  const exports = new Map<string, Extern>();

  const push = (e: Extern): void => {
    switch (e.sort) {
      case 'func': funcs.push(e.type); break;
      case 'type': scope.types.push(e.type); break;
      case 'instance': instances.push(e.type); break;
      case 'component': scope.components.push(e.type); break;
      case 'other': break;
    }
  };
  const item = (sort: Sort, idx: number): Extern => {
    switch (sort) {
      case 'func': return { sort, type: at(funcs, idx, 'func') };
      case 'type': return { sort, type: scope.type(idx) };
      case 'instance': return { sort, type: at(instances, idx, 'instance') };
      case 'component': return { sort, type: at(scope.components, idx, 'component') };
      default: return { sort: 'other' };
    }
  };

  while (r.pos < end) {
    const id = r.u8();
    const size = r.u32();
    const sectionEnd = r.pos + size;
    switch (id) {
      case 4: r.pos += 8; scope.components.push(decodeComponent(r, sectionEnd, scope)); break; // nested component (skip its preamble)
      case 5: for (let n = r.u32(); n > 0; n--) instances.push(instanceExpr(r, scope.components, item)); break;
      case 6: for (let n = r.u32(); n > 0; n--) { const e = alias(r, scope, instances); if (e) push(e); } break;
      case 7: for (let n = r.u32(); n > 0; n--) scope.types.push(defType(r, scope)); break;
      case 8: for (let n = r.u32(); n > 0; n--) { const f = canon(r, scope); if (f) funcs.push(f); } break;
      case 10: for (let n = r.u32(); n > 0; n--) {
        const name = externName(r);
        const e = externDesc(r, scope);
        imports.set(name, e);
        push(e);
      } break;
      case 11: for (let n = r.u32(); n > 0; n--) {
        const name = externName(r);
        const sort = readSort(r);
        const idx = r.u32();
        const ascribed = r.u8() === 1 ? externDesc(r, scope) : undefined;
        let e = ascribed ?? item(sort, idx);
        if (e.sort === 'type' && e.type.t === 'value') e = { sort: 'type', type: { t: 'value', v: named(e.type.v, name) } };
        exports.set(name, e);
        push(e);
      } break;
      default: break; // custom, core module/instance/type, start, value: not needed for types
    }
    r.pos = sectionEnd;
  }
  return { imports, exports };
}

type Sort = 'core' | 'func' | 'value' | 'type' | 'component' | 'instance';

function readSort(r: Reader): Sort {
  const b = r.u8();
  switch (b) {
    case 0x00: r.u8(); return 'core';
    case 0x01: return 'func';
    case 0x02: return 'value';
    case 0x03: return 'type';
    case 0x04: return 'component';
    case 0x05: return 'instance';
    default: throw new InvalidComponentError(`unknown sort 0x${b.toString(16)}`);
  }
}

function instanceExpr(r: Reader, components: ComponentType[], item: (s: Sort, i: number) => Extern): InstanceType {
  const kind = r.u8();
  if (kind === 0x00) {
    const c = at(components, r.u32(), 'component');
    // Resource type imports are substituted by the resources given: wit-component's shims import
    // each exported interface's resources and re-export them, and which resource a function takes
    // (the component's own, or one it imports) is what the caller needs to know.
    const given = new Map<ResolvedType, ResolvedType>();
    for (let n = r.u32(); n > 0; n--) {
      const name = r.string();
      const sort = readSort(r);
      const arg = item(sort, r.u32());
      const imported = c.imports.get(name);
      if (sort === 'type' && arg.sort === 'type' && arg.type.t === 'value' && imported?.sort === 'type' && imported.type.t === 'value'
        && imported.type.v.kind === 'resource' && arg.type.v.kind === 'resource') given.set(imported.type.v, arg.type.v);
    }
    return { exports: given.size ? substituteExports(c.exports, given) : c.exports };
  }
  if (kind === 0x01) {
    const exports = new Map<string, Extern>();
    for (let n = r.u32(); n > 0; n--) {
      const name = externName(r);
      const e = item(readSort(r), r.u32());
      exports.set(name, e.sort === 'type' && e.type.t === 'value' ? { sort: 'type', type: { t: 'value', v: named(e.type.v, name) } } : e);
    }
    return { exports };
  }
  throw new InvalidComponentError(`unknown instance expression 0x${kind.toString(16)}`);
}

/** `exports` with every resource in `given` replaced by its substitute (shared structure kept where unchanged). */
function substituteExports(exports: Map<string, Extern>, given: Map<ResolvedType, ResolvedType>): Map<string, Extern> {
  const memo = new Map<ResolvedType, ResolvedType>();
  const sub = (t: ResolvedType): ResolvedType => {
    const hit = given.get(t) ?? memo.get(t);
    if (hit) return hit;
    let out: ResolvedType = t;
    switch (t.kind) {
      case 'own': case 'borrow': { const x = sub(t.resource); if (x !== t.resource) out = { ...t, resource: x }; break; }
      case 'list': { const x = sub(t.element); if (x !== t.element) out = { ...t, element: x }; break; }
      case 'option': { const x = sub(t.some); if (x !== t.some) out = { ...t, some: x }; break; }
      case 'result': {
        const ok = t.ok && sub(t.ok);
        const err = t.err && sub(t.err);
        if (ok !== t.ok || err !== t.err) out = { kind: 'result', ...(ok ? { ok } : {}), ...(err ? { err } : {}) };
        break;
      }
      case 'tuple': { const xs = t.elements.map(sub); if (xs.some((x, i) => x !== t.elements[i])) out = { ...t, elements: xs }; break; }
      case 'record': { const fs = t.fields.map((f) => ({ name: f.name, type: sub(f.type) })); if (fs.some((f, i) => f.type !== t.fields[i]!.type)) out = { ...t, fields: fs }; break; }
      case 'variant': {
        const cs = t.cases.map((c) => (c.type ? { name: c.name, type: sub(c.type) } : c));
        if (cs.some((c, i) => c.type !== t.cases[i]!.type)) out = { ...t, cases: cs };
        break;
      }
    }
    memo.set(t, out);
    return out;
  };
  const subFunc = (f: FuncType): FuncType => ({ ...f, params: f.params.map((p) => ({ name: p.name, type: sub(p.type) })), ...(f.result ? { result: sub(f.result) } : {}) });
  const out = new Map<string, Extern>();
  for (const [name, e] of exports) {
    if (e.sort === 'func') out.set(name, { sort: 'func', type: subFunc(e.type) });
    else if (e.sort === 'type' && e.type.t === 'value') out.set(name, { sort: 'type', type: { t: 'value', v: sub(e.type.v) } });
    else if (e.sort === 'instance') out.set(name, { sort: 'instance', type: { ...e.type, exports: substituteExports(e.type.exports, given) } });
    else out.set(name, e);
  }
  return out;
}

function alias(r: Reader, scope: TypeScope, instances: InstanceType[]): Extern | undefined {
  const sort = readSort(r);
  const target = r.u8();
  if (target === 0x00) { // export of a component instance
    const inst = at(instances, r.u32(), 'instance');
    const name = r.string();
    const e = inst.exports.get(name);
    if (!e) throw new InvalidComponentError(`instance has no export \`${name}\``);
    return e;
  }
  if (target === 0x01) { r.u32(); r.string(); return undefined; } // core export
  if (target === 0x02) { // outer
    const s = scope.outer(r.u32());
    const idx = r.u32();
    if (sort === 'type') return { sort, type: s.type(idx) };
    if (sort === 'component') return { sort, type: at(s.components, idx, 'component') };
    return undefined;
  }
  throw new InvalidComponentError(`unknown alias target 0x${target.toString(16)}`);
}

function canon(r: Reader, scope: TypeScope): FuncType | undefined {
  const op = r.u8();
  switch (op) {
    case 0x00: { // lift: component function of the given type
      r.u8(); r.u32(); canonOpts(r);
      const t = scope.type(r.u32());
      if (t.t !== 'func') throw new InvalidComponentError('canon lift with a non-function type');
      return t.f;
    }
    case 0x01: r.u8(); r.u32(); canonOpts(r); return undefined; // lower
    case 0x02: case 0x03: case 0x04: case 0x07: r.u32(); return undefined; // resource.new/drop/rep
    default: throw new InvalidComponentError(`unsupported canonical built-in 0x${op.toString(16)}`);
  }
}

function canonOpts(r: Reader): void {
  for (let n = r.u32(); n > 0; n--) {
    const o = r.u8();
    if (o >= 0x03 && o <= 0x05) r.u32();
    else if (o === 0x07 || o === 0x08) r.u32();
  }
}

function externName(r: Reader): string {
  // 0x00 = kebab name, 0x01 = interface name in older encoders; both are just a string.
  const tag = r.u8();
  if (tag > 0x01) throw new InvalidComponentError(`unsupported extern name encoding 0x${tag.toString(16)}`);
  return r.string();
}

function externDesc(r: Reader, scope: TypeScope): Extern {
  const kind = r.u8();
  switch (kind) {
    case 0x00: r.u8(); r.u32(); return { sort: 'other' }; // core module
    case 0x01: {
      const t = scope.type(r.u32());
      if (t.t !== 'func') throw new InvalidComponentError('func import with a non-function type');
      return { sort: 'func', type: t.f };
    }
    case 0x02: { const b = r.u8(); if (b === 0) r.u32(); else valType(r, scope); return { sort: 'other' }; }
    case 0x03: {
      const bound = r.u8();
      if (bound === 0x00) return { sort: 'type', type: scope.type(r.u32()) };
      // `(sub resource)`: a fresh abstract resource; named by the enclosing export/import.
      return { sort: 'type', type: { t: 'value', v: { kind: 'resource', origin: { scope: '', name: '' } } } };
    }
    case 0x04: {
      const t = scope.type(r.u32());
      if (t.t !== 'component') throw new InvalidComponentError('component import with a non-component type');
      return { sort: 'component', type: t.c };
    }
    case 0x05: {
      const t = scope.type(r.u32());
      if (t.t !== 'instance') throw new InvalidComponentError('instance import with a non-instance type');
      return { sort: 'instance', type: t.i };
    }
    default: throw new InvalidComponentError(`unknown extern kind 0x${kind.toString(16)}`);
  }
}

function defType(r: Reader, scope: TypeScope): TypeEntry {
  const b = r.peek();
  if (b === 0x40 || b === 0x43) { r.u8(); return { t: 'func', f: funcType(r, scope, b === 0x43) }; }
  if (b === 0x41) { r.u8(); return { t: 'component', c: componentType(r, scope) }; }
  if (b === 0x42) { r.u8(); return { t: 'instance', i: instanceType(r, scope) }; }
  if (b === 0x3f || b === 0x3e) {
    r.u8(); r.u8(); // rep i32
    if (b === 0x3e) { r.u32(); if (r.u8() === 1) r.u32(); } else if (r.u8() === 1) r.u32();
    return { t: 'value', v: { kind: 'resource', origin: { scope: '', name: '' } } };
  }
  return { t: 'value', v: defValType(r, scope) };
}

function funcType(r: Reader, scope: TypeScope, isAsync: boolean): FuncType {
  const params: Field<ResolvedType>[] = [];
  for (let n = r.u32(); n > 0; n--) params.push({ name: r.string(), type: valType(r, scope) });
  const tag = r.u8();
  if (tag === 0x00) return { params, result: valType(r, scope), async: isAsync };
  if (r.u8() !== 0x00) throw new InvalidComponentError('named function results are not supported');
  return { params, async: isAsync };
}

/** `onExport`'s `fresh` is true for a `(sub resource)` declaration: a resource defined right there. */
function declarations(
  r: Reader,
  scope: TypeScope,
  onImport: ((n: string, e: Extern) => void) | undefined,
  onExport: (n: string, e: Extern, fresh: boolean) => void,
): void {
  for (let n = r.u32(); n > 0; n--) {
    const kind = r.u8();
    switch (kind) {
      case 0x00: throw new InvalidComponentError('unsupported core type inside a component type');
      case 0x01: scope.types.push(defType(r, scope)); break;
      case 0x02: { const e = alias(r, scope, []); if (e?.sort === 'type') scope.types.push(e.type); else if (e?.sort === 'component') scope.components.push(e.type); break; }
      case 0x03: {
        if (!onImport) throw new InvalidComponentError('import declaration inside an instance type');
        const name = externName(r);
        const e = nameExtern(externDesc(r, scope), name);
        onImport(name, e);
        if (e.sort === 'type') scope.types.push(e.type);
        break;
      }
      case 0x04: {
        const name = externName(r);
        const fresh = r.peek() === 0x03 && r.peekAt(1) === 0x01;
        const e = nameExtern(externDesc(r, scope), name);
        onExport(name, e, fresh);
        if (e.sort === 'type') scope.types.push(e.type);
        break;
      }
      default: throw new InvalidComponentError(`unknown declaration 0x${kind.toString(16)}`);
    }
  }
}

function instanceType(r: Reader, parent: TypeScope): InstanceType {
  const exports = new Map<string, Extern>();
  const definedResources = new Set<string>();
  declarations(r, new TypeScope(parent), undefined, (n, e, fresh) => {
    exports.set(n, e);
    if (fresh) definedResources.add(n);
  });
  return { exports, definedResources };
}

function componentType(r: Reader, parent: TypeScope): ComponentType {
  const imports = new Map<string, Extern>();
  const exports = new Map<string, Extern>();
  declarations(r, new TypeScope(parent), (n, e) => imports.set(n, e), (n, e) => exports.set(n, e));
  return { imports, exports };
}

/** Gives a declared type the name it is exported or imported under (for messages and `use`). */
function nameExtern(e: Extern, name: string): Extern {
  return e.sort === 'type' && e.type.t === 'value' ? { sort: 'type', type: { t: 'value', v: named(e.type.v, name) } } : e;
}

function named(v: ResolvedType, name: string): ResolvedType {
  if (v.kind === 'resource') {
    // A fresh resource keeps its identity; name it in place the first time.
    if (!v.origin.name) v.origin.name = name;
    return v;
  }
  if (v.kind === 'record' || v.kind === 'variant' || v.kind === 'enum' || v.kind === 'flags') return { ...v, origin: { scope: '', name } };
  return v;
}

function defValType(r: Reader, scope: TypeScope): ResolvedType {
  const b = r.u8();
  const prim = PRIMS[b];
  if (prim) return { kind: 'primitive', name: prim };
  switch (b) {
    case 0x72: { const fields: Field<ResolvedType>[] = []; for (let n = r.u32(); n > 0; n--) fields.push({ name: r.string(), type: valType(r, scope) }); return { kind: 'record', fields }; }
    case 0x71: {
      const cases: { name: string; type?: ResolvedType }[] = [];
      for (let n = r.u32(); n > 0; n--) {
        const name = r.string();
        const type = optValType(r, scope);
        if (r.u8() === 1) r.u32(); // legacy `refines`
        cases.push(type ? { name, type } : { name });
      }
      return { kind: 'variant', cases };
    }
    case 0x70: return { kind: 'list', element: valType(r, scope) };
    case 0x67: { const element = valType(r, scope); return { kind: 'list', element, length: r.u32() }; }
    case 0x6f: { const elements: ResolvedType[] = []; for (let n = r.u32(); n > 0; n--) elements.push(valType(r, scope)); return { kind: 'tuple', elements }; }
    case 0x6e: { const flags: string[] = []; for (let n = r.u32(); n > 0; n--) flags.push(r.string()); return { kind: 'flags', flags }; }
    case 0x6d: { const cases: string[] = []; for (let n = r.u32(); n > 0; n--) cases.push(r.string()); return { kind: 'enum', cases }; }
    case 0x6b: return { kind: 'option', some: valType(r, scope) };
    case 0x6a: {
      const ok = optValType(r, scope);
      const err = optValType(r, scope);
      return { kind: 'result', ...(ok ? { ok } : {}), ...(err ? { err } : {}) };
    }
    case 0x69: case 0x68: return { kind: b === 0x69 ? 'own' : 'borrow', resource: scope.value(r.u32()) };
    case 0x66: case 0x65: { const payload = optValType(r, scope); return { kind: b === 0x66 ? 'stream' : 'future', ...(payload ? { payload } : {}) }; }
    default: throw new InvalidComponentError(`unknown value type 0x${b.toString(16)}`);
  }
}

function optValType(r: Reader, scope: TypeScope): ResolvedType | undefined {
  return r.u8() === 1 ? valType(r, scope) : undefined;
}

function valType(r: Reader, scope: TypeScope): ResolvedType {
  const b = r.peek();
  if (PRIMS[b]) { r.u8(); return { kind: 'primitive', name: PRIMS[b]! }; }
  const v = scope.value(r.u32());
  // A bare resource type in a value position does not occur in valid components; own/borrow wrap it.
  return v;
}

/** Turns an instance type into an interface: functions (resource functions by their canonical names) and named types. */
function toInterface(id: string, inst: InstanceType): WitInterface {
  const slash = id.lastIndexOf('/');
  const at = id.indexOf('@', slash);
  const name = id.slice(slash + 1, at < 0 ? undefined : at);
  const types = new Map<string, TypeDef>();
  const functions: WitFunction[] = [];
  for (const [n, e] of inst.exports) {
    if (e.sort === 'type' && e.type.t === 'value') {
      // A resource this interface defines, or (re-exported from another interface, or any type) an
      // alias. Without declarations to tell (an instantiated shim), a resource another interface
      // already named is that one's.
      const v = e.type.v;
      const defines = v.kind === 'resource' && (inst.definedResources?.has(n) ?? (!v.origin.scope || v.origin.scope === id));
      types.set(n, defines ? { kind: 'resource', name: n } : { kind: 'alias', name: n, type: { kind: 'resolved', type: e.type.v } });
    } else if (e.sort === 'func') {
      functions.push(toFunction(n, e.type));
    }
  }
  for (const f of functions) for (const p of f.params) tagScope(p.type, id);
  // A resource this interface defines belongs to it wherever it is referenced (same object).
  for (const [n, e] of inst.exports) {
    if (e.sort === 'type' && e.type.t === 'value' && e.type.v.kind === 'resource' && (inst.definedResources?.has(n) ?? true) && !e.type.v.origin.scope) {
      e.type.v.origin.scope = id;
      if (!e.type.v.origin.name) e.type.v.origin.name = n;
    }
  }
  return { id, name, uses: [], types, functions };
}

function tagScope(t: { kind: string; type?: ResolvedType }, scope: string): void {
  const v = t.kind === 'resolved' ? t.type : undefined;
  if (v && 'origin' in v && v.origin && !v.origin.scope) v.origin.scope = scope;
}

function toFunction(exportName: string, f: FuncType): WitFunction {
  const m = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(exportName);
  const wrap = (type: ResolvedType) => ({ kind: 'resolved' as const, type });
  const result = f.result ? { result: wrap(f.result) } : {};
  if (!m) return { name: exportName, kind: 'freestanding', params: f.params.map((p) => ({ name: p.name, type: wrap(p.type) })), ...result, async: f.async };
  const kind = m[1] as 'constructor' | 'method' | 'static';
  // A method's first parameter is `self`; jco's JS method receives the rest.
  const params = (kind === 'method' ? f.params.slice(1) : f.params).map((p) => ({ name: p.name, type: wrap(p.type) }));
  return { name: kind === 'constructor' ? 'constructor' : m[3]!, kind, resource: m[2]!, params, ...result, async: f.async };
}

function at<T>(list: T[], i: number, what: string): T {
  const v = list[i];
  if (v === undefined) throw new InvalidComponentError(`${what} index ${i} out of range`);
  return v;
}

/** LEB128 reader over the component bytes. */
class Reader {
  pos = 0;
  private readonly text = new TextDecoder('utf-8', { fatal: true });
  constructor(private readonly b: Uint8Array) {}
  peek(): number {
    if (this.pos >= this.b.length) throw new InvalidComponentError('unexpected end of component');
    return this.b[this.pos]!;
  }
  peekAt(ahead: number): number | undefined { return this.b[this.pos + ahead]; }
  u8(): number { const v = this.peek(); this.pos++; return v; }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new InvalidComponentError('malformed LEB128');
    }
  }
  string(): string {
    const len = this.u32();
    if (this.pos + len > this.b.length) throw new InvalidComponentError('unexpected end of component');
    const s = this.text.decode(this.b.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
}
