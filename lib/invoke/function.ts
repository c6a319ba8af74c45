import type { LoadedComponent } from '../component/loader.js';
import type { NnError } from '../nn/errors.js';
import type { WasiNn } from '../nn/wasi-nn.js';
import { ClosedError, SfiError, UnknownExportError, type HostFunctionError } from '../errors.js';
import type { Meter } from '../limits/index.js';
import { InstancePool, type Lease, type PoolOptions } from '../pool/pool.js';
import type { CapturedOutput, StdioCapture } from '../wasi/stdio.js';
import type { GuestExitError } from '../wasi/policy.js';
import type { BoundExport, ComponentSignatures } from './signatures.js';
import { instantiateComponent, type ComponentInstance, type InstanceHooks } from './instance.js';
import { instantiationError, toTypedError } from './trap.js';

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
  /** The `wasi:nn` error the guest was handed during this call, if any (the guest may have recovered). */
  nnError?: NnError;
}

/** Per-call options of `invoke()`. */
export interface InvokeOptions {
  /** Absolute deadline (`performance.now()` ms); the earlier of it and `limits.timeoutMs` applies. */
  deadlineAt?: number;
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
  /** The component's typed exports (lookup, argument validation, result shaping). */
  signatures: ComponentSignatures;
  /** Arms limits before the guest runs, returns a function that reads fuel and classifies stops. */
  limits?: {
    arm(meter: Meter | undefined, deadlineAt: number | undefined, now: number): void;
    /** Returns a limit failure the call must still fail with (caught by the guest, or fuel overdrawn). */
    disarm(meter?: Meter): Error | undefined;
    fuelUsed(instance: ComponentInstance): number | undefined;
    classify(meter: Meter | undefined, err: unknown): SfiError | undefined;
    deadlineError(instance?: ComponentInstance): SfiError;
  };
  /** The runtime's `wasi:nn` host, when the component imports it. */
  nn?: WasiNn;
}

/** A loaded component, callable by export name. Every failure is typed, and the failing instance is discarded. */
export class SfiFunction {
  readonly pool: InstancePool;
  #parts: FunctionParts;
  #closed = false;

  constructor(readonly name: string, parts: FunctionParts) {
    this.#parts = parts;
    this.pool = new InstancePool((deadlineAt) => this.#instantiate(deadlineAt), parts.pool);
  }

  /**
   * Instantiates under the function's limits, as a call of its own (start functions run here; a
   * pool miss also honours its caller's `deadlineAt`); failures are typed.
   */
  #instantiate(deadlineAt: number | undefined): ComponentInstance {
    const { component, imports, hooks, limits, context } = this.#parts;
    const h = hooks?.() ?? {};
    context.hostFailure = undefined;
    context.exit = undefined;
    limits?.arm(h.meter, deadlineAt, performance.now());
    let instance: ComponentInstance;
    try {
      instance = instantiateComponent(component, imports, h);
    } catch (err) {
      limits?.disarm();
      throw context.hostFailure ?? context.exit ?? limits?.classify(h.meter, err) ?? instantiationError(err);
    }
    const late = limits?.disarm(h.meter);
    if (late) { // a limit the start function overdrew or caught: the instance is not kept
      instance.dispose();
      throw late;
    }
    return instance;
  }

  /** The component's world as WIT text. */
  get wit(): string { return this.#parts.component.wit; }
  /** How loading went (cache hit, transpile and compile times). */
  get loadTimings() { return this.#parts.component.timings; }
  /** Which bindings the instances use (`fast`: ours; `jco`: jco's generated glue), and why not fast. */
  get glue(): { kind: 'fast' | 'jco'; fallbackReason?: string } {
    const { glue, glueFallbackReason } = this.#parts.component;
    return glueFallbackReason ? { kind: glue, fallbackReason: glueFallbackReason } : { kind: glue };
  }

  /** Canonical names of the exports `call()` accepts (world-level name, or `interface#function`). */
  exportNames(): string[] {
    return this.#parts.signatures.exportNames();
  }

  /** Calls an export and resolves to its value. */
  call<T = unknown>(exportName: string, ...args: unknown[]): Promise<T> {
    return this.invoke<T>(exportName, args).then(valueOf);
  }

  /**
   * Calls an export and resolves to its value, captured stdout/stderr and stats. `deadlineAt`
   * (a `performance.now()` time) ends the call earlier than `limits.timeoutMs` would, with
   * `DEADLINE_EXCEEDED`: an HTTP route's budget, say.
   */
  async invoke<T = unknown>(exportName: string, args: unknown[] = [], options: InvokeOptions = {}): Promise<Invocation<T>> {
    if (this.#closed) throw new ClosedError(`function ${this.name} is closed`);
    const bound = this.#parts.signatures.bind(exportName);
    bound.validate(args);
    const lease = this.pool.tryAcquire(options.deadlineAt) ?? (await this.pool.acquire(options.deadlineAt));
    return this.#run<T>(lease, bound, args, options.deadlineAt);
  }

  #run<T>(lease: Lease, bound: BoundExport, args: unknown[], deadlineAt: number | undefined): Invocation<T> {
    const { instance } = lease;
    const { capture, context, limits, nn } = this.#parts;
    const holder = (bound.holderKey === undefined ? instance.exports : instance.exports[bound.holderKey]) as Record<string, unknown>;
    const fn = holder?.[bound.signature.jsName];
    if (typeof fn !== 'function') {
      this.pool.release(instance);
      throw new UnknownExportError(bound.signature.qualifiedName, this.exportNames());
    }
    context.hostFailure = undefined;
    context.exit = undefined;
    capture.begin();
    nn?.takeLastError();
    const t0 = performance.now();
    limits?.arm(instance.hooks.meter, deadlineAt, t0);
    let value: unknown;
    let late: Error | undefined;
    try {
      value = fn(...args);
      if (bound.returnsResult) value = { tag: 'ok', val: value };
    } catch (err) {
      if (bound.returnsResult && isComponentError(err)) {
        value = { tag: 'err', val: err.payload };
      } else {
        this.#fail(instance, err);
      }
    } finally {
      late = limits?.disarm(instance.hooks.meter);
    }
    if (late) this.#fail(instance, late, true);
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
    const nnError = nn?.takeLastError();
    if (nnError?.nnCode === 'timeout' && limits) {
      // Inference ran past the deadline (or used up the call's fuel): the guest got `timeout`,
      // the caller gets the limit error.
      instance.broken = true;
      this.pool.release(instance);
      throw limits.deadlineError(instance);
    }
    this.pool.release(instance);
    return nnError ? { value: value as T, ...output, stats, nnError } : { value: value as T, ...output, stats };
  }

  /** Discards the instance and throws the typed error that explains `err` (`err` itself when `typed`). */
  #fail(instance: ComponentInstance, err: unknown, typed = false): never {
    const { capture, context, limits, nn } = this.#parts;
    instance.broken = true;
    capture.end();
    this.pool.release(instance);
    if (typed) throw err;
    throw context.hostFailure ?? context.exit ?? limits?.classify(instance.hooks.meter, err) ?? nn?.takeLastError() ?? toTypedError(err);
  }

  /** Releases every instance; later calls fail with `CLOSED`. */
  close(): void {
    this.#closed = true;
    this.pool.close();
  }
}

const valueOf = <T>(invocation: Invocation<T>): T => invocation.value;

/** jco reports a `result` export's `err` by throwing its `ComponentError` with the value in `payload`. */
function isComponentError(err: unknown): err is { payload: unknown } {
  return err instanceof Error && err.constructor.name === 'ComponentError' && 'payload' in err;
}
