import { DiskCache, defaultCacheDir } from './component/cache.js';
import { loadComponent, type GluePreference } from './component/loader.js';
import { readSource, type ComponentSource } from './component/source.js';
import { ClosedError, InvalidArgumentError, MissingImportError } from './errors.js';
import { wrapHostImports, type HostImports } from './host/imports.js';
import { SfiFunction, type CallContext } from './invoke/function.js';
import { ComponentSignatures } from './invoke/signatures.js';
import { serve, type HttpServer, type ServeOptions } from './http/serve.js';
import { callDeadline } from './invoke/call-deadline.js';
import { callLimits, DEFAULT_LIMITS, limitsTransform, meterHooks, normaliseLimits, type Limits } from './invoke/limits.js';
import type { PoolOptions } from './pool/pool.js';
import { createWasiNn, type WasiNn, type WasiNnOptions } from './nn/wasi-nn.js';
import type { NnBackend } from './nn/engine.js';
import { wasiImports, type WasiOptions } from './wasi/policy.js';
import { StdioCapture } from './wasi/stdio.js';

/** Options of `createRuntime()`. */
export interface RuntimeOptions {
  /** Directory of the precompile cache (default: `$SFIRT_CACHE_DIR` or `~/.cache/sfirt`). */
  cacheDir?: string;
  /** Defaults for every function loaded by this runtime. */
  defaults?: Pick<FunctionOptions, 'pool' | 'wasi' | 'limits'>;
  /**
   * `wasi:nn` for guests that import it: registered models (`load-by-name`) and engine settings.
   * One engine per backend per runtime, shared by every instance of every function; each named
   * model is parsed once per engine. Backend `wasm` (default) runs onnxruntime-web as its own
   * memory-capped wasm instance; `native` uses onnxruntime-node (optional dependency).
   */
  nn?: Omit<WasiNnOptions, 'loadNativeBinding'>;
}

/** Options of `runtime.load()`. */
export interface FunctionOptions {
  /** Host implementations of the component's non-WASI imports, keyed by interface id. */
  imports?: HostImports;
  /** WASI capabilities (deny by default). */
  wasi?: WasiOptions;
  /**
   * Memory, table, fuel and deadline limits (default: 256 MiB memory, 10 s per call, no fuel
   * cap). `null` removes a default.
   */
  limits?: Limits;
  /** Instance pool. */
  pool?: PoolOptions;
  /** `wasi:nn` backend for this function (default: the runtime's, else `wasm`). */
  nnBackend?: NnBackend;
  /** Bindings: `auto` (default) uses our fast canonical-ABI glue where it supports the component, else jco's. */
  glue?: GluePreference;
  /** Cap on captured stdout/stderr per stream per call, in bytes. */
  captureLimitBytes?: number;
}

/** Loads components as isolated functions. */
export class Runtime {
  readonly cache: DiskCache;
  #functions = new Map<string, SfiFunction>();
  #nn = new Map<NnBackend, Promise<WasiNn>>();
  #closed = false;

  constructor(readonly options: RuntimeOptions = {}) {
    this.cache = new DiskCache(options.cacheDir ?? defaultCacheDir());
  }

  /**
   * Loads a component (path, URL or bytes) under `name`. Transpiles it with jco on the first
   * load and reuses the on-disk artifact afterwards, even across processes. Fails with
   * NOT_A_COMPONENT, INVALID_COMPONENT or MISSING_IMPORT.
   */
  async load(name: string, source: ComponentSource, options: FunctionOptions = {}): Promise<SfiFunction> {
    if (this.#closed) throw new ClosedError();
    if (typeof name !== 'string' || !name) throw new InvalidArgumentError('function name must be a non-empty string');
    const { bytes, label } = await readSource(source);
    const limits = normaliseLimits({ ...DEFAULT_LIMITS, ...this.options.defaults?.limits, ...options.limits });
    const pool = { ...this.options.defaults?.pool, ...options.pool };
    const reset = pool.mode === 'reset';
    const component = await loadComponent(bytes, label, this.cache, limitsTransform(limits, reset), options.glue);
    const hostImports = options.imports ?? {};
    const usesNn = component.imports.some((i) => i.startsWith('wasi:nn/'));
    const signatures = new ComponentSignatures(component.wit, bytes);
    signatures.checkHostImports(hostImports);
    const nn = usesNn ? await this.wasiNn(options.nnBackend ?? this.options.nn?.backend ?? 'wasm') : undefined;
    const context: CallContext = { hostFailure: undefined, exit: undefined };
    const capture = new StdioCapture(options.captureLimitBytes);
    const wasi = { ...this.options.defaults?.wasi, ...options.wasi };
    const imports = {
      ...wasiImports(wasi, capture, (e) => { context.exit ??= e; }),
      ...nn?.imports,
      ...wrapHostImports(hostImports, context, (iface, fn) => signatures.importReturnsResult(iface, fn)),
    };
    // Neither WASI/wasi:nn nor the app's imports provide it (e.g. wasi:keyvalue, or a forgotten interface).
    const missing = component.imports.find((i) => !(i in imports));
    if (missing) throw new MissingImportError(missing, 'provide it in `imports`');
    const fn = new SfiFunction(name, {
      component, signatures, imports, capture, context,
      hooks: meterHooks(reset, limits),
      limits: callLimits(limits),
      nn,
      pool,
    });
    fn.pool.prewarm();
    this.#functions.get(name)?.close();
    this.#functions.set(name, fn);
    return fn;
  }

  /**
   * Serves loaded functions over HTTP (simple functions and `wasi:http/incoming-handler`
   * components); see `ServeOptions`. Resolves once listening.
   */
  serve(options: ServeOptions): Promise<HttpServer> {
    return serve(this, options);
  }

  /** The runtime's `wasi:nn` host for a backend, started on first use. */
  wasiNn(backend: NnBackend): Promise<WasiNn> {
    let host = this.#nn.get(backend);
    if (!host) {
      host = createWasiNn({ ...this.options.nn, backend, deadline: () => callDeadline.at });
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
