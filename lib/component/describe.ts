/**
 * What a component needs and offers, read from its bytes without loading it (so it works for a
 * component whose imports nobody provides yet): its world as WIT, the exports `call()` accepts
 * with their signatures, the imports grouped by who provides them, and which bindings it would
 * run on. Used by `sfirt inspect` and `sfirt types`.
 */
import { InvalidComponentError } from '../errors.js';
import { assertComponentHeader } from './source.js';
import { planComponent } from './fast/index.js';
import { wasmTools } from './jco.js';
import {
  addInterfacesFromBinary, parseWit, resolveWorldExports, resolveWorldImports, typeToString,
  type ResolvedFunction, type ResolvedType,
} from './wit/index.js';

/** Who satisfies an import: sfirt's WASI host, its `wasi:nn` or `wasi:http` host, or the app. */
export type ImportProvider = 'wasi' | 'wasi:nn' | 'wasi:http' | 'app';

/** A function with its WIT signature. */
export interface DescribedFunction {
  /** The name `call()` takes (`greet`, `ns:pkg/iface@1.0.0#fn`); for imports the WIT name. */
  name: string;
  /** `func(name: string) -> string`. */
  signature: string;
  /** jco's JavaScript name (an import's host implementation goes under it). */
  jsName: string;
  /** The resolved function, for tools that need the types. */
  resolved: ResolvedFunction;
}

/** An imported interface (or world-level function). */
export interface DescribedImport {
  /** Interface id (`sfirt:kv/store`), or a world-level function's name. */
  id: string;
  /** The key the `imports` option takes (the id without `@version`). */
  key: string;
  provider: ImportProvider;
  functions: DescribedFunction[];
  resources: string[];
}

/** Everything `describeComponent` finds. */
export interface ComponentDescription {
  /** The component's world as WIT text (jco's `componentWit`). */
  wit: string;
  exports: DescribedFunction[];
  imports: DescribedImport[];
  /** Named types used by the signatures, as WIT definitions (`record point { x: s32, y: s32 }`). */
  types: string[];
  /** The bindings `glue: 'auto'` picks, and why not `fast` when it does not. */
  glue: { kind: 'fast' | 'jco'; reason?: string };
}

const WASI_PACKAGES = ['wasi:cli/', 'wasi:io/', 'wasi:clocks/', 'wasi:random/', 'wasi:filesystem/', 'wasi:sockets/'];

/** Who provides an import (interface id or key). */
export function importProvider(id: string): ImportProvider {
  if (WASI_PACKAGES.some((p) => id.startsWith(p))) return 'wasi';
  if (id.startsWith('wasi:nn/')) return 'wasi:nn';
  if (id.startsWith('wasi:http/')) return 'wasi:http';
  return 'app';
}

/**
 * Describes a component from its bytes.
 *
 * @throws NotAComponentError for bytes that are not a component; InvalidComponentError when it
 *   does not parse.
 */
export async function describeComponent(bytes: Uint8Array, label = 'component'): Promise<ComponentDescription> {
  assertComponentHeader(bytes, label);
  const { componentWit } = await wasmTools();
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (err) {
    throw new InvalidComponentError(`${label} is not a valid component: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
  const doc = addInterfacesFromBinary(parseWit(wit), bytes);
  const named = new Map<string, string>();
  const describe = (f: ResolvedFunction, name: string): DescribedFunction => ({
    name, jsName: f.jsName, resolved: f, signature: signatureOf(f, named),
  });
  const exports = resolveWorldExports(doc).map((f) => describe(f, f.qualifiedName));
  const imports = resolveWorldImports(doc).map((i) => ({
    id: i.id,
    key: i.jsKey,
    provider: importProvider(i.id),
    resources: i.resources,
    functions: i.functions.map((f) => describe(f, f.qualifiedName.split('#').pop()!)),
  }));
  const plan = planComponent(bytes);
  const glue = 'unsupported' in plan ? { kind: 'jco' as const, reason: plan.unsupported } : { kind: 'fast' as const };
  return { wit, exports, imports, types: [...named.values()], glue };
}

/** `func(a: u32, b: string) -> result<point, string>`; records the named types it meets. */
function signatureOf(f: ResolvedFunction, named: Map<string, string>): string {
  const params = f.params.map((p) => `${p.name}: ${typeText(p.type, named)}`).join(', ');
  return `func(${params})${f.result ? ` -> ${typeText(f.result, named)}` : ''}`;
}

/** A type in WIT syntax; named definitions go to `named` once, in full. */
function typeText(t: ResolvedType, named: Map<string, string>): string {
  if ('origin' in t && t.origin && t.origin.name && !named.has(t.origin.name)) {
    named.set(t.origin.name, ''); // reserve first: recursive references print as the name
    named.set(t.origin.name, definition(t, named));
  }
  switch (t.kind) {
    case 'list': return t.length === undefined ? `list<${typeText(t.element, named)}>` : `list<${typeText(t.element, named)}, ${t.length}>`;
    case 'option': return `option<${typeText(t.some, named)}>`;
    case 'result': return `result<${t.ok ? typeText(t.ok, named) : '_'}, ${t.err ? typeText(t.err, named) : '_'}>`;
    case 'tuple': return `tuple<${t.elements.map((e) => typeText(e, named)).join(', ')}>`;
    case 'own': return typeText(t.resource, named);
    case 'borrow': return `borrow<${typeText(t.resource, named)}>`;
    default: return typeToString(t);
  }
}

function definition(t: ResolvedType, named: Map<string, string>): string {
  const name = 'origin' in t && t.origin ? t.origin.name : '';
  switch (t.kind) {
    case 'record': return `record ${name} { ${t.fields.map((f) => `${f.name}: ${typeText(f.type, named)}`).join(', ')} }`;
    case 'variant': return `variant ${name} { ${t.cases.map((c) => (c.type ? `${c.name}(${typeText(c.type, named)})` : c.name)).join(', ')} }`;
    case 'enum': return `enum ${name} { ${t.cases.join(', ')} }`;
    case 'flags': return `flags ${name} { ${t.flags.join(', ')} }`;
    case 'resource': return `resource ${name}`;
    default: return `type ${name}`;
  }
}
