/**
 * Options, checked once and completed with their defaults.
 *
 * `createRuntime()`, `runtime.load()`, `createWorkerRuntime()` and `workerRuntime.load()` hand the
 * app's options to these functions first; what comes back is a complete object (every field
 * present, defaults applied, "no limit" spelled one way), and every later layer reads it without
 * checking or defaulting a field again (Extism's `InternalConfig extends Required<...>`).
 *
 * Each option has one rule (undici's constructors check each option the same way). An unknown key
 * or a bad value is an `InvalidArgumentError` naming the field (`pool.maxx`, `wasi.args[1]`,
 * `limits.memoryBytes`), so a typo never silently falls back to a default. The rule tables are
 * typed against the public option interfaces: an option added to an interface without its rule
 * here does not compile, and adding one is one line.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { GluePreference } from './component/loader.js';
import { InvalidArgumentError } from './errors.js';
import type { HostImports } from './host/imports.js';
import { DEFAULT_LIMITS, defaultResultBytes, type Limits, type NormalisedLimits } from './invoke/limits.js';
import type { NnBackend } from './nn/engine.js';
import { DEFAULT_POOL, type PoolOptions } from './pool/pool.js';
import { MAX_TIMER_MS } from './timers.js';
import type { DeterminismOptions } from './wasi/clocks-random.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, type PreopenGrant } from './wasi/filesystem/index.js';
import type { WasiOptions } from './wasi/policy.js';
import { DEFAULT_CAPTURE_LIMIT_BYTES, type StdioMode } from './wasi/stdio.js';
import type { WasiNnOptions } from './nn/wasi-nn.js';
import type { WasiHttpOptions } from './http/imports.js';

// ---------------------------------------------------------------------------------------------
// The option shapes (the public types; checked and completed below)

/** Options of `createRuntime()`. */
export interface RuntimeOptions {
  /**
   * Directory of the precompile cache (default: `$SFIRT_CACHE_DIR`, else `$XDG_CACHE_HOME/sfirt`,
   * else `~/.cache/sfirt`); it must be private to this user, else it is not used (warning
   * `SFIRT_CACHE_REFUSED`). `false`: keep transpiled components in memory only.
   */
  cacheDir?: string | false;
  /** Defaults for every function loaded by this runtime. */
  defaults?: Pick<FunctionOptions, 'pool' | 'wasi' | 'limits'>;
  /**
   * `wasi:nn` for guests that import it: registered models (`load-by-name`) and engine settings.
   * One engine per backend per runtime, shared by every instance of every function; each named
   * model is parsed once per engine. Backend `wasm` (default) runs onnxruntime-web as its own
   * memory-capped wasm instance; `native` uses onnxruntime-node (optional dependency).
   */
  nn?: Omit<WasiNnOptions, 'loadNativeBinding' | 'deadline' | 'fuel'>;
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
  /**
   * An export (`func()`: no parameters, no result) the runtime calls once on every new instance,
   * after instantiation and under the same limits, before the instance serves a call. What it
   * leaves behind is the instance's initial state: in pool mode `reset`, its memory, and the
   * `wasi:nn` graphs and execution contexts it opened, survive every reset (see lib/nn/README.md).
   */
  init?: string;
  /** Bindings: `auto` (default) uses our fast canonical-ABI glue where it supports the component, else jco's. */
  glue?: GluePreference;
  /** Cap on captured stdout/stderr per stream per call, in bytes. */
  captureLimitBytes?: number;
  /** Replace a function already loaded under this name (default: loading a taken name is INVALID_ARGUMENT). */
  replace?: boolean;
}

/** Options of `createWorkerRuntime()`. */
export interface WorkerRuntimeOptions {
  /** Worker threads (default: one per core; 0 runs everything in this thread). */
  workers?: number;
  /** Options of each worker's own runtime (cache directory, defaults, wasi:nn). */
  runtime?: RuntimeOptions;
  /** Calls in flight per worker before OVERLOADED (default 1024). */
  maxPendingPerWorker?: number;
  /** V8 heap limits of each worker (default {@link DEFAULT_WORKER_RESOURCE_LIMITS}). */
  resourceLimits?: ResourceLimits;
  /**
   * Also load every function in this thread, and let `call()` run some calls here when every
   * worker is busy (default `false`). This thread dispatches every call to the workers; running a
   * share of them itself skips the cross-thread hop for those and puts it to work when the
   * workers are saturated. Calls run here block this thread for their duration (under the same
   * limits); `invoke()` and HTTP requests always go to a worker.
   */
  runHereWhenBusy?: boolean;
}

/** Function options that can cross a thread boundary (no host functions). */
export type WorkerFunctionOptions = Omit<FunctionOptions, 'imports'> & {
  /** `wasi:http` imports (types + outgoing policy) for wasi:http components. */
  http?: Omit<WasiHttpOptions, 'stats'>;
};


/** A wasm32 memory holds at most 65,536 pages of 64 KiB. */
const MAX_MEMORY_BYTES = 2 ** 32;
/**
 * Most instances one pool keeps ready (`pool.min`, made at load) or alive (`pool.max`). V8 reserves
 * address space for every wasm memory and refuses new ones at ~12,400 live memories per process;
 * 10,000 pooled `hello` instances are measured by bench/instantiate.mjs (153 MiB RSS).
 */
export const MAX_POOL_INSTANCES = 10_000;
/** Worker threads a worker runtime may start. */
export const MAX_WORKERS = 1_024;

/** `FunctionOptions` complete: defaults applied, every limit checked. */
export interface FunctionConfig extends Required<Omit<FunctionOptions, 'wasi' | 'limits' | 'pool' | 'init'>> {
  init: string | undefined;
  wasi: WasiConfig;
  /** Every limit that applies; an absent key is "no limit". */
  limits: NormalisedLimits;
  pool: Required<PoolOptions>;
}

/** `WasiOptions` complete: preopens as grants, stdin as bytes. */
export interface WasiConfig extends Required<Omit<WasiOptions, 'preopens' | 'stdin' | 'deterministic'>> {
  preopens: Record<string, Required<PreopenGrant>>;
  stdin: Uint8Array;
  /** `false` for real clocks and random. */
  deterministic: DeterminismOptions | false;
}

/** `RuntimeOptions` complete. The defaults stay partial: they are merged under each function's options. */
export interface RuntimeConfig {
  /** `false`: transpiled components in memory only; undefined: the default directory. */
  cacheDir: string | false | undefined;
  defaults: { pool: PoolOptions; wasi: WasiOptions; limits: Limits };
  nn: RuntimeNnOptions;
  /** `wasi:nn` backend of a function that names none. */
  nnBackend: NnBackend;
}

/** `WorkerRuntimeOptions` complete. */
export interface WorkerRuntimeConfig {
  workers: number;
  runtime: RuntimeOptions;
  maxPendingPerWorker: number;
  resourceLimits: ResourceLimits;
  runHereWhenBusy: boolean;
}

/** Calls queued or running per worker before new calls fail with OVERLOADED (default). */
export const DEFAULT_MAX_PENDING_PER_WORKER = 1024;
/**
 * V8 heap limits of each worker unless given: a worker past them is terminated (and replaced; its
 * calls fail with WORKER_CRASHED) instead of taking the process down. Room for the largest result
 * the default `limits.resultBytes` lets a guest hand back, lifted as JS strings, four times over.
 * 2 GiB and not less: V8 lets an old generation grow by up to 4× its live size between full
 * collections only when its limit is 2 GiB or more (64-bit; less, the cap falls linearly to 1.3×
 * at 256 MiB: 1.6× at 1 GiB), and Node's main thread gets a quarter of the machine's memory, up
 * to 4 GiB (4 GiB on this 24 GiB VM). With 1 GiB, a worker serving wasi:http ran a full
 * mark-compact 4–5× as often as the same server in the main thread (21–24 against 5 in one run;
 * the main thread limited to 1 GiB did 22), ~2–3 µs more CPU per request, mostly on V8's helper
 * threads (node --trace-gc bench/diagnostics/http-workers.mjs --path /wasi/x --old-mb 1024|2048,
 * its output summed by bench/diagnostics/gc-by-isolate.mjs).
 */
export const DEFAULT_WORKER_RESOURCE_LIMITS: Readonly<ResourceLimits> = { maxOldGenerationSizeMb: 2048 };
/** `RuntimeOptions['nn']`, given. */
type RuntimeNnOptions = NonNullable<RuntimeOptions['nn']>;

// ---------------------------------------------------------------------------------------------
// Rules: each checks one value at `path` and returns it (possibly converted), or throws.

type Rule<T> = (value: unknown, path: string) => T;
/** One rule per key of `T`, none missing: adding an option to an interface means adding its rule. */
type Rules<T> = { [K in keyof T]-?: Rule<T[K]> };

function invalid(path: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${path} must be ${expected}, got ${show(value)}`);
}

/** A short, safe rendering of a bad value for a message. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'function' ? 'a function' : `a${typeof value === 'object' ? 'n object' : ` ${typeof value}`}`;
}

/** `path.key`, or `path["key"]` when the key is not an identifier. */
function member(path: string, key: string): string {
  if (!path) return key;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * An object used as a record of options. Not only literal objects: `process.env` and objects from
 * another realm pass; arrays, typed arrays, maps and the like do not.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  return !(value instanceof Map || value instanceof Set || value instanceof Date || value instanceof RegExp
    || value instanceof Promise || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer);
}

/** An object with only the keys `rules` knows, each checked (an absent or undefined key stays absent). */
function object<T>(rules: Rules<T>): Rule<Partial<T>> {
  return (value, path) => {
    if (value === undefined) return {};
    if (!isPlainObject(value)) throw invalid(path || 'options', 'an object', value);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const rule = (rules as Record<string, Rule<unknown> | undefined>)[key];
      if (!Object.hasOwn(rules, key) || !rule) {
        throw new InvalidArgumentError(`${member(path, key)} is not an option (known: ${Object.keys(rules).join(', ')})`);
      }
      if (v !== undefined) out[key] = rule(v, member(path, key));
    }
    return out as Partial<T>;
  };
}

/** A record of any keys, each value checked by `rule`. */
function record<T>(rule: Rule<T>, what = 'an object'): Rule<Record<string, T>> {
  return (value, path) => {
    if (!isPlainObject(value)) throw invalid(path, what, value);
    const out: Record<string, T> = {};
    // defineProperty: a key named `__proto__` (an env variable, a guest path) is data, not the prototype.
    for (const [key, v] of Object.entries(value)) Object.defineProperty(out, key, { value: rule(v, member(path, key)), enumerable: true, writable: true, configurable: true });
    return out;
  };
}

function integer(min: number, max: number): Rule<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw invalid(path, `an integer from ${min} to ${max}`, value);
    }
    return value;
  };
}

/** A read-write grant's disk limit: a non-negative integer, or null for none. */
const diskLimit: Rule<number | null> = (value, path) => (value === null ? null : integer(0, Number.MAX_SAFE_INTEGER)(value, path));

function number(min: number, max: number, minExclusive = false): Rule<number> {
  return (value, path) => {
    if (typeof value !== 'number' || Number.isNaN(value) || (minExclusive ? value <= min : value < min) || value > max) {
      throw invalid(path, `a number ${minExclusive ? 'above' : 'from'} ${min} ${minExclusive ? 'up ' : ''}to ${max}`, value);
    }
    return value;
  };
}

function oneOf<T extends string>(...values: T[]): Rule<T> {
  return (value, path) => {
    if (!values.includes(value as T)) throw invalid(path, `one of ${values.map((v) => `'${v}'`).join(', ')}`, value);
    return value as T;
  };
}

const boolean: Rule<boolean> = (value, path) => {
  if (typeof value !== 'boolean') throw invalid(path, 'true or false', value);
  return value;
};

const nonEmptyString: Rule<string> = (value, path) => {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) throw invalid(path, 'a non-empty string without NUL', value);
  return value;
};

// ---------------------------------------------------------------------------------------------
// Limits

/**
 * Each limit: whether it is an integer, its largest value. `null`, `undefined` and `Infinity`
 * mean "no limit"; zero and negative values are refused.
 */
const LIMITS: { [K in keyof Limits]-?: { integer: boolean; max: number } } = {
  memoryBytes: { integer: true, max: MAX_MEMORY_BYTES },
  tableElements: { integer: true, max: 2 ** 32 - 1 },
  fuel: { integer: true, max: Number.MAX_SAFE_INTEGER },
  timeoutMs: { integer: false, max: MAX_TIMER_MS },
  resultBytes: { integer: true, max: Number.MAX_SAFE_INTEGER },
  openFiles: { integer: true, max: 2 ** 31 - 1 },
};

function limit(key: keyof Limits): Rule<number | null> {
  const { integer: whole, max } = LIMITS[key];
  return (value, path) => {
    if (value === null || value === Infinity) return null;
    if (typeof value !== 'number' || !(value > 0) || value > max || (whole && !Number.isInteger(value))) {
      throw invalid(path, `a positive ${whole ? 'integer' : 'number'} up to ${max} (or null for no limit)`, value);
    }
    return value;
  };
}

const limitsRule = object<Limits>(Object.fromEntries(Object.keys(LIMITS).map((k) => [k, limit(k as keyof Limits)])) as Rules<Limits>);

/** Limits in force: defaults, then the runtime's, then the function's; `null` removes one. */
function mergeLimits(...layers: Limits[]): NormalisedLimits {
  const merged: Limits = Object.assign({}, DEFAULT_LIMITS, ...layers);
  const out: NormalisedLimits = {};
  for (const key of Object.keys(LIMITS) as (keyof Limits)[]) {
    const v = merged[key];
    if (typeof v === 'number') out[key] = v;
  }
  return defaultResultBytes(merged, out);
}

// ---------------------------------------------------------------------------------------------
// Pool, WASI, wasi:nn

const poolRule = object<PoolOptions>({
  mode: oneOf('fresh', 'reuse', 'reset'),
  min: integer(0, MAX_POOL_INSTANCES),
  max: integer(1, MAX_POOL_INSTANCES),
  maxQueue: integer(0, 2 ** 31 - 1),
  idleTimeoutMs: number(0, MAX_TIMER_MS),
});

function completePool(pool: Required<PoolOptions>, path: string): Required<PoolOptions> {
  if (pool.min > pool.max) throw new InvalidArgumentError(`${path}.min (${pool.min}) must not exceed ${path}.max (${pool.max})`);
  return pool;
}

const wasiRule = object<WasiOptions>({
  env: (value, path) => {
    const env = record((v, p) => {
      if (typeof v !== 'string' || v.includes('\0')) throw invalid(p, 'a string without NUL', v);
      return v;
    })(value, path);
    for (const name of Object.keys(env)) {
      if (!name || /[=\0]/.test(name)) throw new InvalidArgumentError(`${member(path, name)}: a variable name must be non-empty, without "=" or NUL`);
    }
    return env;
  },
  args: (value, path) => {
    if (!Array.isArray(value)) throw invalid(path, 'an array of strings', value);
    return value.map((a, i) => {
      if (typeof a !== 'string' || a.includes('\0')) throw invalid(`${path}[${i}]`, 'a string without NUL', a);
      return a;
    });
  },
  preopens: record((grant, path): Required<PreopenGrant> => {
    const quota = { maxBytes: DEFAULT_MAX_BYTES, maxEntries: DEFAULT_MAX_ENTRIES };
    if (typeof grant === 'string') return { hostPath: nonEmptyString(grant, path), readOnly: true, ...quota };
    if (!isPlainObject(grant)) throw invalid(path, 'a host directory path or { hostPath, readOnly, maxBytes, maxEntries }', grant);
    const g = object<PreopenGrant>({ hostPath: nonEmptyString, readOnly: boolean, maxBytes: diskLimit, maxEntries: diskLimit })(grant, path);
    if (g.hostPath === undefined) throw invalid(`${path}.hostPath`, 'a non-empty string without NUL', undefined);
    return { hostPath: g.hostPath, readOnly: g.readOnly !== false, maxBytes: g.maxBytes === undefined ? quota.maxBytes : g.maxBytes, maxEntries: g.maxEntries === undefined ? quota.maxEntries : g.maxEntries };
  }),
  stdin: (value, path) => {
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw invalid(path, 'a string or a Uint8Array', value);
    return value;
  },
  stdout: oneOf<StdioMode>('capture', 'inherit', 'discard'),
  stderr: oneOf<StdioMode>('capture', 'inherit', 'discard'),
  deterministic: (value, path) => (typeof value === 'boolean' ? value : object<DeterminismOptions>({
    // Seeds and times become BigInts: integers only.
    seed: integer(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    startTimeMs: integer(0, 8.64e15),
    tickNs: integer(0, Number.MAX_SAFE_INTEGER),
  })(value, path)),
});

function completeWasi(w: WasiOptions): WasiConfig {
  return {
    env: w.env ?? {},
    args: w.args ?? [],
    preopens: (w.preopens ?? {}) as Record<string, Required<PreopenGrant>>,
    stdin: typeof w.stdin === 'string' ? new TextEncoder().encode(w.stdin) : w.stdin ?? new Uint8Array(),
    stdout: w.stdout ?? 'capture',
    stderr: w.stderr ?? 'capture',
    deterministic: w.deterministic === true ? {} : w.deterministic || false,
  };
}

const nnBackendRule = oneOf<NnBackend>('wasm', 'native');

const nnRule = object<RuntimeNnOptions>({
  backend: nnBackendRule,
  models: record((source, path) => {
    if (typeof source === 'string') return nonEmptyString(source, path);
    if (source instanceof Uint8Array) return source;
    throw invalid(path, 'ONNX bytes (Uint8Array) or a file path', source);
  }),
  maxModelBytes: integer(0, Number.MAX_SAFE_INTEGER),
  engineMemoryMaxBytes: integer(1, MAX_MEMORY_BYTES),
  maxGuestModels: integer(0, 2 ** 31 - 1),
  guestModelBytes: integer(0, Number.MAX_SAFE_INTEGER),
  quota: object<NonNullable<RuntimeNnOptions['quota']>>({
    guestModels: integer(0, 2 ** 31 - 1),
    graphs: integer(0, 2 ** 31 - 1),
    contexts: integer(0, 2 ** 31 - 1),
    tensors: integer(0, 2 ** 31 - 1),
    tensorBytes: integer(0, Number.MAX_SAFE_INTEGER),
    errors: integer(0, 2 ** 31 - 1),
  }),
  threads: integer(1, 1024),
  fuelPerMs: number(0, Number.MAX_SAFE_INTEGER),
  cacheDir: (value, path) => (value === false ? false : nonEmptyString(value, path)),
});

// An interface's entry is an object of functions; a world-level function import may also be given
// as the function itself, and `undefined` counts as absent (`normaliseHostImports` checks each shape against what the component imports).
const importsRule: Rule<HostImports> = record((members, path) => {
  if (members === undefined) return undefined as never; // spread-friendly: an undefined entry is no entry
  if (typeof members === 'function') return members as (...args: never[]) => unknown;
  if (typeof members !== 'object' || members === null) throw invalid(path, 'an object of functions, or a function for a world-level import', members);
  return members as Record<string, unknown>;
});

const functionRules: Rules<FunctionOptions> = {
  imports: importsRule,
  wasi: wasiRule,
  limits: limitsRule,
  pool: poolRule,
  nnBackend: nnBackendRule,
  init: nonEmptyString,
  glue: oneOf<GluePreference>('auto', 'fast', 'jco'),
  captureLimitBytes: integer(0, 2 ** 31 - 1),
  replace: boolean,
};

// ---------------------------------------------------------------------------------------------
// Entry points

const runtimeRule = object<RuntimeOptions>({
  cacheDir: (value, path) => (value === false ? false : nonEmptyString(value, path)),
  defaults: object<NonNullable<RuntimeOptions['defaults']>>({ pool: poolRule, wasi: wasiRule, limits: limitsRule }),
  nn: nnRule,
});

/** Checks `createRuntime()` options (`path`: where they sit, e.g. `runtime` in a worker runtime's options). */
export function runtimeConfig(options: RuntimeOptions | undefined, path = ''): RuntimeConfig {
  const o = runtimeRule(options, path);
  const defaults = { pool: o.defaults?.pool ?? {}, wasi: o.defaults?.wasi ?? {}, limits: o.defaults?.limits ?? {} };
  completePool({ ...DEFAULT_POOL, ...defaults.pool }, path ? `${path}.defaults.pool` : 'defaults.pool');
  return { cacheDir: o.cacheDir, defaults, nn: o.nn ?? {}, nnBackend: o.nn?.backend ?? 'wasm' };
}

/**
 * Checks `runtime.load()` options and completes them with the runtime's defaults (the function's
 * `pool`, `wasi` and `limits` keys win over the runtime's, key by key).
 */
export function functionConfig(options: FunctionOptions | undefined, runtime: RuntimeConfig): FunctionConfig {
  const o = object(functionRules)(options, '');
  return {
    imports: o.imports ?? {},
    wasi: completeWasi({ ...runtime.defaults.wasi, ...o.wasi }),
    limits: mergeLimits(runtime.defaults.limits, o.limits ?? {}),
    pool: completePool({ ...DEFAULT_POOL, ...runtime.defaults.pool, ...o.pool }, 'pool'),
    nnBackend: o.nnBackend ?? runtime.nnBackend,
    init: o.init,
    glue: o.glue ?? 'auto',
    captureLimitBytes: o.captureLimitBytes ?? DEFAULT_CAPTURE_LIMIT_BYTES,
    replace: o.replace ?? false,
  };
}

/**
 * Checks `workerRuntime.load()` options on the calling thread, so a bad option is reported there
 * and not as a clone failure or from inside a worker. Host functions (`imports`) cannot cross
 * threads; `http` builds the `wasi:http` imports inside each worker.
 */
export function workerFunctionOptions(options: WorkerFunctionOptions | undefined): WorkerFunctionOptions {
  if (isPlainObject(options) && 'imports' in options) {
    throw new InvalidArgumentError('imports (host functions) cannot cross to worker threads: use `http` for wasi:http, or `workers: 0`');
  }
  const { imports: _hostFunctions, ...portable } = functionRules;
  return object<WorkerFunctionOptions>({
    ...portable,
    http: object<NonNullable<WorkerFunctionOptions['http']>>({
      outgoing: (value, path) => {
        if (!isPlainObject(value)) throw invalid(path, 'an object (an outgoing HTTP policy)', value);
        return value as unknown as NonNullable<NonNullable<WorkerFunctionOptions['http']>['outgoing']>;
      },
    }),
  })(options, '');
}

/** Checks `createWorkerRuntime()` options (the workers' own runtime options included). */
export function workerRuntimeConfig(options: WorkerRuntimeOptions | undefined, cores: number): WorkerRuntimeConfig {
  const o = object<WorkerRuntimeOptions>({
    workers: integer(0, MAX_WORKERS),
    runtime: (value, path) => {
      runtimeConfig(value as RuntimeOptions, path);
      return value as RuntimeOptions;
    },
    maxPendingPerWorker: integer(1, 2 ** 31 - 1),
    resourceLimits: object<ResourceLimits>({
      maxYoungGenerationSizeMb: number(0, 2 ** 31 - 1, true),
      maxOldGenerationSizeMb: number(0, 2 ** 31 - 1, true),
      codeRangeSizeMb: number(0, 2 ** 31 - 1, true),
      stackSizeMb: number(0, 2 ** 31 - 1, true),
    }),
    runHereWhenBusy: boolean,
  })(options, '');
  return {
    workers: o.workers ?? cores,
    runtime: o.runtime ?? {},
    maxPendingPerWorker: o.maxPendingPerWorker ?? DEFAULT_MAX_PENDING_PER_WORKER,
    resourceLimits: o.resourceLimits ?? DEFAULT_WORKER_RESOURCE_LIMITS,
    runHereWhenBusy: o.runHereWhenBusy ?? false,
  };
}
