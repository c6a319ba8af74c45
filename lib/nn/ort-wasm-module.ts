import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { threadId } from 'node:worker_threads';
import { ArtifactCache, defaultCacheDir } from '../component/cache.js';
import { BackendUnavailableError } from '../errors.js';
import { Writer } from '../instrument/bytes.js';
import { isMissingModule, ORT_WEB_INSTALL } from './install-hints.js';
import { exportState, STATE_EXPORT_PREFIX } from '../instrument/export-state.js';
import { addLoopChecks, LOOP_CHECK_VERSION, STOP_FLAG_EXPORT } from '../instrument/loop-check.js';
import type { EngineState } from './engine-snapshot.js';
import { replaceableClock, wasmClock } from './ort-wasm-clock.js';

/**
 * Loads onnxruntime-web's single-threaded-capable wasm build (`ort-wasm-simd-threaded`) as a
 * factory of independent instances. The Emscripten glue creates the instance's linear memory
 * itself (`new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true })`) and imports
 * it into the module, so the only place a memory cap can be put is that constructor call: we load
 * the glue's source with that one literal replaced by an option (`sfirtMaximumPages`) and with
 * `import.meta.url` pinned to the real file, from a `data:` URL. The 14 MB module gets stop checks
 * at its loop headers (`lib/instrument/loop-check.ts`, so a watchdog thread can stop a run) and
 * exports its mutable globals and table (`exportState`, so a stopped engine can be restored); the
 * rewritten bytes are cached on disk. It is compiled once per thread and shared by that thread's
 * instances.
 */

/** The subset of the Emscripten module object the engine uses. */
export interface OrtWasmInstance {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  stackSave(): number;
  stackRestore(sp: number): void;
  stackAlloc(bytes: number): number;
  UTF8ToString(ptr: number, maxBytes?: number): string;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _OrtInit(numThreads: number, loggingLevel: number): number;
  _OrtGetLastError(codePtr: number, messagePtrPtr: number): void;
  _OrtCreateSessionOptions(
    graphOptimizationLevel: number, enableCpuMemArena: boolean, enableMemPattern: boolean, executionMode: number,
    enableProfiling: boolean, profileFilePrefix: number, logId: number, logSeverityLevel: number,
    logVerbosityLevel: number, optimizedModelFilePath: number,
  ): number;
  _OrtReleaseSessionOptions(handle: number): number;
  _OrtCreateSession(modelPtr: number, modelLength: number, sessionOptions: number): number;
  _OrtReleaseSession(handle: number): number;
  _OrtGetInputOutputCount(session: number, inputCountPtr: number, outputCountPtr: number): number;
  _OrtGetInputOutputMetadata(session: number, index: number, namePtrPtr: number, metadataPtrPtr: number): number;
  _OrtFree(ptr: number): number;
  _OrtCreateTensor(dataType: number, dataPtr: number, dataLength: number, dimsPtr: number, dimsLength: number, location: number): number;
  _OrtGetTensorData(tensor: number, typePtr: number, dataPtrPtr: number, dimsPtrPtr: number, dimsLengthPtr: number): number;
  _OrtReleaseTensor(tensor: number): number;
  _OrtCreateRunOptions(logSeverityLevel: number, logVerbosityLevel: number, terminate: boolean, tag: number): number;
  _OrtReleaseRunOptions(handle: number): number;
  _OrtRun(
    session: number, inputNamesPtr: number, inputsPtr: number, inputCount: number,
    outputNamesPtr: number, outputCount: number, outputsPtr: number, runOptions: number,
  ): number;
}

type Factory = (moduleArg: Record<string, unknown>) => Promise<OrtWasmInstance>;

/** The glue's memory constructor; `initial` is non-zero (a zero-sized one is a feature probe). */
const MEMORY_CTOR = /new WebAssembly\.Memory\(\{initial:([1-9]\d*),maximum:(\d+),shared:!0\}\)/g;
const GLUE_SPECIFIER = 'onnxruntime-web/ort-wasm-simd-threaded.mjs';
const WASM_SPECIFIER = 'onnxruntime-web/ort-wasm-simd-threaded.wasm';

/** Wasm pages (64 KiB) the glue allocates up front; a cap below this cannot start an instance. */
export const ORT_WASM_INITIAL_PAGES = 256;

interface LoadedGlue {
  factory: Factory;
  module: WebAssembly.Module;
  /** The glue's `clock_time_get` function name, when ort-wasm-clock.ts can replace it. */
  clock: string | undefined;
}

let loading: Promise<LoadedGlue> | undefined;
let compiling: Promise<WebAssembly.Module> | undefined;

/** Options for {@link compileOrtWasmModule}. */
export interface OrtWasmModuleOptions {
  /**
   * Where the rewritten engine module is cached (default: the runtime's default cache directory;
   * `false`: this process's memory only). The same private, verified cache as components.
   */
  cacheDir?: string | false;
}

/** Name of the custom section that makes each thread's copy of the engine's bytes its own. */
export const THREAD_SECTION = 'sfirt-thread';

/**
 * Compiles onnxruntime-web's wasm once per thread, with a custom section naming the thread.
 * Why: V8 keeps one native module per distinct bytes for the whole process, and its tier-up
 * budget with it. onnxruntime's initialisation is one 886 KB function run once per engine; with
 * two workers' engines on one native module it crosses the budget and V8 re-compiles it with
 * TurboFan: 1.5–6 s of one core and ~240 MB of compiler memory right after start
 * (`node --trace-wasm-compilation-times`). With bytes of its own, each worker tiers up only what it
 * runs hot (`bench/diagnostics/worker-start.mjs`: peak RSS ~150 MiB lower, full speed seconds sooner).
 */
export function compileOrtWasmModule(options: OrtWasmModuleOptions = {}): Promise<WebAssembly.Module> {
  compiling ??= compileChecked(options.cacheDir ?? defaultCacheDir()).catch((err: unknown) => {
    compiling = undefined;
    throw err;
  });
  return compiling;
}

/**
 * Compiles onnxruntime-web's engine module with loop-header stop checks, from the disk cache when
 * an earlier process rewrote it (the rewrite of 14 MB takes ~1 s), else rewritten now and cached
 * (best effort: a read-only cache directory only costs the rewrite again next time; a damaged
 * cache entry is rewritten).
 */
async function compileChecked(cacheDir: string | false | undefined): Promise<WebAssembly.Module> {
  const original = await readFile(new URL(import.meta.resolve(WASM_SPECIFIER)));
  const stamp = { kind: 'ort-engine', engine: createHash('sha256').update(original).digest('hex'), loopCheck: LOOP_CHECK_VERSION, state: true };
  const key = `ort-engine-${stamp.engine.slice(0, 32)}-loop-check-${LOOP_CHECK_VERSION}-state`;
  const cache = new ArtifactCache(cacheDir);
  const compile = (bytes: Uint8Array) => WebAssembly.compile(withCustomSection(bytes, THREAD_SECTION, String(threadId)));
  const found = await cache.get(key, stamp);
  if (found.status === 'hit' && found.entry.files['engine.wasm']) {
    try {
      return await compile(found.entry.files['engine.wasm']);
    } catch {
      // fall through: rewrite
    }
  }
  const bytes = exportState(addLoopChecks(original).bytes);
  await cache.put(key, stamp, { files: { 'engine.wasm': bytes }, meta: {} }, found.status === 'invalid' ? found.reason : undefined);
  return compile(bytes);
}

/** `bytes` with a custom section (id 0) appended: custom sections may follow every other section. */
function withCustomSection(bytes: Uint8Array, name: string, content: string): Uint8Array<ArrayBuffer> {
  const body = new Writer(64);
  const nameBytes = Buffer.from(name);
  body.u32(nameBytes.length);
  body.bytes(nameBytes);
  body.bytes(Buffer.from(content));
  const out = new Writer(bytes.length + body.len + 6);
  out.bytes(bytes);
  out.u8(0);
  out.u32(body.len);
  out.bytes(body.buf, 0, body.len);
  return out.buf.subarray(0, out.len);
}

/**
 * Rewrites the glue so the memory maximum comes from `moduleArg.sfirtMaximumPages`. Exported for
 * tests; throws when the glue does not contain exactly one memory constructor (a different build).
 */
export function patchGlueSource(source: string, glueUrl: string): string {
  const found = [...source.matchAll(MEMORY_CTOR)];
  if (found.length !== 1 || Number(found[0]![1]) !== ORT_WASM_INITIAL_PAGES) {
    throw new BackendUnavailableError(`unrecognised onnxruntime-web glue: expected one ${ORT_WASM_INITIAL_PAGES}-page memory constructor, found ${found.length}`);
  }
  return source
    .replace(MEMORY_CTOR, (_m, initial: string, maximum: string) =>
      `new WebAssembly.Memory({initial:${initial},maximum:moduleArg.sfirtMaximumPages??${maximum},shared:!0})`)
    .replaceAll('import.meta.url', JSON.stringify(glueUrl));
}

async function load(options: OrtWasmModuleOptions): Promise<LoadedGlue> {
  try {
    const glueUrl = import.meta.resolve(GLUE_SPECIFIER);
    const source = patchGlueSource(await readFile(new URL(glueUrl), 'utf8'), glueUrl);
    if (!source.includes('async function ortWasmThreaded(moduleArg={})')) {
      throw new BackendUnavailableError('unrecognised onnxruntime-web glue: factory signature changed');
    }
    const [glue, module] = await Promise.all([
      import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`) as Promise<{ default: Factory }>,
      compileOrtWasmModule(options),
    ]);
    return { factory: glue.default, module, clock: replaceableClock(source) };
  } catch (err) {
    loading = undefined; // let a later call retry
    if (err instanceof BackendUnavailableError) throw err;
    if (isMissingModule(err)) throw new BackendUnavailableError(ORT_WEB_INSTALL, { cause: err });
    throw new BackendUnavailableError(`cannot load onnxruntime-web's wasm build: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** One engine instance: the Emscripten module, its state (shared memory, globals, table) and its stop-flag global. */
export interface OrtWasmStart {
  wasm: OrtWasmInstance;
  state: EngineState;
  /** Holds the address of the byte that, once non-zero, makes the engine trap at its next checked loop. */
  stopFlag: WebAssembly.Global;
}

/**
 * Starts one onnxruntime-web wasm instance with its own linear memory capped at `maximumPages`.
 * Single-threaded: no pthread workers are created. Rejects with `BackendUnavailableError` when the
 * package cannot be loaded.
 */
export async function instantiateOrtWasm(maximumPages: number, options: OrtWasmModuleOptions = {}): Promise<OrtWasmStart> {
  loading ??= load(options);
  const { factory, module, clock } = await loading;
  // The glue assigns `global.Worker` (for pthreads, unused at one thread); keep the global as it was.
  const hadWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  let memory: WebAssembly.Memory | undefined;
  let stopFlag: WebAssembly.Global | undefined;
  const globals: WebAssembly.Global[] = [];
  const tables: WebAssembly.Table[] = [];
  try {
    const wasm = await factory({
      numThreads: 1,
      sfirtMaximumPages: maximumPages,
      instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
        memory = findMemory(imports);
        if (clock !== undefined && memory !== undefined) replaceClock(imports, clock, memory);
        const instance = new WebAssembly.Instance(module, imports);
        const flag = instance.exports[STOP_FLAG_EXPORT];
        if (flag instanceof WebAssembly.Global) stopFlag = flag;
        for (const [name, value] of Object.entries(instance.exports)) {
          if (!name.startsWith(STATE_EXPORT_PREFIX)) continue;
          if (value instanceof WebAssembly.Global) globals.push(value);
          else if (value instanceof WebAssembly.Table) tables.push(value);
        }
        done(instance, module);
        return instance.exports;
      },
    });
    if (!memory || !stopFlag) throw new BackendUnavailableError('unrecognised onnxruntime-web build: no imported memory or stop flag');
    return { wasm, state: { memory, globals, tables }, stopFlag };
  } finally {
    if (hadWorker) Object.defineProperty(globalThis, 'Worker', hadWorker);
    else delete (globalThis as { Worker?: unknown }).Worker;
  }
}

/** Puts ort-wasm-clock.ts's clock in place of the glue's function `name`, when exactly one import is that function. */
function replaceClock(imports: WebAssembly.Imports, name: string, memory: WebAssembly.Memory): void {
  const found: [Record<string, unknown>, string][] = [];
  for (const members of Object.values(imports)) {
    for (const [key, value] of Object.entries(members)) if (typeof value === 'function' && value.name === name) found.push([members as Record<string, unknown>, key]);
  }
  if (found.length !== 1) return;
  const [members, key] = found[0]!;
  members[key] = wasmClock(memory);
}

/** The memory among the glue's imports (it creates one and imports it under a minified name). */
function findMemory(imports: WebAssembly.Imports): WebAssembly.Memory | undefined {
  for (const members of Object.values(imports)) {
    for (const value of Object.values(members)) if (value instanceof WebAssembly.Memory) return value;
  }
  return undefined;
}
