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
 * The core export names the world expects, derived from jco's dummy module for the world (so
 * interface exports and versions are handled exactly as wasm-tools spells them). Translates the
 * `cm32p2` mangling into the legacy names: `greet`, `cabi_post_greet`, `iface#func`.
 */
async function expectedCoreExports(witSource, world) {
  const { componentEmbed } = await jco();
  const dummy = await componentEmbed({ dummy: true, witSource, world });
  const names = [];
  for (const { name, kind } of coreExports(dummy)) {
    if (kind !== 'func') continue;
    const mangled = /^cm32p2\|([^|]*)\|(.*?)(_post)?$/.exec(name);
    if (!mangled) {
      names.push(name);
      continue;
    }
    const [, iface, func, post] = mangled;
    const legacy = iface ? `${iface}#${func}` : func;
    names.push(post ? `cabi_post_${legacy}` : legacy);
  }
  return names;
}

/**
 * Renames the AS module's exports to the world's names. Fails when an export matches nothing in
 * the world, which is nearly always a typo that wasm-tools would report far less clearly.
 */
async function renameToWorld(core, witSource, world) {
  const byIdentifier = new Map();
  for (const name of await expectedCoreExports(witSource, world)) byIdentifier.set(asIdentifier(name), name);
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
