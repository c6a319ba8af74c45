/** Component-model value types after index resolution: a plain tree the bindings compile. */
import type { PrimName } from './parse.js';

export type ValType =
  | { kind: PrimName }
  | { kind: 'list'; elem: ValType }
  | { kind: 'record'; fields: { name: string; type: ValType }[] }
  | { kind: 'tuple'; types: ValType[] }
  | { kind: 'variant'; cases: { name: string; type?: ValType }[] }
  | { kind: 'enum'; names: string[] }
  | { kind: 'flags'; names: string[] }
  | { kind: 'option'; type: ValType }
  | { kind: 'result'; ok?: ValType; err?: ValType }
  | { kind: 'own' | 'borrow'; resource: ResourceType };

/**
 * A resource type. Imported ones get `index` (into `Plan.resources`) when their interface is
 * imported; resources the component defines itself get `defined` (into `Plan.definedResources`).
 */
export interface ResourceType {
  /** The WIT name, e.g. `tensor`. */
  name: string;
  index?: number;
  defined?: number;
}

/** A component function signature. */
export interface FuncType {
  params: { name: string; type: ValType }[];
  result?: ValType;
}

/** jco's name mangling: kebab-case WIT names become lowerCamelCase JS names. */
export function camelCase(name: string): string {
  const parts = name.split('-');
  let out = parts[0]!.toLowerCase();
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    out += p.length ? p[0]!.toUpperCase() + p.slice(1).toLowerCase() : '';
  }
  return out;
}

/** jco's class name for a resource: `graph-execution-context` → `GraphExecutionContext`. */
export function className(name: string): string {
  const c = camelCase(name);
  return c ? c[0]!.toUpperCase() + c.slice(1) : c;
}
