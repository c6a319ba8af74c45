import { UnknownExportError } from '../errors.js';

/** kebab-case WIT name → the lowerCamelCase name jco gives it in JS. */
export function jsName(witName: string): string {
  return witName.replace(/^%/, '').replace(/-([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/**
 * How a caller names an export: a world-level function (`'greet'` or `'test-imports'`), or a
 * function of an exported interface as `'<interface>#<function>'`, where the interface is its
 * full id (`'docs:adder/add@0.1.0#add'`) or jco's short name (`'add#add'`).
 */
export interface ExportPath {
  /** Key of the exported interface object in jco's exports, or undefined for world-level functions. */
  iface: string | undefined;
  /** jco's JS name of the function. */
  fn: string;
}

export function parseExportName(name: string): ExportPath {
  const hash = name.lastIndexOf('#');
  if (hash < 0) return { iface: undefined, fn: jsName(name) };
  return { iface: name.slice(0, hash), fn: jsName(name.slice(hash + 1)) };
}

/** Every callable export name of a component, as users write them. */
export function listExportNames(exports: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const [key, value] of Object.entries(exports)) {
    if (typeof value === 'function') names.push(key);
    else if (value && typeof value === 'object' && key.includes(':')) {
      for (const [fn, f] of Object.entries(value)) if (typeof f === 'function') names.push(`${key}#${fn}`);
    }
  }
  return names;
}

/** Finds the function to call on an instance's exports, or throws `UnknownExportError`. */
export function lookupExport(exports: Record<string, unknown>, name: string): (...args: unknown[]) => unknown {
  const { iface, fn } = parseExportName(name);
  const holder = iface === undefined ? exports : exports[iface];
  const f = holder && typeof holder === 'object' ? (holder as Record<string, unknown>)[fn] : undefined;
  if (typeof f !== 'function') throw new UnknownExportError(name, listExportNames(exports));
  return f as (...args: unknown[]) => unknown;
}
