// Turns a core module plus its WIT world into a component with jco's in-process wasm-tools, and
// maps AssemblyScript export names (`fib_rec`) to the names the component model expects (`fib-rec`).
import { coreExports, renameCoreExports } from './core-exports.mjs';

let jcoPromise;
/** jco's API, loaded on first use (it compiles its own wasm, ~1 s), so a no-op build stays fast. */
export function jco() {
  jcoPromise ??= import('@bytecodealliance/jco');
  return jcoPromise;
}

/** Core names that keep their spelling. */
const FIXED_NAMES = new Set(['memory', 'cabi_realloc', '_initialize']);

/** `fib-rec` → `fib_rec`, `sfirt:x/y@1.0.0#do-it` → `sfirt_x_y_1_0_0_do_it`: what AS can spell. */
export function asIdentifier(name) {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Interface ids the world exports, with their full versions (`wasi:http/incoming-handler@0.2.0`),
 * read back from a component made of the dummy module: the `cm32p2` mangling shortens versions
 * (`@0.2`), but the legacy core names must spell them in full.
 */
async function exportedInterfaces(dummy) {
  const { componentNew, componentWit } = await jco();
  const wit = await componentWit(await componentNew(dummy));
  const ids = [];
  for (const [, id] of wit.matchAll(/^\s*export\s+([\w-]+:[\w-]+\/[\w-]+(?:@[\w.+-]+)?)\s*;/gm)) ids.push(id);
  return ids;
}

/** The full interface id for a `cm32p2` one: same path, and a version the short one is a prefix of. */
function fullInterfaceId(short, fullIds) {
  const [path, version] = short.split('@');
  const match = fullIds.find((id) => {
    const [fullPath, fullVersion] = id.split('@');
    if (fullPath !== path) return false;
    return version === undefined ? fullVersion === undefined : fullVersion === version || fullVersion?.startsWith(`${version}.`);
  });
  return match ?? short;
}

/**
 * The core export names the world expects, derived from jco's dummy module for the world (so
 * interface exports and versions are handled exactly as wasm-tools spells them). Translates the
 * `cm32p2` mangling into the legacy names: `greet`, `cabi_post_greet`, `iface@1.2.3#func`.
 */
async function expectedCoreExports(witSource, world) {
  const { componentEmbed } = await jco();
  const dummy = await componentEmbed({ dummy: true, witSource, world });
  let fullIds = null;
  const names = [];
  for (const { name, kind } of coreExports(dummy)) {
    if (kind !== 'func') continue;
    const mangled = /^cm32p2\|([^|]*)\|(.*?)(_post)?$/.exec(name);
    if (!mangled) {
      if (!name.startsWith('cm32p2_')) names.push(name); // memory/realloc/initialize: FIXED_NAMES
      continue;
    }
    const [, iface, func, post] = mangled;
    let legacy = func;
    if (iface) {
      fullIds ??= await exportedInterfaces(dummy);
      legacy = `${fullInterfaceId(iface, fullIds)}#${func}`;
    }
    names.push(post ? `cabi_post_${legacy}` : legacy);
  }
  return names;
}

/**
 * The AS spellings that map to a core export name: every non-alphanumeric character as `_`, and
 * for interface functions also without the version (`wasi_http_incoming_handler_handle`).
 */
function asSpellings(name) {
  const versionless = name.replace(/@[^#]*#/, '#');
  return [...new Set([asIdentifier(name), asIdentifier(versionless)])];
}

/**
 * Renames the AS module's exports to the world's names. Fails when an export matches nothing in
 * the world, which is nearly always a typo that wasm-tools would report far less clearly.
 */
async function renameToWorld(core, witSource, world) {
  const byIdentifier = new Map();
  const ambiguous = new Set();
  for (const name of await expectedCoreExports(witSource, world)) {
    for (const spelling of asSpellings(name)) {
      if (byIdentifier.has(spelling) && byIdentifier.get(spelling) !== name) ambiguous.add(spelling);
      byIdentifier.set(spelling, name);
    }
  }
  for (const spelling of ambiguous) byIdentifier.delete(spelling);
  const unknown = [];
  const renamed = renameCoreExports(core, (name) => {
    if (FIXED_NAMES.has(name)) return name;
    // A trailing `_` lets a guest export a name AS reserves (`unreachable_` → `unreachable`).
    const target = byIdentifier.get(name) ?? (name.endsWith('_') ? byIdentifier.get(name.slice(0, -1)) : undefined);
    if (!target) unknown.push(name);
    return target ?? name;
  });
  if (unknown.length) {
    const expected = [...byIdentifier.keys()].join(', ');
    throw new Error(`exports ${unknown.join(', ')} match nothing in world '${world}' (expected AS names: ${expected})`);
  }
  return renamed;
}

/** Core module + WIT text + world name → component bytes. */
export async function componentFromCore(core, witSource, world) {
  const { componentEmbed, componentNew } = await jco();
  const binary = await renameToWorld(core, witSource, world);
  const embedded = await componentEmbed({ binary, witSource, world });
  return componentNew(embedded);
}

/** Component WAT → component bytes (for guests that must be exact). */
export async function componentFromWat(wat) {
  const { parse } = await jco();
  const bytes = await parse(wat);
  if (!isComponent(bytes)) throw new Error('the WAT is not a component (did you write a core module?)');
  return bytes;
}

/** True for the component binary preamble: \0asm, version 0x0d, layer 1. */
export function isComponent(bytes) {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d && bytes[6] === 1 && bytes[7] === 0;
}
