import { ArtifactCache, defaultCacheDir } from './component/cache.js';
import { loadComponent, type GluePreference } from './component/loader.js';
import { readSource, type ComponentSource } from './component/source.js';
import { ClosedError, InvalidArgumentError, MissingImportError } from './errors.js';
import { fillVersionedKeys, normaliseHostImports, wrapHostImports, type HostImports } from './host/imports.js';
import { jspiUnavailableReason, settleAsyncImports } from './host/async.js';
import { InstanceScope, layeredImports } from './host/scope.js';
import { stripVersion } from './component/wit/import-keys.js';
import { SfiFunction, type CallContext } from './invoke/function.js';
import { ComponentSignatures } from './invoke/signatures.js';
import { serve, type HttpServer, type ServeOptions } from './http/serve.js';
import { callDeadline, callFuel } from './limits/call-deadline.js';
import { callLimits, limitsTransform, meterHooks, type Limits } from './invoke/limits.js';
import { functionConfig, runtimeConfig, type FunctionOptions, type RuntimeConfig, type RuntimeOptions } from './options.js';
import type { PoolOptions } from './pool/pool.js';
import { createWasiNn, type WasiNn, type WasiNnOptions } from './nn/wasi-nn.js';
import type { NnBackend } from './nn/engine.js';
import { wasiImportParts, type WasiOptions } from './wasi/policy.js';
import { deniedHttpImports } from './http/imports.js';
import { StdioCapture } from './wasi/stdio.js';
import { readManifest } from './manifest/read.js';
import { initExport } from './invoke/init-export.js';
import { loadManifestFunctions, type LoadedManifest } from './manifest/load.js';

export type { RuntimeOptions, FunctionOptions } from './options.js';

/** Loads components as isolated functions. */
export class Runtime {
  readonly cache: ArtifactCache;
  #functions = new Map<string, SfiFunction>();
  #nn = new Map<NnBackend, Promise<WasiNn>>();
  #closed = false;
  #config: RuntimeConfig;

  /** Throws `InvalidArgumentError` naming the option for an unknown or bad option. */
  constructor(readonly options: RuntimeOptions = {}) {
    this.#config = runtimeConfig(options);
    this.cache = new ArtifactCache(this.#config.cacheDir ?? defaultCacheDir());
  }

  /**
   * Loads a component (path, URL or bytes) under `name`. Transpiles it with jco on the first
   * load and reuses the on-disk artifact afterwards, even across processes. Fails with
   * NOT_A_COMPONENT, INVALID_COMPONENT or MISSING_IMPORT; INVALID_ARGUMENT names a bad option, or
   * a name already loaded (unless `replace: true`).
   */
  async load(name: string, source: ComponentSource, options: FunctionOptions = {}): Promise<SfiFunction> {
    if (this.#closed) throw new ClosedError();
    if (typeof name !== 'string' || !name) throw new InvalidArgumentError('function name must be a non-empty string');
    const config = functionConfig(options, this.#config);
    this.#checkName(name, config.replace);
    const { bytes, label } = await readSource(source);
    const { limits, pool } = config;
    const reset = pool.mode === 'reset';
    const component = await loadComponent(bytes, label, this.cache, limitsTransform(limits, reset), config.glue);
    const usesNn = component.imports.some((i) => i.startsWith('wasi:nn/'));
    const signatures = new ComponentSignatures(component.wit, bytes);
    const init = config.init === undefined ? undefined : initExport(signatures, config.init);
    const hostImports = normaliseHostImports(config.imports, signatures.imports);
    signatures.checkHostImports(hostImports);
    settleAsyncImports(hostImports, jspiUnavailableReason()
      ?? (component.glue === 'jco' ? `the component runs on jco's glue (the fast glue does not support it: ${component.glueFallbackReason}), which cannot suspend` : undefined));
    const nn = usesNn ? await this.wasiNn(config.nnBackend) : undefined;
    const context: CallContext = { hostFailure: undefined, exit: undefined };
    const capture = new StdioCapture(config.captureLimitBytes);
    // Host state belongs to an instance: WASI, wasi:nn and the app's imports are built per
    // instance on its scope (lib/host/scope.ts); what is the same for every instance is built once.
    const nnImports = nn?.functionImports(limits.memoryBytes === undefined ? {} : { quota: { tensorBytes: Math.min(nn.quota.tensorBytes, limits.memoryBytes) } });
    const wasi = wasiImportParts(config.wasi, capture, (e) => { context.exit ??= e; }, { openFiles: limits.openFiles, memoryBytes: limits.memoryBytes, protectedDirs: this.#cacheDirs() });
    const host = wrapHostImports(hostImports, context, (iface, fn) => signatures.importReturnsResult(iface, fn));
    // Built once: WASI's shared entries and the app's imports (which win over WASI's).
    const shared: Record<string, object> = { ...wasi.shared, ...deniedHttpImports(), ...host };
    // Neither WASI/wasi:nn nor the app's imports provide it (e.g. wasi:keyvalue, or a forgotten interface).
    fillVersionedKeys(shared, component.imports);
    const imports = layeredImports(shared, (scope) => (nnImports ? { ...wasi.forInstance(scope), ...nnImports(scope) } : wasi.forInstance(scope)), component.imports, stripVersion);
    const probe = new InstanceScope();
    const keys = imports(probe);
    probe.releaseAll();
    const missing = component.imports.find((i) => !(i in keys));
    if (missing) throw new MissingImportError(missing, signatures.importHint(missing));
    const fn = new SfiFunction(name, {
      component, signatures, imports, capture, context,
      hooks: meterHooks(reset, limits),
      limits: callLimits(limits),
      nn,
      pool,
      ...(init ? { init } : {}),
    });
    fn.pool.prewarm();
    // Checked again: another load of the same name may have finished while this one was loading.
    try { this.#checkName(name, config.replace); } catch (err) { fn.close(); throw err; }
    this.#functions.get(name)?.close();
    this.#functions.set(name, fn);
    return fn;
  }

  #checkName(name: string, replace: boolean): void {
    if (!replace && this.#functions.has(name)) {
      throw new InvalidArgumentError(`a function named \`${name}\` is already loaded (pass \`replace: true\` to replace it)`);
    }
  }

  /**
   * Serves loaded functions over HTTP (simple functions and `wasi:http/incoming-handler`
   * components); see `ServeOptions`. Resolves once listening.
   */
  serve(options: ServeOptions): Promise<HttpServer> {
    return serve(this, options);
  }

  /**
   * Loads every function of an `sfirt.json` manifest (schema: `sfirt/sfirt.schema.json`); its
   * `nn` section configures this runtime's `wasi:nn` unless a `wasi:nn` host already started.
   * `result.serve()` serves its routes. Fails with INVALID_MANIFEST naming the field, or as `load()`.
   */
  async loadManifest(path: string): Promise<LoadedManifest> {
    if (this.#closed) throw new ClosedError();
    const manifest = readManifest(path);
    if (manifest.nn) {
      if (this.#nn.size) throw new InvalidArgumentError(`${path}: nn settings cannot apply, this runtime's wasi:nn host has started; pass them to createRuntime({ nn })`);
      const nn = this.options.nn;
      this.options.nn = { ...nn, ...manifest.nn, models: { ...nn?.models, ...manifest.nn.models } };
      this.#config = runtimeConfig(this.options);
    }
    return loadManifestFunctions(this, manifest);
  }

  /** The precompile caches' directories (ours, and the wasi:nn engine's): no guest may write there. */
  #cacheDirs(): string[] {
    return [this.cache.dir, this.#config.nn.cacheDir].filter((d): d is string => typeof d === 'string');
  }

  /** The runtime's `wasi:nn` host for a backend, started on first use. */
  wasiNn(backend: NnBackend): Promise<WasiNn> {
    let host = this.#nn.get(backend);
    if (!host) {
      host = createWasiNn({ cacheDir: this.#config.cacheDir, ...this.#config.nn, backend, deadline: () => callDeadline.at, fuel: () => callFuel.meter });
      // A backend that cannot start is reported to this load and retried by the next one.
      host.catch(() => this.#nn.delete(backend));
      this.#nn.set(backend, host);
    }
    return host;
  }

  /** A loaded function by name. */
  get(name: string): SfiFunction | undefined {
    return this.#functions.get(name);
  }

  /** Closes every function. */
  close(): void {
    this.#closed = true;
    for (const fn of this.#functions.values()) fn.close();
    this.#functions.clear();
    for (const host of this.#nn.values()) host.then((h) => h.dispose(), () => {});
    this.#nn.clear();
  }
}

/** Creates a runtime. */
export function createRuntime(options?: RuntimeOptions): Runtime {
  return new Runtime(options);
}
