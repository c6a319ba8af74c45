import { addInterfacesFromBinary, compileValidator, findExport, parseWit, resolveWorldExports, resolveWorldImports, type ArgsValidator, type ImportedInterface, type ResolvedFunction } from '../component/wit/index.js';
import { InvalidComponentError, MissingImportError } from '../errors.js';

/** An export resolved once per function: where jco put it, how to check its arguments, how to shape its result. */
export interface BoundExport {
  signature: ResolvedFunction;
  /** Key of the interface object in jco's exports (undefined for world-level functions). */
  holderKey: string | undefined;
  validate: ArgsValidator;
  /** jco unwraps `result<T, E>` (returns T, throws E); we hand callers `{ tag, val }` instead. */
  returnsResult: boolean;
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
      bound = {
        signature,
        holderKey: signature.interfaceId === undefined ? undefined : signature.interfaceJsName ?? signature.interfaceId,
        validate: compileValidator(signature),
        returnsResult: signature.result?.kind === 'result',
      };
      this.#bound.set(name, bound);
    }
    return bound;
  }

  /** The canonical names of every callable export. */
  exportNames(): string[] {
    return this.exports.filter((f) => f.kind === 'freestanding').map((f) => f.qualifiedName);
  }

  /** The imported interface with this jco key (interface id without `@version`). */
  importByKey(key: string): ImportedInterface | undefined {
    return this.imports.find((i) => stripVersion(i.id) === key);
  }

  /**
   * Checks that the app's host imports implement every function the component imports from them.
   * @throws MissingImportError naming `interface#function`.
   */
  checkHostImports(hostImports: Record<string, Record<string, unknown>>): void {
    for (const [key, members] of Object.entries(hostImports)) {
      const iface = this.importByKey(key);
      if (!iface) continue;
      for (const f of iface.functions) {
        const holder = f.kind === 'freestanding' ? members : (members[f.resourceJsName ?? ''] as Record<string, unknown> | undefined);
        if (f.kind === 'freestanding' && typeof holder?.[f.jsName] !== 'function') {
          throw new MissingImportError(`${key}#${f.witName}`, `provide imports['${key}'].${f.jsName}`);
        }
        if (f.kind !== 'freestanding' && typeof holder !== 'function') {
          throw new MissingImportError(`${key}#${f.resource}`, `provide the resource class imports['${key}'].${f.resourceJsName}`);
        }
      }
    }
  }

  /** True when a host import's WIT result is `result<_, _>`: there a throw is the `err` value. */
  importReturnsResult(key: string, jsName: string): boolean {
    return this.importByKey(key)?.functions.some((f) => f.jsName === jsName && f.result?.kind === 'result') ?? false;
  }
}

function stripVersion(id: string): string {
  const at = id.indexOf('@', id.lastIndexOf('/'));
  return at < 0 ? id : id.slice(0, at);
}
