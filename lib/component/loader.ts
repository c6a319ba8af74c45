import { InvalidComponentError } from '../errors.js';
import type { ArtifactCache, CacheEntry, CacheStore } from './cache.js';
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
 * when read from an entry for a load on our fast glue.
 */
interface Artifact {
  glue?: { source: string; format: GlueFormat };
  coreModules: Record<string, Uint8Array>;
  imports: string[];
  exports: [string, string][];
  wit: string;
  /** Set when jco could not transpile the component: only our glue runs it. */
  noJcoGlue?: string;
}

/** A transpile's artifact: always with its glue. */
type FreshArtifact = Artifact & { glue: NonNullable<Artifact['glue']> };

const GLUE_FILE = 'glue.js';
const WIT_FILE = 'world.wit';
/** Entry files a load on our fast glue does not use. */
const FAST_UNUSED: ReadonlySet<string> = new Set([GLUE_FILE]);

const REWRITTEN_FILE = 'core.wasm';

/**
 * `transform(name, code)`, from the cache when an earlier load (any process) wrote it with the same
 * transform, rewriter code and component: a warm load of a metered component then skips the rewrite
 * (most of its time: ~16 ms of a ~44 ms load of the compute guest).
 */
async function rewrite(cache: ArtifactCache, componentKey: string, stamp: Stamp, transform: CoreTransform, name: string, code: Uint8Array): Promise<Uint8Array> {
  if (transform.cacheId === undefined) return transform(name, code);
  const rstamp = { ...stamp, core: name, transform: transform.cacheId };
  const rkey = `r${sha256(JSON.stringify(rstamp)).slice(0, 31)}`;
  const found = await cache.get(rkey, rstamp);
  const stored = found.status === 'hit' ? found.entry.files[REWRITTEN_FILE] : undefined;
  if (stored) return stored;
  const out = transform(name, code);
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
  // Our glue runs it: jco's glue in the entry is not read, hashed or evaluated (a damaged one is
  // found, and the entry rebuilt, by the first load that needs it).
  const unused = 'unsupported' in plan ? undefined : FAST_UNUSED;
  const found = await cache.get(key, stamp, unused);
  const stored = found.status === 'hit' ? artifactFromEntry(found.entry, unused) : undefined;
  const invalidReason = found.status === 'invalid' ? found.reason : typeof stored === 'string' ? stored : undefined;
  let artifact = typeof stored === 'object' ? stored : undefined;
  const cacheHit = artifact !== undefined;
  let transpileMs = 0;
  if (!artifact) {
    const t = performance.now();
    const fresh = toArtifact(await transpileComponent(bytes, label));
    transpileMs = performance.now() - t;
    await cache.put(key, stamp, artifactToEntry(fresh), invalidReason);
    artifact = fresh;
  }
  const t1 = performance.now();
  const modules = new Map<string, WebAssembly.Module>();
  await Promise.all(Object.entries(artifact.coreModules).map(async ([name, code]) => {
    const rewritten = transform ? await rewrite(cache, key, stamp, transform, name, code) : code;
    try {
      modules.set(name, await WebAssembly.compile(rewritten as Uint8Array<ArrayBuffer>));
    } catch (err) {
      throw new InvalidComponentError(`${label}: core module ${name} does not compile: ${(err as Error).message}`, { cause: err });
    }
  }));
  const compileMs = performance.now() - t1;
  const common = {
    key, modules, imports: artifact.imports, exports: artifact.exports, wit: artifact.wit,
    timings: { cacheHit, cacheRebuilt: invalidReason !== undefined, cacheStore: found.store, transpileMs, compileMs, totalMs: 0 },
  };
  let loaded: LoadedComponent;
  if (!('unsupported' in plan)) {
    // jco numbers core modules in binary order, so the modules compiled above are the plan's.
    const fast = createFastGlue(plan, plan.modules.map((_, i) => modules.get(jcoCoreModuleName(i))!));
    loaded = { ...common, glue: 'fast', instantiate: (imports, ic) => fast.instantiate(imports, ic) };
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
      ...Object.fromEntries(Object.entries(a.coreModules).map(([n, b]) => [`core/${n}`, b])),
    },
  };
}

/**
 * The artifact of a verified entry, or why its (checksummed) manifest does not describe one.
 * `unused`: files the entry was read without (as passed to `ArtifactCache.get`).
 */
function artifactFromEntry(entry: CacheEntry, unused?: ReadonlySet<string>): Artifact | string {
  const meta = entry.meta as Partial<Meta> | null;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof meta !== 'object' || meta === null || !strings(meta.imports) || !strings(meta.coreModules)
    || !Array.isArray(meta.exports) || !meta.exports.every((e) => strings(e) && e.length === 2)
    || (meta.glueFormat !== 'script' && meta.glueFormat !== 'module')
    || (meta.noJcoGlue !== undefined && typeof meta.noJcoGlue !== 'string')) return 'manifest meta has the wrong shape';
  const missing = [GLUE_FILE, WIT_FILE, ...meta.coreModules.map((n) => `core/${n}`)].find((f) => !unused?.has(f) && !entry.files[f]);
  if (missing) return `manifest does not list ${missing}`;
  const text = (name: string) => {
    const b = entry.files[name]!;
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  };
  return {
    ...(entry.files[GLUE_FILE] ? { glue: { source: text(GLUE_FILE), format: meta.glueFormat } } : {}),
    wit: text(WIT_FILE), imports: meta.imports, exports: meta.exports,
    coreModules: Object.fromEntries(meta.coreModules.map((n) => [n, entry.files[`core/${n}`]!])),
    ...(meta.noJcoGlue ? { noJcoGlue: meta.noJcoGlue } : {}),
  };
}
