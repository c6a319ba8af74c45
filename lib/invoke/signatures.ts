import { addInterfacesFromBinary, compileValidator, findExport, parseWit, resolveWorldExports, resolveWorldImports, type ArgsValidator, type ImportedInterface, type ResolvedFunction, type ResolvedType } from '../component/wit/index.js';
import { InvalidComponentError, MissingImportError } from '../errors.js';
import { handleWalk, type HandleWalk } from './handles.js';

/** An export resolved once per function: where jco put it, how to check its arguments, how to shape its result. */
export interface BoundExport {
  signature: ResolvedFunction;
  /** Key of the interface object in jco's exports (undefined for world-level functions). */
  holderKey: string | undefined;
  validate: ArgsValidator;
  /** jco unwraps `result<T, E>` (returns T, throws E); we hand callers `{ tag, val }` instead. */
  returnsResult: boolean;
  /**
   * Set when the function takes or gives handles of resources the component defines (any
   * constructor, method or static, and functions with such handles in their signature).
   */
  handles?: BoundHandles;
}

/** Where a function's handles are (see lib/invoke/handles.ts). */
export interface BoundHandles {
  /** A method's `self`: the resource (`interface#name`); the first argument of the call. */
  self?: string;
  /** Per parameter (`self` excluded), the walk over its handles, if it has any. */
  params: (HandleWalk | undefined)[];
  /** The walk over the result's handles (after `{ tag, val }` shaping), if it has any. */
  result?: HandleWalk;
}

/** The typed surface of a component: its exports (for lookup and validation) and imports. */
export class ComponentSignatures {
  readonly exports: ResolvedFunction[];
  readonly imports: ImportedInterface[];
  #bound = new Map<string, BoundExport>();

  constructor(wit: string, bytes: Uint8Array) {
    try {
      const doc = addInterfacesFromBinary(parseWit(wit), bytes);
      this.exports = resolveWorldExports(doc);
      this.imports = resolveWorldImports(doc);
    } catch (err) {
      throw new InvalidComponentError(`cannot resolve the component's WIT: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Finds an export by any accepted spelling (see `findExport`); throws UNKNOWN_EXPORT. */
  bind(name: string): BoundExport {
    let bound = this.#bound.get(name);
    if (!bound) {
      const signature = findExport(this.exports, name);
      const handles = this.#handlesOf(signature);
      bound = {
        signature,
        ...(handles ? { handles } : {}),
        // A package interface by its full id (jco keys both `test` and `test:dep/test@0.2.0`, and
        // the short key belongs to the first of several versions); an inline one by its jco name.
        holderKey: signature.interfaceId === undefined ? undefined
          : signature.interfaceId.includes(':') ? signature.interfaceId : signature.interfaceJsName ?? signature.interfaceId,
        validate: compileValidator(signature),
        returnsResult: signature.result?.kind === 'result',
      };
      this.#bound.set(name, bound);
    }
    return bound;
  }

  /** The canonical names of every callable export (resource constructors, methods and statics included). */
  exportNames(): string[] {
    return this.exports.map((f) => f.qualifiedName);
  }

  /**
   * A resource in an exported interface's signature is the component's own (a handle object)
   * when an exported interface defines it; world-level functions only see imported resources.
   */
  #handlesOf(f: ResolvedFunction): BoundHandles | undefined {
    if (f.interfaceId === undefined) return undefined;
    const exported = this.#exportedInterfaces ??= new Set(this.exports.flatMap((x) => (x.interfaceId === undefined ? [] : [x.interfaceId])));
    const guest = (r: ResolvedType): string | undefined =>
      (r.kind === 'resource' && exported.has(r.origin.scope) ? `${r.origin.scope}#${r.origin.name}` : undefined);
    const own = (): ResolvedType => ({ kind: 'own', resource: { kind: 'resource', origin: { scope: f.interfaceId!, name: f.resource! } } });
    const result = f.result ?? (f.kind === 'constructor' ? own() : undefined);
    const params = f.params.map((p) => handleWalk(p.type, guest));
    const resultWalk = result && handleWalk(result, guest);
    const self = f.kind === 'method' ? `${f.interfaceId}#${f.resource}` : undefined;
    if (!self && !resultWalk && !params.some(Boolean)) return undefined;
    return { ...(self ? { self } : {}), params, ...(resultWalk ? { result: resultWalk } : {}) };
  }

  #exportedInterfaces: Set<string> | undefined;

  /** The imported interface the glue reads from `imports[key]` (see `ImportedInterface.jsKey`). */
  importByKey(key: string): ImportedInterface | undefined {
    return this.imports.find((i) => i.jsKey === key);
  }

  /**
   * Checks that the app's host imports (normalised: `normaliseHostImports`) implement every
   * function and resource class the component imports from the interfaces they provide.
   * @throws MissingImportError naming `interface#function` and the shape that works.
   */
  checkHostImports(hostImports: Record<string, Record<string, unknown>>): void {
    for (const iface of this.imports) {
      const members = hostImports[iface.jsKey];
      if (members === undefined) continue;
      for (const f of iface.functions) {
        if (iface.isFunction) {
          if (typeof members.default !== 'function') throw new MissingImportError(iface.id, this.importHint(iface.jsKey));
          continue;
        }
        const holder = f.kind === 'freestanding' ? members : (members[f.resourceJsName ?? ''] as Record<string, unknown> | undefined);
        if (f.kind === 'freestanding' && typeof holder?.[f.jsName] !== 'function') {
          throw new MissingImportError(`${iface.id}#${f.witName}`, `provide imports['${iface.jsKey}'].${f.jsName}`);
        }
        if (f.kind !== 'freestanding' && typeof holder !== 'function') {
          throw new MissingImportError(`${iface.id}#${f.resource}`, `provide the resource class imports['${iface.jsKey}'].${f.resourceJsName}`);
        }
      }
    }
  }

  /** How to provide the import read from `imports[key]`, for MISSING_IMPORT messages. */
  importHint(key: string): string {
    const iface = this.importByKey(key);
    if (iface?.isFunction) return `provide imports['${key}'] as a function (or { default: fn })`;
    return `provide imports['${key}'], an object of its functions and resource classes`;
  }

  /** True when a host import's WIT result is `result<_, _>`: there a throw is the `err` value. */
  importReturnsResult(key: string, jsName: string): boolean {
    const iface = this.importByKey(key);
    if (iface?.isFunction) return jsName === 'default' && iface.functions[0]?.result?.kind === 'result';
    return iface?.functions.some((f) => f.jsName === jsName && f.result?.kind === 'result') ?? false;
  }
}
