import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { InvalidComponentError } from '../errors.js';
import { DiskCache } from './cache.js';
import { assertComponentHeader } from './source.js';
import { transpileComponent, transpileKey, type TranspiledComponent } from './transpile.js';
import { createFastGlue, jcoCoreModuleName, planComponent } from './fast/index.js';

/** Instantiates one core module (the runtime adds limits imports and records memories here). */
export type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;

/** jco's generated entry point (instantiation mode `sync`). */
type JcoInstantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, object>,
  instantiateCore?: InstantiateCore,
) => Record<string, unknown>;

/** Which bindings a component runs on: our own (`fast`), or jco's generated glue. */
export type GlueKind = 'fast' | 'jco';

/**
 * `fast`: our own canonical-ABI bindings, built once per component (lib/component/fast), used when
 * the component only uses what they support. `jco`: always jco's generated glue. `auto` (default):
 * `fast` where supported, else `jco`.
 */
export type GluePreference = 'auto' | GlueKind;

/** Rewrites one core module before it is compiled (limits instrumentation plugs in here). */
export type CoreTransform = (name: string, bytes: Uint8Array) => Uint8Array;

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

/** How long loading took, and whether the on-disk cache spared the transpile. */
export interface LoadTimings {
  cacheHit: boolean;
  /** jco transpile + WIT extraction (0 on a cache hit). */
  transpileMs: number;
  /** Core-module rewriting + compilation. */
  compileMs: number;
  totalMs: number;
}

interface Meta {
  imports: string[];
  exports: [string, string][];
  coreModules: string[];
  /** Why there is no jco glue (`glue.mjs` is empty), when there is none. */
  noJcoGlue?: string;
}

/** Loads a component through the on-disk cache: transpile on a miss, reuse the stored glue on a hit. */
export async function loadComponent(bytes: Uint8Array, label: string, cache: DiskCache, transform?: CoreTransform, glue: GluePreference = 'auto'): Promise<LoadedComponent> {
  const t0 = performance.now();
  assertComponentHeader(bytes, label);
  const key = transpileKey(bytes);
  let artifact = await readArtifact(cache, key);
  const cacheHit = artifact !== undefined;
  let transpileMs = 0;
  if (!artifact) {
    const t = performance.now();
    artifact = await transpileComponent(bytes, label);
    transpileMs = performance.now() - t;
    const meta: Meta = {
      imports: artifact.imports, exports: artifact.exports, coreModules: Object.keys(artifact.coreModules),
      ...(artifact.noJcoGlue ? { noJcoGlue: artifact.noJcoGlue } : {}),
    };
    await cache.writeEntry(key, {
      'glue.mjs': artifact.glue,
      'world.wit': artifact.wit,
      'meta.json': JSON.stringify(meta),
      ...Object.fromEntries(Object.entries(artifact.coreModules).map(([n, b]) => [`core/${n}`, b])),
    });
  }
  const t1 = performance.now();
  const modules = new Map<string, WebAssembly.Module>();
  await Promise.all(Object.entries(artifact.coreModules).map(async ([name, code]) => {
    const rewritten = transform ? transform(name, code) : code;
    try {
      modules.set(name, await WebAssembly.compile(rewritten as Uint8Array<ArrayBuffer>));
    } catch (err) {
      throw new InvalidComponentError(`${label}: core module ${name} does not compile: ${(err as Error).message}`, { cause: err });
    }
  }));
  const compileMs = performance.now() - t1;
  const common = {
    key, modules, imports: artifact.imports, exports: artifact.exports, wit: artifact.wit,
    timings: { cacheHit, transpileMs, compileMs, totalMs: 0 },
  };
  let loaded: LoadedComponent;
  const plan = glue === 'jco' ? { unsupported: 'jco glue requested' } : planComponent(bytes);
  if (!('unsupported' in plan)) {
    // jco numbers core modules in binary order, so the modules compiled above are the plan's.
    const fast = createFastGlue(plan, plan.modules.map((_, i) => modules.get(jcoCoreModuleName(i))!));
    loaded = { ...common, glue: 'fast', instantiate: (imports, ic) => fast.instantiate(imports, ic) };
  } else {
    if (glue === 'fast') throw new InvalidComponentError(`${label}: the fast glue does not support this component (${plan.unsupported})`);
    if (artifact.noJcoGlue) throw new InvalidComponentError(`${label}: ${artifact.noJcoGlue}; load it with glue 'auto' or 'fast'`);
    const glueUrl = pathToFileURL(join(cache.entryDir(key), 'glue.mjs')).href;
    const jco = (await import(glueUrl)) as { instantiate: JcoInstantiate };
    loaded = {
      ...common, glue: 'jco', glueFallbackReason: plan.unsupported,
      instantiate: (imports, ic) => jco.instantiate((name) => modules.get(name)!, imports, ic),
    };
  }
  loaded.timings.totalMs = performance.now() - t0;
  return loaded;
}

async function readArtifact(cache: DiskCache, key: string): Promise<TranspiledComponent | undefined> {
  const metaBuf = await cache.read(key, 'meta.json');
  if (!metaBuf) return undefined;
  const meta = JSON.parse(metaBuf.toString('utf8')) as Meta;
  const [glue, wit, ...cores] = await Promise.all([
    cache.read(key, 'glue.mjs'), cache.read(key, 'world.wit'),
    ...meta.coreModules.map((n) => cache.read(key, `core/${n}`)),
  ]);
  if ((!glue?.length && !meta.noJcoGlue) || wit === undefined || cores.some((c) => !c)) return undefined;
  return {
    glue: glue?.toString('utf8') ?? '', wit: wit.toString('utf8'), imports: meta.imports, exports: meta.exports,
    coreModules: Object.fromEntries(meta.coreModules.map((n, i) => [n, new Uint8Array(cores[i]!)])),
    ...(meta.noJcoGlue ? { noJcoGlue: meta.noJcoGlue } : {}),
  };
}
