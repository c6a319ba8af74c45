import { InvalidArgumentError, UnknownExportError } from '../../errors.js';
import type { ResolvedFunction } from './types.js';

/**
 * How a caller names an export:
 *
 * - `'greet'` / `'fooBar'` / `'foo-bar'`: a world-level function, by WIT or jco (camelCase) name.
 *   If the world has no such function, a free function of that name in an exported interface,
 *   when exactly one interface has it (so `'add'` finds `add` in `docs:adder/add@0.1.0`).
 * - `'docs:adder/add@0.1.0#add'`: interface + `#` + function, the component model's own spelling.
 *   The interface may be its full id, its id without `@version`, or jco's short key (`add`,
 *   `exports`); the function its WIT name, its jco name, or for resources the canonical
 *   `[constructor]r`, `[method]r.name`, `[static]r.name`.
 * - `['docs:adder/add@0.1.0', 'add']`: the same two parts as a pair.
 */
export type ExportSpec = string | readonly [iface: string, func: string];

/**
 * Finds the function `spec` names among `fns` (from `resolveWorldExports`).
 *
 * @throws UnknownExportError when nothing matches (the message lists the canonical names);
 *   InvalidArgumentError when a bare name matches functions in several interfaces.
 */
export function findExport(fns: readonly ResolvedFunction[], spec: ExportSpec): ResolvedFunction {
  const display = typeof spec === 'string' ? spec : `${spec[0]}#${spec[1]}`;
  let iface: string | undefined;
  let func: string;
  if (typeof spec === 'string') {
    const hash = spec.lastIndexOf('#');
    if (hash >= 0) { iface = spec.slice(0, hash); func = spec.slice(hash + 1); } else func = spec;
  } else if (Array.isArray(spec) && spec.length === 2 && typeof spec[0] === 'string' && typeof spec[1] === 'string') {
    [iface, func] = spec;
  } else {
    throw new InvalidArgumentError('export name must be a string or a [interface, function] pair of strings');
  }

  if (iface === undefined) {
    const world = fns.find((f) => f.interfaceId === undefined && nameMatches(f, func));
    if (world) return world;
    const free = fns.filter((f) => f.interfaceId !== undefined && f.kind === 'freestanding' && nameMatches(f, func));
    if (free.length === 1) return free[0]!;
    if (free.length > 1) {
      throw new InvalidArgumentError(
        `export name \`${display}\` is ambiguous; use one of ${free.map((f) => `\`${f.qualifiedName}\``).join(', ')}`,
      );
    }
  } else {
    const inIface = fns.filter((f) => f.interfaceId !== undefined && interfaceMatches(f, iface!));
    const hit = inIface.find((f) => f.qualifiedName.endsWith(`#${func}`)) ?? inIface.find((f) => f.kind === 'freestanding' && nameMatches(f, func));
    if (hit) return hit;
  }
  throw new UnknownExportError(display, fns.map((f) => f.qualifiedName));
}

function nameMatches(f: ResolvedFunction, name: string): boolean {
  return f.witName === name || f.jsName === name;
}

function interfaceMatches(f: ResolvedFunction, iface: string): boolean {
  const id = f.interfaceId!;
  if (id === iface || f.interfaceJsName === iface) return true;
  const at = id.indexOf('@');
  return at >= 0 && id.slice(0, at) === iface;
}
