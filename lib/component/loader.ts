import { InvalidComponentError } from '../errors.js';
import type { ArtifactCache, CacheEntry, CacheStore, UnusedFiles } from './cache.js';
import { sha256, type Stamp } from './manifest.js';
import { withGlueState } from './glue-state.js';
import { evaluateGlue, toGlueScript, type GlueFormat, type JcoGlue } from './glue-script.js';
import { assertComponentHeader } from './source.js';
import { artifactIdentity, transpileComponent, type TranspiledComponent } from './transpile.js';
import { createFastGlue, jcoCoreModuleName, planComponent } from './fast/index.js';

/** Instantiates one core module (the runtime adds limits imports and records memories here). */
export type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;

/** Which bindings a component runs on: our own (`fast`), or jco's generated glue. */
export type GlueKind = 'fast' | 'jco';

/**
 * `fast`: our own canonical-ABI bindings, built once per component (lib/component/fast), used when
 * the component only uses what they support. `jco`: always jco's generated glue. `auto` (default):
 * `fast` where supported, else `jco`.
 */
export type GluePreference = 'auto' | GlueKind;

/**
 * Rewrites one core module before it is compiled (limits instrumentation plugs in here). With a
 * `cacheId` (what the output depends on besides the input bytes, the rewriter's code included), its
 * outputs are kept in the precompile cache and verified there like every other entry.
 */
export type CoreTransform = ((name: string, bytes: Uint8Array) => Uint8Array) & { readonly cacheId?: string };

/** A component ready to instantiate: glue loaded, every core module compiled once. */
export interface LoadedComponent {
  key: string;
  /** Creates one instance: the export object in jco's shape, whichever glue is used. */
  instantiate(imports: Record<string, object>, instantiateCore: InstantiateCore): Record<string, unknown>;
  glue: GlueKind;
  /** Why the fast glue was not used, when it was not. */
  glueFallbackReason?: string;
  modules: Map<string, WebAssembly.Module>;
  imports: string[];
  exports: [string, string][];
  wit: string;
  timings: LoadTimings;
}

/** How long loading took, and whether the precompile cache spared the transpile. */
export interface LoadTimings {
  /** A verified cache entry spared the transpile. */
  cacheHit: boolean;
  /** An entry was there but failed verification (damaged, tampered, partial): it was rebuilt. */
  cacheRebuilt: boolean;
  /** `memory` when the disk cache is off (`cacheDir: false`) or its directory was refused. */
  cacheStore: CacheStore;
  /** jco transpile + WIT extraction (0 on a cache hit). */
  transpileMs: number;
  /** Core-module rewriting + compilation. */
  compileMs: number;
  totalMs: number;
}

/** What the loader keeps in a cache entry's manifest besides file hashes. */
interface Meta {
  imports: string[];
  exports: [string, string][];
  coreModules: string[];
  glueFormat: GlueFormat;
  /** Why there is no jco glue (the glue file is empty), when there is none. */
  noJcoGlue?: string;
}

/**
 * A transpiled component as the loader uses it: the glue in its stored (evaluable) form, absent
 * when read from an entry for a load on our fast glue; core modules by name, undefined when the
 * entry was read without them (their rewrites are cached: see `loadComponent`).
 */
interface Artifact {
  glue?: { source: string; format: GlueFormat };
  coreModules: Record<string, Uint8Array | undefined>;
  imports: string[];
  exports: [string, string][];
  wit: string;
  /** Set when jco could not transpile the component: only our glue runs it. */
  noJcoGlue?: string;
}

/** A transpile's artifact: always with its glue and every core module. */
type FreshArtifact = Artifact & { glue: NonNullable<Artifact['glue']>; coreModules: Record<string, Uint8Array> };

const GLUE_FILE = 'glue.js';
const WIT_FILE = 'world.wit';
const CORE_PREFIX = 'core/';

const REWRITTEN_FILE = 'core.wasm';

/**
 * `transform(name, code)`, from the cache when an earlier load (any process) wrote it with the same
 * transform, rewriter code and component: a warm load of a metered component then skips the rewrite
 * (most of its time: ~16 ms of a ~44 ms load of the compute guest).
 */
async function rewrite(cache: ArtifactCache, componentKey: string, stamp: Stamp, transform: CoreTransform, name: string, original: () => Promise<Uint8Array>): Promise<Uint8Array> {
  if (transform.cacheId === undefined) return transform(name, await original());
  const rstamp = { ...stamp, core: name, transform: transform.cacheId };
  const rkey = `r${sha256(JSON.stringify(rstamp)).slice(0, 31)}`;
  const found = await cache.get(rkey, rstamp);
  const stored = found.status === 'hit' ? found.entry.files[REWRITTEN_FILE] : undefined;
  if (stored) return stored;
  const out = transform(name, await original());
  await cache.put(rkey, rstamp, { files: { [REWRITTEN_FILE]: out }, meta: { component: componentKey } }, found.status === 'invalid' ? found.reason : found.status === 'hit' ? 'entry without its module' : undefined);
  return out;
}

/**
 * Loads a component through the precompile cache: a verified entry spares the transpile; a missing
 * or invalid one is (re)built from a fresh transpile. Core modules are compiled here, from bytes.
 */
export async function loadComponent(bytes: Uint8Array, label: string, cache: ArtifactCache, transform?: CoreTransform, glue: GluePreference = 'auto'): Promise<LoadedComponent> {
  const t0 = performance.now();
  assertComponentHeader(bytes, label);
  const { key, stamp } = artifactIdentity(bytes);
  const plan = glue === 'jco' ? { unsupported: 'jco glue requested' } : planComponent(bytes);
  // Files the entry need not give this load (neither read nor hashed; a damaged one is found, and
  // the entry rebuilt, by the first load that needs it): jco's glue when our glue runs the
  // component; the core modules as jco emitted them when their rewrites are cached too (a warm
  // load compiles the verified rewrites; a rewrite that misses reads its original then).
  const fast = !('unsupported' in plan);
  const rewritesCached = transform?.cacheId !== undefined;
  const unused: UnusedFiles | undefined = fast || rewritesCached
    ? (f) => (fast && f === GLUE_FILE) || (rewritesCached && f.startsWith(CORE_PREFIX))
    : undefined;
  const found = await cache.get(key, stamp, unused);
  const stored = found.status === 'hit' ? artifactFromEntry(found.entry) : undefined;
  let invalidReason = found.status === 'invalid' ? found.reason : typeof stored === 'string' ? stored : undefined;
  let artifact = typeof stored === 'object' ? stored : undefined;
  let transpileMs = 0;
  let transpiled: Promise<FreshArtifact> | undefined;
  /** Transpiles (once) and stores the entry, replacing an invalid one when `reason` says so. */
  const transpile = (reason: string | undefined) => (transpiled ??= (async () => {
    const t = performance.now();
    const fresh = toArtifact(await transpileComponent(bytes, label));
    transpileMs = performance.now() - t;
    invalidReason ??= reason;
    await cache.put(key, stamp, artifactToEntry(fresh), reason);
    return fresh;
  })());
  if (!artifact) artifact = await transpile(invalidReason);
  const { coreModules } = artifact;
  /** A core module as jco emitted it: from the artifact, else read again and verified, else transpiled. */
  const original = async (name: string): Promise<Uint8Array> => {
    const have = coreModules[name];
    if (have) return have;
    const file = `${CORE_PREFIX}${name}`;
    const again = await cache.get(key, stamp, (f) => f !== file);
    const verified = again.status === 'hit' ? again.entry.files[file] : undefined;
    if (verified) return verified;
    // The entry broke, or went away, since it was read: rebuilt from a fresh transpile.
    const fresh = await transpile(again.status === 'invalid' ? again.reason : again.status === 'hit' ? `manifest does not list ${file}` : undefined);
    const code = fresh.coreModules[name];
    if (!code) throw new InvalidComponentError(`${label}: the transpiled component has no core module ${name}`);
    return code;
  };
  const t1 = performance.now();
  const transpiledBefore = transpileMs;
  const modules = new Map<string, WebAssembly.Module>();
  await Promise.all(Object.keys(coreModules).map(async (name) => {
    const rewritten = transform ? await rewrite(cache, key, stamp, transform, name, () => original(name)) : await original(name);
    try {
      modules.set(name, await WebAssembly.compile(rewritten as Uint8Array<ArrayBuffer>));
    } catch (err) {
      throw new InvalidComponentError(`${label}: core module ${name} does not compile: ${(err as Error).message}`, { cause: err });
    }
  }));
  // Less a transpile a rewrite that missed needed (the entry broke after it was read).
  const compileMs = performance.now() - t1 - (transpileMs - transpiledBefore);
  const common = {
    key, modules, imports: artifact.imports, exports: artifact.exports, wit: artifact.wit,
    timings: { cacheHit: transpiled === undefined, cacheRebuilt: invalidReason !== undefined, cacheStore: found.store, transpileMs, compileMs, totalMs: 0 },
  };
  let loaded: LoadedComponent;
  if (fast) {
    // jco numbers core modules in binary order, so the modules compiled above are the plan's.
    const bindings = createFastGlue(plan, plan.modules.map((_, i) => modules.get(jcoCoreModuleName(i))!));
    loaded = { ...common, glue: 'fast', instantiate: (imports, ic) => bindings.instantiate(imports, ic) };
  } else {
    if (glue === 'fast') throw new InvalidComponentError(`${label}: the fast glue does not support this component (${plan.unsupported})`);
    if (artifact.noJcoGlue) throw new InvalidComponentError(`${label}: ${artifact.noJcoGlue}; load it with glue 'auto' or 'fast'`);
    const stored = artifact.glue!; // read whenever the plan is not our glue's
    let jco: JcoGlue;
    try {
      // With a GlueState hook (glue-state.ts): the stored (verified) text plus a fixed insertion.
      jco = await evaluateGlue(withGlueState(stored.source).source, stored.format, `sfirt-cache/${key}/${GLUE_FILE}`);
    } catch (err) {
      throw new InvalidComponentError(`${label}: jco's glue for this component does not evaluate: ${(err as Error).message}`, { cause: err });
    }
    loaded = {
      ...common, glue: 'jco', glueFallbackReason: plan.unsupported,
      instantiate: (imports, ic) => jco.instantiate((name) => modules.get(name)!, imports, ic),
    };
  }
  loaded.timings.totalMs = performance.now() - t0;
  return loaded;
}

function toArtifact(t: TranspiledComponent): FreshArtifact {
  const script = toGlueScript(t.glue);
  return {
    glue: script === undefined ? { source: t.glue, format: 'module' } : { source: script, format: 'script' },
    coreModules: t.coreModules, imports: t.imports, exports: t.exports, wit: t.wit,
    ...(t.noJcoGlue ? { noJcoGlue: t.noJcoGlue } : {}),
  };
}

function artifactToEntry(a: FreshArtifact): CacheEntry {
  const meta: Meta = {
    imports: a.imports, exports: a.exports, coreModules: Object.keys(a.coreModules), glueFormat: a.glue.format,
    ...(a.noJcoGlue ? { noJcoGlue: a.noJcoGlue } : {}),
  };
  return {
    meta,
    files: {
      [GLUE_FILE]: Buffer.from(a.glue.source),
      [WIT_FILE]: Buffer.from(a.wit),
      ...Object.fromEntries(Object.entries(a.coreModules).map(([n, b]) => [`${CORE_PREFIX}${n}`, b])),
    },
  };
}

/**
 * The artifact of a verified entry, or why its (checksummed) manifest does not describe one. Files
 * the lookup skipped (`entry.unread`) are absent from it: core modules as undefined, glue unset.
 */
function artifactFromEntry(entry: CacheEntry): Artifact | string {
  const meta = entry.meta as Partial<Meta> | null;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof meta !== 'object' || meta === null || !strings(meta.imports) || !strings(meta.coreModules)
    || !Array.isArray(meta.exports) || !meta.exports.every((e) => strings(e) && e.length === 2)
    || (meta.glueFormat !== 'script' && meta.glueFormat !== 'module')
    || (meta.noJcoGlue !== undefined && typeof meta.noJcoGlue !== 'string')) return 'manifest meta has the wrong shape';
  const missing = [GLUE_FILE, WIT_FILE, ...meta.coreModules.map((n) => `${CORE_PREFIX}${n}`)].find((f) => !entry.files[f] && !entry.unread?.includes(f));
  if (missing) return `manifest does not list ${missing}`;
  const text = (name: string) => {
    const b = entry.files[name]!;
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  };
  return {
    ...(entry.files[GLUE_FILE] ? { glue: { source: text(GLUE_FILE), format: meta.glueFormat } } : {}),
    wit: text(WIT_FILE), imports: meta.imports, exports: meta.exports,
    coreModules: Object.fromEntries(meta.coreModules.map((n) => [n, entry.files[`${CORE_PREFIX}${n}`]])),
    ...(meta.noJcoGlue ? { noJcoGlue: meta.noJcoGlue } : {}),
  };
}
