import { InvalidComponentError } from '../../errors.js';
import { jcoImportKeys } from './import-keys.js';
import { interfaceId } from './parse.js';
import {
  toLowerCamel, toUpperCamel, type ImportedInterface, type ResolvedFunction, type ResolvedType, type TypeDef,
  type UseItem, type WitDocument, type WitFunction, type WitInterface, type WitType, type WitWorld,
} from './types.js';

/**
 * The functions the world exports, as jco exposes them, with parameter and result types fully
 * resolved (aliases and `use` followed). Interface exports whose definition is not in `doc`
 * (jco's `componentWit` prints only the root package; see `witFromComponent`) are skipped: list
 * them with `missingInterfaces`.
 *
 * @param world world name; defaults to the root package's first world.
 * @throws InvalidComponentError when the document has no such world.
 */
export function resolveWorldExports(doc: WitDocument, world?: string): ResolvedFunction[] {
  const r = new Resolver(doc);
  const w = r.world(world);
  const out: ResolvedFunction[] = [];
  for (const item of w.items) {
    if (item.direction !== 'export') continue;
    if (item.kind === 'function') out.push(r.worldFunction(w, item.func, 'export'));
    else {
      const iface = item.kind === 'interface' ? item.iface : r.interfaceById(item.ref);
      if (iface) out.push(...r.interfaceFunctions(iface, item.kind === 'interface' ? undefined : w.package, 'export'));
    }
  }
  return out;
}

/**
 * The world's imports grouped by interface id (inline interfaces by name; a world-level function
 * import is its own entry with `isFunction`), types resolved as for exports.
 */
export function resolveWorldImports(doc: WitDocument, world?: string): ImportedInterface[] {
  const r = new Resolver(doc);
  const w = r.world(world);
  const out: ImportedInterface[] = [];
  const ids = w.items.filter((i) => i.direction === 'import')
    .map((i) => (i.kind === 'function' ? i.func.name : i.kind === 'interface' ? i.name : i.ref));
  const keys = jcoImportKeys(ids);
  for (const item of w.items) {
    if (item.direction !== 'import') continue;
    if (item.kind === 'function') {
      out.push({ id: item.func.name, jsKey: item.func.name, isFunction: true, functions: [r.worldFunction(w, item.func, 'import')], resources: [] });
      continue;
    }
    const iface = item.kind === 'interface' ? item.iface : doc.importedInterfaces?.get(item.ref) ?? r.interfaceById(item.ref);
    const id = item.kind === 'interface' ? item.name : item.ref;
    out.push({
      id,
      jsKey: keys.get(id)!,
      isFunction: false,
      functions: iface ? r.interfaceFunctions(iface, item.kind === 'interface' ? undefined : w.package, 'import', keys.get(id)) : [],
      resources: iface ? [...iface.types.values()].filter((d) => d.kind === 'resource').map((d) => d.name) : [],
    });
  }
  return out;
}

/** Ids of interfaces the world imports or exports by reference whose definition `doc` lacks. */
export function missingInterfaces(doc: WitDocument, world?: string): string[] {
  const r = new Resolver(doc);
  const w = r.world(world);
  return w.items.filter((i) => i.kind === 'interface-ref' && !r.interfaceById(i.ref)).map((i) => (i as { ref: string }).ref);
}

/** A scope in which type names are looked up: an interface or a world. */
interface Scope {
  id: string;
  /** Package used for bare `use iface.{...}` paths. */
  pkg: string;
  types: Map<string, TypeDef>;
  uses: UseItem[];
}

class Resolver {
  private readonly interfaces = new Map<string, { iface: WitInterface; pkg: string }>();
  private readonly memo = new Map<string, ResolvedType>();

  constructor(private readonly doc: WitDocument) {
    for (const p of doc.packages) for (const i of p.interfaces.values()) this.interfaces.set(i.id, { iface: i, pkg: p.id });
  }

  world(name?: string): WitWorld {
    for (const p of this.doc.packages) {
      for (const w of p.worlds.values()) if (name === undefined || w.name === name) return w;
    }
    throw new InvalidComponentError(name ? `WIT has no world \`${name}\`` : 'WIT has no world');
  }

  interfaceById(id: string): WitInterface | undefined {
    return this.interfaces.get(id)?.iface;
  }

  worldFunction(w: WitWorld, f: WitFunction, direction: 'import' | 'export'): ResolvedFunction {
    const scope: Scope = { id: `world:${w.name}`, pkg: w.package, types: w.types, uses: w.uses };
    const r = this.func(scope, f);
    // jco: world-level exports are keyed by camelCase name; imports by WIT name, under `default`.
    return { qualifiedName: f.name, ...r, jsPath: direction === 'export' ? [r.jsName] : [f.name, 'default'] };
  }

  /** `worldPkg` is undefined for inline interfaces (their `use` paths resolve against the world's package). */
  interfaceFunctions(iface: WitInterface, worldPkg: string | undefined, direction: 'import' | 'export', key?: string): ResolvedFunction[] {
    const pkg = this.interfaces.get(iface.id)?.pkg ?? worldPkg ?? this.doc.packages[0]!.id;
    const scope: Scope = { id: iface.id, pkg, types: iface.types, uses: iface.uses };
    const interfaceJsName = toLowerCamel(iface.name);
    // Exports: jco keys a package interface by its full id too (the short key goes to the first of
    // several versions); imports: the import object key.
    const root = direction === 'export' ? (iface.id.includes(':') ? iface.id : interfaceJsName) : key ?? importKey(iface.id);
    return iface.functions.map((f) => {
      const r = this.func(scope, f);
      return {
        qualifiedName: `${iface.id}#${canonicalFunctionName(f)}`,
        interfaceId: iface.id,
        interfaceJsName,
        ...r,
        jsPath: jsPathOf(root, r),
      };
    });
  }

  private func(scope: Scope, f: WitFunction): Omit<ResolvedFunction, 'qualifiedName' | 'interfaceId' | 'interfaceJsName' | 'jsPath'> {
    const result = f.result ? this.type(scope, f.result) : undefined;
    return {
      witName: f.name,
      jsName: f.kind === 'constructor' ? 'constructor' : toLowerCamel(f.name),
      kind: f.kind,
      ...(f.resource ? { resource: f.resource, resourceJsName: toUpperCamel(f.resource) } : {}),
      params: f.params.map((p) => ({ name: p.name, type: this.type(scope, p.type) })),
      ...(result ? { result } : {}),
      async: f.async,
    };
  }

  type(scope: Scope, t: WitType): ResolvedType {
    switch (t.kind) {
      case 'ref': {
        const named = this.named(scope, t.name, 0);
        // A bare resource name in a type position is an owned handle.
        return named.kind === 'resource' ? { kind: 'own', resource: named } : named;
      }
      case 'resolved': return t.type.kind === 'resource' ? { kind: 'own', resource: t.type } : t.type;
      case 'primitive': return t;
      case 'list': return { ...t, element: this.type(scope, t.element) };
      case 'option': return { kind: 'option', some: this.type(scope, t.some) };
      case 'result': return {
        kind: 'result',
        ...(t.ok ? { ok: this.type(scope, t.ok) } : {}),
        ...(t.err ? { err: this.type(scope, t.err) } : {}),
      };
      case 'tuple': return { kind: 'tuple', elements: t.elements.map((e) => this.type(scope, e)) };
      case 'record': return { kind: 'record', fields: t.fields.map((f) => ({ name: f.name, type: this.type(scope, f.type) })) };
      case 'variant': return {
        kind: 'variant',
        cases: t.cases.map((c) => (c.type ? { name: c.name, type: this.type(scope, c.type) } : { name: c.name })),
      };
      case 'enum':
      case 'flags': return t;
      case 'own':
      case 'borrow': {
        const r = t.resource.kind === 'ref' ? this.named(scope, t.resource.name, 0)
          : t.resource.kind === 'resolved' ? t.resource.type : this.type(scope, t.resource);
        return { kind: t.kind, resource: r };
      }
      case 'future':
      case 'stream': return t.payload ? { kind: t.kind, payload: this.type(scope, t.payload) } : { kind: t.kind };
    }
  }

  /** The definition a name denotes in `scope`, following aliases and `use`s. */
  private named(scope: Scope, name: string, depth: number): ResolvedType {
    if (depth > 64) throw new InvalidComponentError(`WIT: type \`${name}\` in ${scope.id} is defined in terms of itself`);
    const key = `${scope.id}\0${name}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    let out: ResolvedType;
    const def = scope.types.get(name);
    if (def) {
      const origin = { scope: scope.id, name };
      if (def.kind === 'resource') out = { kind: 'resource', origin };
      else if (def.kind === 'alias') {
        out = def.type.kind === 'ref' ? this.named(scope, def.type.name, depth + 1)
          : def.type.kind === 'resolved' ? def.type.type : this.type(scope, def.type);
      }
      else out = { ...this.type(scope, def.type), origin } as ResolvedType;
    } else {
      const use = scope.uses.find((u) => u.local === name);
      const targetId = use ? (use.from.includes(':') ? use.from : interfaceId(scope.pkg, use.from)) : undefined;
      const target = targetId ? this.interfaces.get(targetId) : undefined;
      if (use && target) {
        const s: Scope = { id: target.iface.id, pkg: target.pkg, types: target.iface.types, uses: target.iface.uses };
        out = this.named(s, use.name, depth + 1);
      } else if (use) {
        out = { kind: 'unknown', origin: { scope: targetId!, name: use.name } };
      } else {
        throw new InvalidComponentError(`WIT: unknown type \`${name}\` in ${scope.id}`);
      }
    }
    this.memo.set(key, out);
    return out;
  }
}

/** jco 1.35 keys an imported interface by its id without `@version` (`wasi:cli/stdout`). */
export function importKey(interfaceId: string): string {
  const slash = interfaceId.indexOf('/');
  const at = interfaceId.indexOf('@', slash);
  return at < 0 ? interfaceId : interfaceId.slice(0, at);
}

/** jco's location of an interface function (see `ResolvedFunction.jsPath`). */
function jsPathOf(iface: string, f: Pick<ResolvedFunction, 'kind' | 'jsName' | 'resourceJsName'>): string[] {
  switch (f.kind) {
    case 'freestanding': return [iface, f.jsName];
    case 'constructor': return [iface, f.resourceJsName!];
    case 'static': return [iface, f.resourceJsName!, f.jsName];
    case 'method': return [iface, f.resourceJsName!, 'prototype', f.jsName];
  }
}

/** The component model's canonical function name (`[method]r.name`, `[static]r.name`, `[constructor]r`). */
export function canonicalFunctionName(f: Pick<WitFunction, 'kind' | 'name' | 'resource'>): string {
  switch (f.kind) {
    case 'freestanding': return f.name;
    case 'constructor': return `[constructor]${f.resource}`;
    case 'method': return `[method]${f.resource}.${f.name}`;
    case 'static': return `[static]${f.resource}.${f.name}`;
  }
}
