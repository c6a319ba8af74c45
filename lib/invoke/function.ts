import type { LoadedComponent } from '../component/loader.js';
import { ClosedError, SfiError, type HostFunctionError } from '../errors.js';
import { InstancePool, type Lease, type PoolOptions } from '../pool/pool.js';
import type { CapturedOutput, StdioCapture } from '../wasi/stdio.js';
import type { GuestExitError } from '../wasi/policy.js';
import { listExportNames, lookupExport } from './exports.js';
import { instantiateComponent, type ComponentInstance, type InstanceHooks } from './instance.js';
import { toTypedError } from './trap.js';

/** Measurements of one call. */
export interface CallStats {
  /** True when the call had to instantiate (pool miss). */
  coldStart: boolean;
  queueUs: number;
  /** Instantiation time paid by this call (0 on a pool hit). */
  instantiateUs: number;
  /** Time inside the guest export. */
  runUs: number;
  /** Fuel the call consumed (undefined when metering is off). */
  fuelUsed: number | undefined;
  /** Bytes of linear memory the instance has after the call. */
  memoryBytes: number;
}

/** A call's value together with its captured output and stats. */
export interface Invocation<T = unknown> extends CapturedOutput {
  value: T;
  stats: CallStats;
}

/** State shared by the host side of one function's imports during a call. */
export interface CallContext {
  hostFailure: HostFunctionError | undefined;
  exit: GuestExitError | undefined;
}

/** What a function needs from the layers around it (limits, argument checks). */
export interface FunctionParts {
  component: LoadedComponent;
  imports: Record<string, object>;
  capture: StdioCapture;
  context: CallContext;
  pool?: PoolOptions;
  /** Per-instance hooks, e.g. a fresh fuel meter. */
  hooks?: () => InstanceHooks;
  /** Checks arguments against the WIT signature; throws INVALID_ARGUMENT. */
  validate?: (exportName: string, args: unknown[]) => void;
  /** Arms limits before the guest runs, returns a function that reads fuel and classifies stops. */
  limits?: {
    arm(instance: ComponentInstance): void;
    fuelUsed(instance: ComponentInstance): number | undefined;
    classify(instance: ComponentInstance, err: unknown): SfiError | undefined;
  };
}

/** A loaded component, callable by export name. Every failure is typed, and the failing instance is discarded. */
export class SfiFunction {
  readonly pool: InstancePool;
  #parts: FunctionParts;
  #closed = false;
  #exportCache = new Map<string, (...a: unknown[]) => unknown>();

  constructor(readonly name: string, parts: FunctionParts) {
    this.#parts = parts;
    this.pool = new InstancePool(() => instantiateComponent(parts.component, parts.imports, parts.hooks?.() ?? {}), parts.pool);
  }

  /** The component's world as WIT text. */
  get wit(): string { return this.#parts.component.wit; }
  /** How loading went (cache hit, transpile and compile times). */
  get loadTimings() { return this.#parts.component.timings; }

  /** Names accepted by `call()`. */
  exportNames(): string[] {
    const probe = this.pool.tryAcquire();
    if (!probe) return [];
    try { return listExportNames(probe.instance.exports); } finally { this.pool.release(probe.instance); }
  }

  /** Calls an export and resolves to its value. */
  async call<T = unknown>(exportName: string, ...args: unknown[]): Promise<T> {
    return (await this.invoke<T>(exportName, args)).value;
  }

  /** Calls an export and resolves to its value, captured stdout/stderr and stats. */
  async invoke<T = unknown>(exportName: string, args: unknown[] = []): Promise<Invocation<T>> {
    if (this.#closed) throw new ClosedError(`function ${this.name} is closed`);
    this.#parts.validate?.(exportName, args);
    const lease = this.pool.tryAcquire() ?? (await this.pool.acquire());
    return this.#run<T>(lease, exportName, args);
  }

  #run<T>(lease: Lease, exportName: string, args: unknown[]): Invocation<T> {
    const { instance } = lease;
    const { capture, context, limits } = this.#parts;
    let fn: (...a: unknown[]) => unknown;
    try {
      fn = this.#resolve(instance, exportName);
    } catch (err) {
      this.pool.release(instance);
      throw err;
    }
    context.hostFailure = undefined;
    context.exit = undefined;
    capture.begin();
    limits?.arm(instance);
    const t0 = performance.now();
    let value: unknown;
    try {
      value = fn(...args);
    } catch (err) {
      instance.broken = true;
      capture.end();
      this.pool.release(instance);
      throw context.hostFailure ?? context.exit ?? limits?.classify(instance, err) ?? toTypedError(err);
    }
    const runUs = (performance.now() - t0) * 1000;
    instance.uses++;
    const output = capture.end();
    const stats: CallStats = {
      coldStart: lease.cold,
      queueUs: lease.queueUs,
      instantiateUs: lease.cold ? instance.instantiateUs : 0,
      runUs,
      fuelUsed: limits?.fuelUsed(instance),
      memoryBytes: instance.memoryBytes(),
    };
    this.pool.release(instance);
    return { value: value as T, ...output, stats };
  }

  #resolve(instance: ComponentInstance, exportName: string): (...a: unknown[]) => unknown {
    // jco's export functions close over their instance, so the cache is per instance.
    if (instance !== this.#lastInstance) { this.#exportCache.clear(); this.#lastInstance = instance; }
    let fn = this.#exportCache.get(exportName);
    if (!fn) { fn = lookupExport(instance.exports, exportName); this.#exportCache.set(exportName, fn); }
    return fn;
  }
  #lastInstance: ComponentInstance | undefined;

  /** Releases every instance; later calls fail with `CLOSED`. */
  close(): void {
    this.#closed = true;
    this.pool.close();
  }
}
