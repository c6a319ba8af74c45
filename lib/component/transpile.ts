import { InvalidComponentError } from '../errors.js';
import '../limits/lift.js'; // the checked reads patched glue calls (`meterLifts`), on globalThis
import { jcoTranspileVersion, transpiler, wasmTools } from './jco.js';
import { sha256, type Stamp } from './manifest.js';
import { componentImportNames, versionedImportMap } from './wit/import-keys.js';
import { jcoCoreModuleName, planComponent } from './fast/index.js';
import { parseComponent, usesStringEncoding } from './fast/parse.js';

/** What we keep of jco's `transpile` for one component, as stored in the on-disk cache. */
export interface TranspiledComponent {
  /** The patched `instantiate(getCoreModule, imports, instantiateCore)` glue, ESM. */
  glue: string;
  /** Core module file name → bytes (uninstrumented). */
  coreModules: Record<string, Uint8Array>;
  /** Import specifiers as jco keys them in the import object, e.g. `wasi:cli/stdout`. */
  imports: string[];
  /** Export names and kinds as jco reports them. */
  exports: [string, string][];
  /** The component's world as WIT text (jco `componentWit`). */
  wit: string;
  /** Set (to the reason) when jco could not transpile it: `glue` is empty, only our glue runs it. */
  noJcoGlue?: string;
}

/**
 * Bumped whenever the glue patches, the glue's stored form or the cache layout change, so entries
 * built by older code are never used (it is part of every entry's stamp, hence of its key).
 */
const ARTIFACT_FORMAT = 4;
/** Node 20 has no JSPI; the glue is patched differently when it does. */
const HAS_JSPI = typeof (WebAssembly as unknown as { promising?: unknown }).promising === 'function';

/** The installed jco version (part of every cache key: its glue changes between versions). */
export function jcoVersion(): string {
  return `transpile-${jcoTranspileVersion()}`;
}

/**
 * What a component's cached artifact depends on, and its cache key. The stamp records every input
 * that shapes the stored artifact: the component's SHA-256, the jco version (its glue changes
 * between versions), our artifact format (glue patches, stored form) and whether this Node has
 * JSPI (the glue is patched differently). An entry is used only when its stamp matches exactly.
 * Core modules are stored as jco emits them: the limits rewrite runs on every load, so limit
 * options are not part of it.
 */
export function artifactIdentity(bytes: Uint8Array): { key: string; stamp: Stamp } {
  const stamp = { format: ARTIFACT_FORMAT, jco: jcoVersion(), jspi: HAS_JSPI, component: sha256(bytes) };
  return { key: sha256(JSON.stringify(stamp)).slice(0, 32), stamp };
}

/**
 * Runs jco in-process. Loaded lazily: importing jco costs ~100 ms, and a cache hit never needs it.
 * A component jco cannot transpile but our own glue runs (`latin1+utf16` strings: jco's bindgen
 * panics on them, and a panic leaves its wasm instance unusable for the rest of the process) gets
 * an artifact without jco glue (`glue: ''`): core modules from our decoder, WIT from jco's printer.
 */
export async function transpileComponent(bytes: Uint8Array, label: string): Promise<TranspiledComponent> {
  const [{ transpileBytes }, { componentWit }] = await Promise.all([transpiler(), wasmTools()]);
  const own = ownArtifactReason(bytes);
  if (own) return ownArtifact(bytes, label, own, componentWit);
  let out: Awaited<ReturnType<typeof transpileBytes>>;
  let wit: string;
  try {
    // As the jco CLI calls it: a `result` export's `err` is thrown as jco's `ComponentError`.
    // Two versions of one interface keep their versions as import keys (wit/import-keys.ts).
    const map = versionedImportMap(importNamesOrNone(bytes));
    out = await transpileBytes(bytes, {
      name: 'component', instantiation: { tag: 'sync' }, emitTypescriptDeclarations: false, noComponentErrorWrapping: false, map,
    });
    wit = await componentWit(bytes);
  } catch (err) {
    throw new InvalidComponentError(`${label} is not a valid component: ${firstLine(err)}`, { cause: err });
  }
  const coreModules: Record<string, Uint8Array> = {};
  let glue = '';
  for (const [name, content] of Object.entries(out.files as Record<string, Uint8Array>)) {
    if (name.endsWith('.wasm')) coreModules[name] = content;
    else if (name === 'component.js') glue = new TextDecoder().decode(content);
  }
  if (!glue) throw new InvalidComponentError(`${label}: jco produced no glue code`);
  return { glue: patchGlue(glue), coreModules, imports: out.imports as string[], exports: out.exports as [string, string][], wit };
}

/**
 * Removes two per-instance costs of jco's glue that buy nothing on this Node (PLATFORM.md):
 * probing `WebAssembly.promising` by catching a TypeError (V8 re-parses the huge enclosing
 * function to build the message), and reading `process.env.JCO_DEBUG` on every call. And one
 * hazard: jco registers each resource object it hands out with a FinalizationRegistry that runs
 * the guest's destructor when the object is collected: guest code outside any call and its limits,
 * possibly on an instance already discarded (whose recycled memory another instance now uses).
 * The runtime manages handle lifetimes itself (lib/invoke/handles.ts), so those registries go.
 * Then routes every lift of guest data through the runtime's checked, budgeted reads (`meterLifts`).
 */
export function patchGlue(glue: string): string {
  return meterLifts(patchCosts(glue));
}

/**
 * The glue lifts strings and lists from guest memory inline. Each lift becomes a call of the
 * runtime's checked reads (lib/limits/lift.ts, reached through `globalThis`): charged against the
 * call's `limits.resultBytes` before anything is allocated (each aliased element in full),
 * bounds-checked (jco's `buffer.slice` silently clamps an out-of-bounds list; a view throws V8's
 * RangeError), strict UTF-8/UTF-16 (jco's decoder replaces invalid bytes), and every list lifted
 * element by element is charged for all its elements before the loop.
 */
function meterLifts(glue: string): string {
  const out = glue
    // strings: `DECODER.decode(new Uint8Array|DataView|Uint16Array(mem.buffer, ptr, len))`
    .replace(/(\w+)\.decode\(new (Uint8Array|DataView|Uint16Array)\(([\w.]+)\.buffer, (\w+), (\w+)\)\)/g, (_m, decoder: string, view: string, mem: string, ptr: string, len: string) => {
      if (!/16/.test(decoder)) return `__sfirtLift.utf8(${mem}, ${ptr}, ${len})`;
      return view === 'Uint16Array' ? `__sfirtLift.utf16(${mem}, ${ptr}, ${len})` : `__sfirtLift.utf16(${mem}, ${ptr}, ${len} >>> 1)`;
    })
    // typed lists: `new Ctor(mem.buffer.slice(ptr, ptr + len * size))`
    .replace(/new (\w+)\(([\w.]+)\.buffer\.slice\((\w+), \3 \+ (\w+) \* (\d+)\)\)/g,
      (_m, ctor: string, mem: string, ptr: string, len: string, size: string) => `new ${ctor}(__sfirtLift.copy(${mem}, ${ptr}, ${len} * ${size}))`)
    // lists lifted element by element: charge them all before the loop
    .replace(/for \(let i = 0; i < (\w+); i\+\+\) \{(\s*)const base = (\w+) \+ i \* (\d+);/g,
      (_m, len: string, ws: string, base: string, size: string) => `__sfirtLift.list(${len}, ${size}); for (let i = 0; i < ${len}; i++) {${ws}const base = ${base} + i * ${size};`);
  // On the first line, so the glue's line numbers (stack frames) stay jco's.
  const prelude = "const __sfirtLift = globalThis[Symbol.for('sfirt.lift')];";
  return out.startsWith('"use components";') ? out.replace('"use components";', `"use components"; ${prelude}`) : `${prelude} ${out}`;
}

function patchCosts(glue: string): string {
  let out = glue.replace(
    /function finalizationRegistryCreate \(unregister\) \{[\s\S]{0,200}?return new FinalizationRegistry\(unregister\);\s*\}/,
    'function finalizationRegistryCreate (unregister) { return { register () {}, unregister () {} }; }',
  );
  // jco 1.35 lifts each owned handle of a resource the component defines as `var rscN`,
  // `var handleM` and a dispose closure over them; in a list's loop those `var`s are shared, so
  // disposing any element removed the last element's handle (and ran its destructor). Bind the
  // closure to the values of its own iteration.
  out = out.replace(
    /Object\.defineProperty\((rsc\d+), symbolDispose, \{ writable: true, value: function \(\) \{(\s*finalizationRegistry\d+\.unregister\(\1\);\s*const handleEntry = rscTableRemove\(handleTable\d+, (handle\d+)\);[^}]*?)\}\}\);/g,
    'Object.defineProperty($1, symbolDispose, { writable: true, value: (($1, $3) => function () {$2})($1, $3) });',
  );
  out = out.replace(
    /const _debugLog = \(\.\.\.args\) => \{\s*if \(!globalThis\?\.process\?\.env\?\.JCO_DEBUG\) \{ return; \}\s*console\.debug\(\.\.\.args\);\s*\};/,
    'const _debugLog = (...args) => {};',
  );
  if (!HAS_JSPI) {
    out = out.replace(
      /try \{\s*(\w+) = WebAssembly\.promising\(([^;]+?)\);\s*\} catch\s*\(err\) \{\s*\1 = \2;\s*\}/g,
      '$1 = $2;',
    );
  }
  return out;
}

/** Why jco must not see these bytes (see `transpileComponent`), or undefined. */
function ownArtifactReason(bytes: Uint8Array): string | undefined {
  try {
    return usesStringEncoding(parseComponent(bytes), 'latin1+utf16') ? 'jco cannot transpile latin1+utf16 strings' : undefined;
  } catch {
    return undefined; // not decodable by us: jco decides
  }
}

/** The artifact of a component only our glue runs: no jco glue; `glue` is empty. */
async function ownArtifact(bytes: Uint8Array, label: string, reason: string, componentWit: (b: Uint8Array) => Promise<string>): Promise<TranspiledComponent> {
  const plan = planComponent(bytes);
  if ('unsupported' in plan) throw new InvalidComponentError(`${label}: ${reason}, and the fast glue does not support it either (${plan.unsupported})`);
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (err) {
    throw new InvalidComponentError(`${label} is not a valid component: ${firstLine(err)}`, { cause: err });
  }
  const coreModules = Object.fromEntries(plan.modules.map((m, i) => [jcoCoreModuleName(i), m]));
  const exports = plan.exports.map((e): [string, string] => [e.name, e.k === 'func' ? 'function' : 'instance']);
  return { glue: '', coreModules, imports: plan.imports, exports, wit, noJcoGlue: reason };
}

/** Top-level import names; none when the bytes are malformed (jco then reports why). */
function importNamesOrNone(bytes: Uint8Array): string[] {
  try {
    return componentImportNames(bytes);
  } catch {
    return [];
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').find((l) => l.trim()) ?? msg;
}
