/**
 * Turns a validated manifest into loaded functions: each entry's options become `load()`'s
 * (in-thread) or a worker runtime's, and the manifest's routes and server options become
 * `serve()`'s.
 */
import type { FunctionOptions, RuntimeOptions, WorkerFunctionOptions } from '../options.js';
import type { SfiFunction } from '../invoke/function.js';
import { wasiHttpImports } from '../http/imports.js';
import { serve, type HttpServer, type Servable, type ServeOptions } from '../http/serve.js';
import type { Manifest, ManifestFunction } from './types.js';

/** A manifest's functions, loaded, and a way to serve its routes. */
export interface LoadedManifest {
  manifest: Manifest;
  functions: Record<string, SfiFunction>;
  /** Serves the manifest's routes with its `server` options (`overrides` win). */
  serve(overrides?: Partial<ServeOptions>): Promise<HttpServer>;
}

/** True when the function needs the wasi:http host classes: it makes outgoing requests, or serves a wasi-http route. */
function needsWasiHttp(manifest: Manifest, name: string, fn: ManifestFunction): boolean {
  return fn.outgoing !== undefined || manifest.routes.some((r) => r.function === name && r.kind === 'wasi-http');
}

/** The runtime `nn` options a manifest asks for. */
export function manifestNnOptions(manifest: Manifest): RuntimeOptions['nn'] | undefined {
  return manifest.nn;
}

/** `load()` options of a manifest entry, for an in-thread runtime. */
export function functionOptions(manifest: Manifest, name: string): FunctionOptions {
  const { source: _s, build: _b, description: _d, outgoing, wasi, ...rest } = manifest.functions[name]!;
  const fn = manifest.functions[name]!;
  return {
    ...rest,
    ...(wasi ? { wasi } : {}),
    ...(needsWasiHttp(manifest, name, fn) ? { imports: wasiHttpImports(outgoing ? { outgoing } : {}) } : {}),
  };
}

/** `load()` options of a manifest entry, for a worker runtime (the wasi:http host is built in each worker). */
export function workerFunctionOptions(manifest: Manifest, name: string): WorkerFunctionOptions {
  const { source: _s, build: _b, description: _d, outgoing, wasi, ...rest } = manifest.functions[name]!;
  const fn = manifest.functions[name]!;
  return {
    ...rest,
    ...(wasi ? { wasi } : {}),
    ...(needsWasiHttp(manifest, name, fn) ? { http: outgoing ? { outgoing } : {} } : {}),
  };
}

/** The server options of a manifest. */
export function serveOptions(manifest: Manifest, overrides: Partial<ServeOptions> = {}): ServeOptions {
  return { ...manifest.server, routes: manifest.routes, ...overrides };
}

/** What loading a manifest needs of a runtime (lib/runtime.ts passes itself). */
export type ManifestRuntime = Servable & { load(name: string, source: string, options: FunctionOptions): Promise<SfiFunction> };

/** Loads every function of `manifest` into `runtime`, in manifest order. */
export async function loadManifestFunctions(runtime: ManifestRuntime, manifest: Manifest): Promise<LoadedManifest> {
  const functions: Record<string, SfiFunction> = {};
  for (const [name, fn] of Object.entries(manifest.functions)) {
    functions[name] = await runtime.load(name, fn.source, functionOptions(manifest, name));
  }
  return { manifest, functions, serve: (overrides) => serve(runtime, serveOptions(manifest, overrides)) };
}

/** Loads every function of `manifest` into a worker runtime. */
export async function loadManifestIntoWorkers(runtime: { load(name: string, source: string, options: WorkerFunctionOptions): Promise<unknown> }, manifest: Manifest): Promise<void> {
  for (const [name, fn] of Object.entries(manifest.functions)) {
    await runtime.load(name, fn.source, workerFunctionOptions(manifest, name));
  }
}
