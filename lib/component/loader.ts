import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { InvalidComponentError } from '../errors.js';
import { DiskCache } from './cache.js';
import { assertComponentHeader } from './source.js';
import { transpileComponent, transpileKey, type TranspiledComponent } from './transpile.js';

/** jco's generated entry point (instantiation mode `sync`). */
export type GlueInstantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, object>,
  instantiateCore?: (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

/** Rewrites one core module before it is compiled (limits instrumentation plugs in here). */
export type CoreTransform = (name: string, bytes: Uint8Array) => Uint8Array;

/** A component ready to instantiate: glue loaded, every core module compiled once. */
export interface LoadedComponent {
  key: string;
  instantiate: GlueInstantiate;
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
}

/** Loads a component through the on-disk cache: transpile on a miss, reuse the stored glue on a hit. */
export async function loadComponent(bytes: Uint8Array, label: string, cache: DiskCache, transform?: CoreTransform): Promise<LoadedComponent> {
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
    const meta: Meta = { imports: artifact.imports, exports: artifact.exports, coreModules: Object.keys(artifact.coreModules) };
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
  const glueUrl = pathToFileURL(join(cache.entryDir(key), 'glue.mjs')).href;
  const { instantiate } = (await import(glueUrl)) as { instantiate: GlueInstantiate };
  return {
    key, instantiate, modules,
    imports: artifact.imports, exports: artifact.exports, wit: artifact.wit,
    timings: { cacheHit, transpileMs, compileMs, totalMs: performance.now() - t0 },
  };
}

async function readArtifact(cache: DiskCache, key: string): Promise<TranspiledComponent | undefined> {
  const metaBuf = await cache.read(key, 'meta.json');
  if (!metaBuf) return undefined;
  const meta = JSON.parse(metaBuf.toString('utf8')) as Meta;
  const [glue, wit, ...cores] = await Promise.all([
    cache.read(key, 'glue.mjs'), cache.read(key, 'world.wit'),
    ...meta.coreModules.map((n) => cache.read(key, `core/${n}`)),
  ]);
  if (!glue || wit === undefined || cores.some((c) => !c)) return undefined;
  return {
    glue: glue.toString('utf8'), wit: wit.toString('utf8'), imports: meta.imports, exports: meta.exports,
    coreModules: Object.fromEntries(meta.coreModules.map((n, i) => [n, new Uint8Array(cores[i]!)])),
  };
}
