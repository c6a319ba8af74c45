import { InvalidArgumentError, UnknownExportError } from '../../errors.js';
import type { ResolvedFunction } from './types.js';

/**
 * How a caller names an export:
 *
 * - `'greet'` / `'fooBar'` / `'foo-bar'`: a world-level function, by WIT or jco (camelCase) name.
 *   If the world has no such function, a free function of that name in an exported interface,
 *   when exactly one interface has it (so `'add'` finds `add` in `docs:adder/add@0.1.0`).
 * - `'docs:adder/add@0.1.0#add'`: interface + `#` + function, the component model's own spelling.
 *   The interface may be its full id, its id without `@version`, its WIT name (`wall-clock`) or
 *   jco's short key (`wallClock`, `exports`); the function its WIT name, its jco name, or for
 *   resources the canonical `[constructor]r`, `[method]r.name`, `[static]r.name`.
 * - `['docs:adder/add@0.1.0', 'add']`: the same two parts as a pair.
 */
export type ExportSpec = string | readonly [iface: string, func: string];

/**
 * Finds the function `spec` names among `fns` (from `resolveWorldExports`).
 *
 * Linear in the number of functions: resolve each name once and keep the result.
 *
 * @throws UnknownExportError when nothing matches (the message lists the canonical names);
 *   InvalidArgumentError when `spec` is malformed or matches functions in several interfaces.
 */
export function findExport(fns: readonly ResolvedFunction[], spec: ExportSpec): ResolvedFunction {
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
  const display = iface === undefined ? func : `${iface}#${func}`;

  let hits: ResolvedFunction[];
  if (iface === undefined) {
    const world = fns.find((f) => f.interfaceId === undefined && nameMatches(f, func));
    if (world) return world;
    hits = fns.filter((f) => f.interfaceId !== undefined && f.kind === 'freestanding' && nameMatches(f, func));
  } else {
    const inIface = fns.filter((f) => f.interfaceId !== undefined && interfaceMatches(f, iface!));
    const canonical = inIface.filter((f) => f.qualifiedName.endsWith(`#${func}`));
    hits = canonical.length > 0 ? canonical : inIface.filter((f) => f.kind === 'freestanding' && nameMatches(f, func));
  }
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) {
    throw new InvalidArgumentError(
      `export name \`${display}\` is ambiguous; use one of ${hits.map((f) => `\`${f.qualifiedName}\``).join(', ')}`,
    );
  }
  throw new UnknownExportError(display, fns.map((f) => f.qualifiedName));
}

function nameMatches(f: ResolvedFunction, name: string): boolean {
  return f.witName === name || f.jsName === name;
}

function interfaceMatches(f: ResolvedFunction, iface: string): boolean {
  const id = f.interfaceId!;
  if (id === iface || f.interfaceJsName === iface) return true;
  const slash = id.indexOf('/');
  const at = id.indexOf('@', slash);
  const unversioned = at < 0 ? id : id.slice(0, at);
  // Full id without version, or the interface's WIT name (`wall-clock`) for package interfaces.
  return unversioned === iface || (slash >= 0 && unversioned.slice(slash + 1) === iface);
}
