/**
 * Core module + WIT world → component, with jco's in-process wasm-tools (`componentEmbed` +
 * `componentNew`). Maps AssemblyScript export names (`fib_rec`) to the names the component model
 * expects (`fib-rec`), and lists the post-return functions the world calls for (with their core
 * types), so a build can supply the ones a guest leaves out.
 */
import { wasmTools } from '../component/jco.js';
import { coreExports, coreFunctionTypes, renameCoreExports, type CoreFuncType } from './core-module.js';

/** Core names that keep their spelling. */
const FIXED_NAMES = new Set(['memory', 'cabi_realloc', '_initialize']);

/** `fib-rec` → `fib_rec`, `sfirt:x/y@1.0.0#do-it` → `sfirt_x_y_1_0_0_do_it`: what AS can spell. */
export function asIdentifier(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** A core function the world expects the module to export. */
export interface ExpectedExport {
  /** Legacy core name: `greet`, `cabi_post_greet`, `ns:pkg/iface@1.0.0#func`. */
  name: string;
  /** For `cabi_post_*`: its core type (the export's results as parameters, no results). */
  postReturn?: CoreFuncType;
}

/**
 * Interface ids the world exports, with their full versions (`wasi:http/incoming-handler@0.2.0`),
 * read back from a component made of the dummy module: the `cm32p2` mangling shortens versions
 * (`@0.2`), but the legacy core names must spell them in full.
 */
async function exportedInterfaces(dummy: Uint8Array): Promise<string[]> {
  const { componentNew, componentWit } = await wasmTools();
  const wit = await componentWit(await componentNew(dummy));
  return [...wit.matchAll(/^\s*export\s+([\w-]+:[\w-]+\/[\w-]+(?:@[\w.+-]+)?)\s*;/gm)].map((m) => m[1]!);
}

/** The full interface id for a `cm32p2` one: same path, and a version the short one is a prefix of. */
function fullInterfaceId(short: string, fullIds: string[]): string {
  const [path, version] = short.split('@');
  const match = fullIds.find((id) => {
    const [fullPath, fullVersion] = id.split('@');
    if (fullPath !== path) return false;
    return version === undefined ? fullVersion === undefined : fullVersion === version || fullVersion?.startsWith(`${version}.`);
  });
  return match ?? short;
}

/**
 * The core exports the world expects, derived from wasm-tools' dummy module for the world (so
 * interface exports and versions are handled exactly as wasm-tools spells them). Translates the
 * `cm32p2` mangling into the legacy names: `greet`, `cabi_post_greet`, `iface@1.2.3#func`.
 */
export async function expectedCoreExports(witSource: string, world: string): Promise<ExpectedExport[]> {
  const { componentEmbed } = await wasmTools();
  const dummy = await componentEmbed({ dummy: true, witSource, world });
  const types = coreFunctionTypes(dummy);
  let fullIds: string[] | null = null;
  const out: ExpectedExport[] = [];
  for (const { name, kind, index } of coreExports(dummy)) {
    if (kind !== 'func') continue;
    const mangled = /^cm32p2\|([^|]*)\|(.*?)(_post)?$/.exec(name);
    if (!mangled) {
      if (!name.startsWith('cm32p2_')) out.push({ name }); // memory/realloc/initialize: FIXED_NAMES
      continue;
    }
    const [, iface, func, post] = mangled;
    let legacy = func!;
    if (iface) {
      fullIds ??= await exportedInterfaces(dummy);
      legacy = `${fullInterfaceId(iface, fullIds)}#${func}`;
    }
    out.push(post ? { name: `cabi_post_${legacy}`, postReturn: types[index] } : { name: legacy });
  }
  return out;
}

/**
 * The AS spellings that map to a core export name: every non-alphanumeric character as `_`, and
 * for interface functions also without the version (`wasi_http_incoming_handler_handle`).
 */
export function asSpellings(name: string): string[] {
  const versionless = name.replace(/@[^#]*#/, '#');
  return [...new Set([asIdentifier(name), asIdentifier(versionless)])];
}

/**
 * Renames the AS module's exports to the world's names. Fails when an export matches nothing in
 * the world, which is nearly always a typo that wasm-tools would report far less clearly.
 */
export function renameToWorld(core: Uint8Array, expected: ExpectedExport[], world: string): Uint8Array {
  const byIdentifier = new Map<string, string>();
  const ambiguous = new Set<string>();
  for (const { name } of expected) {
    for (const spelling of asSpellings(name)) {
      if (byIdentifier.has(spelling) && byIdentifier.get(spelling) !== name) ambiguous.add(spelling);
      byIdentifier.set(spelling, name);
    }
  }
  for (const spelling of ambiguous) byIdentifier.delete(spelling);
  const unknown: string[] = [];
  const renamed = renameCoreExports(core, (name) => {
    if (FIXED_NAMES.has(name)) return name;
    // A trailing `_` lets a guest export a name AS reserves (`unreachable_` → `unreachable`).
    const target = byIdentifier.get(name) ?? (name.endsWith('_') ? byIdentifier.get(name.slice(0, -1)) : undefined);
    if (!target) unknown.push(name);
    return target ?? name;
  });
  if (unknown.length) {
    const names = [...byIdentifier.keys()].join(', ');
    throw new Error(`exports ${unknown.join(', ')} match nothing in world '${world}' (expected AS names: ${names})`);
  }
  return renamed;
}

/** Core module + WIT text + world name → component bytes. */
export async function componentFromCore(core: Uint8Array, witSource: string, world: string, expected?: ExpectedExport[]): Promise<Uint8Array> {
  const { componentEmbed, componentNew } = await wasmTools();
  const binary = renameToWorld(core, expected ?? (await expectedCoreExports(witSource, world)), world);
  const embedded = await componentEmbed({ binary, witSource, world });
  return componentNew(embedded);
}

/** Component WAT → component bytes (for guests that must be exact). */
export async function componentFromWat(wat: string): Promise<Uint8Array> {
  const { parse } = await wasmTools();
  const bytes = await parse(wat);
  if (!isComponent(bytes)) throw new Error('the WAT is not a component (did you write a core module?)');
  return bytes;
}

/** True for the component binary preamble: \0asm, version 0x0d, layer 1. */
export function isComponent(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d && bytes[6] === 1 && bytes[7] === 0;
}
