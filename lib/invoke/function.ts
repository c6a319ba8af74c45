import type { LoadedComponent } from '../component/loader.js';
import type { NnError } from '../errors.js';
import type { WasiNn } from '../nn/wasi-nn.js';
import { ClosedError, InvalidArgumentError, InvalidHandleError, SfiError, UnknownExportError, type HostFunctionError } from '../errors.js';
import type { Meter } from '../limits/index.js';
import { InstancePool, type Lease, type PoolOptions } from '../pool/pool.js';
import type { CapturedOutput, StdioCapture } from '../wasi/stdio.js';
import type { GuestExitError } from '../wasi/policy.js';
import type { BoundExport, BoundHandles, ComponentSignatures } from './signatures.js';
import { HandleRegistry, ResourceHandle, type HandleState } from './handles.js';
import { instantiateComponent, type ComponentInstance, type InstanceHooks } from '../pool/instance.js';
import { InstanceScope } from '../host/scope.js';
import { instantiationError, toTypedError } from './trap.js';
import { enterFrame, leaveFrame, restoreThreadState, saveThreadState, takeThread, type CallFrame, type ThreadCallState } from '../limits/call-frame.js';
import type { CaptureState } from '../wasi/stdio.js';
import { MAY_SUSPEND } from '../component/jspi.js';
import { resetFollows } from '../component/fast/bindings.js';

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
  /**
   * `false` refuses exports that take or give resource handles (`INVALID_ARGUMENT`): for callers
   * that cannot keep a handle, such as another thread.
   */
  handles?: boolean;
  /**
   * Runs the call on the instance of this live handle (of this function), like a call that takes
   * the handle would: to make several resources in one instance, or to read an instance's state,
   * in `fresh` and `reset` pools, where calls without handles get other instances.
   */
  on?: ResourceHandle;
  /**
   * Checks the call's outcome before its instance goes back to the pool (a `wasi:http` handler
   * must have set a valid response, say): an error returned here fails the call with it, and the
   * instance is discarded like after a trap.
   */
  validate?: () => SfiError | undefined;
}

/** State shared by the host side of one function's imports during a call. */
export interface CallContext {
  hostFailure: HostFunctionError | undefined;
  exit: GuestExitError | undefined;
}

/** What a function needs from the layers around it (limits, argument checks). */
export interface FunctionParts {
  component: LoadedComponent;
  /** Builds one instance's import object, its host state owned by `scope` (lib/host/scope.ts). */
  imports: (scope: InstanceScope) => Record<string, object>;
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
    /** Per-call bookkeeping, kept by a suspended call while others run (lib/limits/call-frame.ts). */
    save(): unknown;
    restore(saved: never): void;
    classify(meter: Meter | undefined, err: unknown): SfiError | undefined;
    deadlineError(instance?: ComponentInstance): SfiError;
  };
  /** The runtime's `wasi:nn` host, when the component imports it. */
  nn?: WasiNn;
  /**
   * The function's init export (option `init`, lib/invoke/init-export.ts), run on every new
   * instance before its state is recorded as initial.
   */
  init?: (exports: Record<string, unknown>) => void;
}

/** A loaded component, callable by export name. Every failure is typed, and the failing instance is discarded. */
export class SfiFunction {
  readonly pool: InstancePool;
  #parts: FunctionParts;
  #closed = false;
  /** Live resource handles and the instances they pin (lib/invoke/handles.ts). */
  readonly #handles: HandleRegistry;

  constructor(readonly name: string, parts: FunctionParts) {
    this.#parts = parts;
    this.pool = new InstancePool((deadlineAt) => this.#instantiate(deadlineAt), parts.pool);
    this.#handles = new HandleRegistry({
      runDrop: (state) => this.#runDrop(state),
      collected: (instance) => this.#collected(instance),
    }, name);
    this.#exclusivePins = this.pool.options.mode !== 'reuse';
    this.#resets = this.pool.options.mode === 'reset';
    this.pool.retain = (instance) => this.#handles.isPinned(instance);
  }

  /**
   * Instantiates under the function's limits, as a call of its own (start functions run here; a
   * pool miss also honours its caller's `deadlineAt`); failures are typed.
   */
  #instantiate(deadlineAt: number | undefined): ComponentInstance {
    const { component, imports, hooks, limits, context, init, nn } = this.#parts;
    const h = hooks?.() ?? {};
    takeThread();
    context.hostFailure = undefined;
    context.exit = undefined;
    const scope = new InstanceScope();
    limits?.arm(h.meter, deadlineAt, performance.now());
    let instance: ComponentInstance;
    try {
      instance = instantiateComponent(component, imports(scope), h, init);
    } catch (err) {
      limits?.disarm();
      scope.releaseAll();
      throw context.hostFailure ?? context.exit ?? limits?.classify(h.meter, err) ?? instantiationError(err);
    }
    instance.scope = scope;
    if (init) nn?.takeLastError(); // a wasi:nn error the init export saw (and handled) is no call's
    const late = limits?.disarm(h.meter);
    if (late) { // a limit the start function overdrew or caught: the instance is not kept
      instance.dispose();
      throw late;
    }
    // What the instance holds now is its initial state: a reset keeps it, and releases the rest.
    scope.mark();
    return instance;
  }

  /**
   * `fresh` and `reset` pools would discard or reset an instance after the call: there, live
   * handles keep their instance leased, out of the pool. A `reuse` pool keeps serving it (the
   * instance's state is shared by its calls anyway) and only never lets it time out.
   */
  readonly #exclusivePins: boolean;
  /** Pool `reset`: an instance leased from the pool for a call without handles is reset (or discarded) right after it. */
  readonly #resets: boolean;

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

  /**
   * Calls an export and resolves to its value. A call that needs no wait (a pool hit, an export
   * that cannot suspend) runs synchronously to the end and settles one promise: no stats object,
   * no output record, no second promise (this is the warm-call path).
   */
  call<T = unknown>(exportName: string, ...args: unknown[]): Promise<T> {
    try {
      const out = this.#start<T>(exportName, args, NO_OPTIONS, false);
      return out instanceof Promise ? out.then(valueOf) : Promise.resolve(out.value);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Calls an export and resolves to its value, captured stdout/stderr and stats. `deadlineAt`
   * (a `performance.now()` time) ends the call earlier than `limits.timeoutMs` would, with
   * `DEADLINE_EXCEEDED`: an HTTP route's budget, say.
   */
  invoke<T = unknown>(exportName: string, args: unknown[] = [], options: InvokeOptions = {}): Promise<Invocation<T>> {
    try {
      return Promise.resolve(this.#start<T>(exportName, args, options, true));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * `invoke()` for the host's own layers (lib/http), without the promise when the call ends
   * synchronously (a pool hit, an export that cannot suspend): the invocation itself; else a
   * promise of it. Failures of a synchronous call are thrown, of a later one rejected; every
   * behaviour is `invoke()`'s (it is the same call).
   */
  invokeNow<T = unknown>(exportName: string, args: unknown[], options: InvokeOptions = NO_OPTIONS): Invocation<T> | Promise<Invocation<T>> {
    return this.#start<T>(exportName, args, options, true);
  }

  /**
   * Runs a call as far as it can go synchronously: to its end on a pool hit (the value, or a typed
   * error thrown), else a promise. Without `withStats` the invocation carries the value only
   * (`call()`: it would drop the rest).
   */
  #start<T>(exportName: string, args: unknown[], options: InvokeOptions, withStats: boolean): Invocation<T> | Promise<Invocation<T>> {
    if (this.#closed) throw new ClosedError(`function ${this.name} is closed`);
    const bound = this.#parts.signatures.bind(exportName);
    if (bound.handles || options.on !== undefined) return this.#invokeWithHandles<T>(bound, bound.handles ?? NO_HANDLES, args, options);
    bound.validate(args);
    const lease = this.pool.tryAcquire(options.deadlineAt);
    // No handle in or out: the instance goes back to the pool after the call (reset in a `reset` pool).
    if (lease) return this.#run<T>(lease, bound, args, options.deadlineAt, undefined, undefined, options.validate, withStats, this.#resets);
    return this.pool.acquire(options.deadlineAt).then((queued) => this.#run<T>(queued, bound, args, options.deadlineAt, undefined, undefined, options.validate, withStats, this.#resets));
  }

  /**
   * A call that takes or gives resource handles: handles in the arguments are checked and
   * replaced by the glue's objects, and the call runs on their instance (which they pin); handles
   * in the result pin the instance that made them.
   */
  async #invokeWithHandles<T>(bound: BoundExport, handles: BoundHandles, args: unknown[], options: InvokeOptions): Promise<Invocation<T>> {
    const f = bound.signature;
    if (options.handles === false) throw new InvalidArgumentError(`${f.qualifiedName} takes or gives resource handles, which cannot be kept here`);
    if (!Array.isArray(args)) throw new InvalidArgumentError(`${f.qualifiedName}: arguments must be an array`);
    const registry = this.#handles;
    const used: { state: HandleState; own: boolean }[] = [];
    let self: HandleState | undefined;
    let params = args;
    if (handles.self !== undefined) {
      if (args.length === 0) throw new InvalidArgumentError(`${f.qualifiedName}: the first argument must be the handle (\`self\`)`);
      self = registry.stateOf(args[0], handles.self, `${f.qualifiedName}: argument \`self\``);
      used.push({ state: self, own: false });
      params = args.slice(1);
    }
    if (options.on !== undefined) {
      const on = options.on instanceof ResourceHandle ? options.on.resource : '';
      used.push({ state: registry.stateOf(options.on, on, `${f.qualifiedName}: option \`on\``), own: false });
    }
    bound.validate(params);
    const glueArgs = params.map((p, i) => {
      const walk = handles.params[i];
      if (!walk) return p;
      return walk(p, (v, resource, own) => {
        const state = registry.stateOf(v, resource, `${f.qualifiedName}: argument ${i + 1} (\`${f.params[i]!.name}\`)`);
        used.push({ state, own });
        return state.glue;
      });
    });
    let instance = used[0]?.state.instance;
    // A call that may suspend runs on the handle's instance: wait until it is over (one call at a
    // time per instance), then check the handles again (that call may have failed, or moved them).
    while (instance?.running) {
      await instance.running;
      for (const u of used) if (u.state.dead) throw new InvalidHandleError(u.state.dead, `${f.qualifiedName}: the handle of \`${u.state.resource}\` is no longer usable (${u.state.dead})`);
      instance = used[0]?.state.instance;
    }
    for (const u of used) {
      if (u.state.instance !== instance) throw new InvalidHandleError('other-instance', `${f.qualifiedName}: handles from different instances in one call`);
      if (u.own && used.some((o) => o !== u && o.state === u.state)) throw new InvalidArgumentError(`${f.qualifiedName}: a handle passed as \`own\` cannot be passed twice`);
    }
    const lease = instance ? this.#leaseOf(instance) : this.pool.tryAcquire(options.deadlineAt) ?? (await this.pool.acquire(options.deadlineAt));
    return this.#run<T>(lease, bound, glueArgs, options.deadlineAt, self?.glue, used.filter((u) => u.own).map((u) => u.state), options.validate);
  }

  /** The lease for a call on a handle's instance: it is ours already (exclusive), or idle in the pool. */
  #leaseOf(instance: ComponentInstance): Lease {
    if (this.#exclusivePins) return { instance, cold: false, queueUs: 0 };
    const lease = this.pool.takeIdle(instance);
    // Calls run synchronously once leased, so a live handle's instance is always idle here.
    if (!lease) throw new InvalidHandleError('instance-gone', `the instance of this handle is no longer available`);
    return lease;
  }

  /**
   * `resetAfter`: the instance is reset or discarded once this call returns, before anything else
   * runs in it (the glue may then skip a pure post-return: `resetFollows` in fast/bindings.ts).
   */
  #run<T>(lease: Lease, bound: BoundExport, args: unknown[], deadlineAt: number | undefined, self?: object, moved?: HandleState[], validate?: InvokeOptions['validate'], withStats = true, resetAfter = false): Invocation<T> | Promise<Invocation<T>> {
    const { instance } = lease;
    const { capture, context, limits, nn } = this.#parts;
    const holder = (bound.holderKey === undefined ? instance.exports : instance.exports[bound.holderKey]) as Record<string, unknown>;
    const fn = bound.signature.kind === 'freestanding' ? holder?.[bound.signature.jsName] : resourceCall(bound, holder, self);
    if (typeof fn !== 'function') {
      this.#releaseAfterCall(instance);
      throw new UnknownExportError(bound.signature.qualifiedName, this.exportNames());
    }
    // An export that may suspend (freestanding ones say so; resource functions are wrapped here).
    if (instance.maySuspend && (bound.signature.kind !== 'freestanding' || (fn as unknown as Record<symbol, unknown>)[MAY_SUSPEND] === true)) return this.#runSuspending<T>(lease, bound, fn as (...a: unknown[]) => unknown, args, deadlineAt, moved, validate);
    takeThread();
    const t0 = this.#beginCall(instance, deadlineAt);
    let value: unknown;
    let late: Error | undefined;
    const resetBefore = resetFollows.now;
    resetFollows.now = resetAfter;
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
      resetFollows.now = resetBefore;
      late = limits?.disarm(instance.hooks.meter);
    }
    if (late) this.#fail(instance, late, true);
    return this.#complete<T>(lease, bound, value, t0, moved, validate, withStats);
  }

  /** Starts a call on the thread: clears its failure slots and output, arms its limits; returns its start time. */
  #beginCall(instance: ComponentInstance, deadlineAt: number | undefined): number {
    const { capture, context, limits, nn } = this.#parts;
    context.hostFailure = undefined;
    context.exit = undefined;
    capture.begin();
    nn?.takeLastError();
    const t0 = performance.now();
    limits?.arm(instance.hooks.meter, deadlineAt, t0);
    return t0;
  }

  /**
   * A call on an instance whose exports may suspend (async host imports, JSPI): the same steps as
   * `#run`, in a frame of its own (lib/limits/call-frame.ts), since other calls run while it is
   * suspended. The instance stays leased throughout; `instance.running` tells calls given one of
   * its handles to wait. Time suspended counts against the deadline (the host wrapper races it).
   */
  async #runSuspending<T>(lease: Lease, bound: BoundExport, fn: (...a: unknown[]) => unknown, args: unknown[], deadlineAt: number | undefined, moved?: HandleState[], validate?: InvokeOptions['validate']): Promise<Invocation<T>> {
    const { instance } = lease;
    const { capture, context, limits, nn } = this.#parts;
    const frame = this.#frame();
    let done!: () => void;
    instance.running = new Promise<void>((resolve) => { done = resolve; });
    try {
      enterFrame(frame, true);
      const t0 = this.#beginCall(instance, deadlineAt);
      let value: unknown;
      let failure: unknown;
      let failed = false;
      try {
        // Exports that cannot reach an async import stay plain (fast/reach.ts): their value is
        // not a promise, and the call never left this frame.
        value = fn(...args);
        if (value instanceof Promise) value = await value;
        enterFrame(frame);
        if (bound.returnsResult) value = { tag: 'ok', val: value };
      } catch (err) {
        enterFrame(frame);
        if (bound.returnsResult && isComponentError(err)) value = { tag: 'err', val: err.payload };
        else { failed = true; failure = err; }
      }
      const late = limits?.disarm(instance.hooks.meter);
      if (failed) this.#fail(instance, failure);
      if (late) this.#fail(instance, late, true);
      return this.#complete<T>(lease, bound, value, t0, moved, validate);
    } finally {
      leaveFrame(frame);
      instance.running = undefined;
      done();
    }
  }

  /** The frame of one suspending call: what it keeps of the thread's and this function's call state. */
  #frame(): CallFrame {
    const { capture, context, limits, nn } = this.#parts;
    let thread: ThreadCallState | undefined;
    let failures: [CallContext['hostFailure'], CallContext['exit']];
    let output: CaptureState;
    let bookkeeping: unknown;
    let nnError: NnError | undefined;
    return {
      save() {
        thread = saveThreadState();
        failures = [context.hostFailure, context.exit];
        output = capture.save();
        bookkeeping = limits?.save();
        nnError = nn?.takeLastError();
      },
      restore() {
        // Never saved: no other call took the thread since this one armed it, so its state is
        // still the thread's (a resume can reach here after the frame left the thread).
        if (thread === undefined) return;
        restoreThreadState(thread);
        [context.hostFailure, context.exit] = failures;
        capture.restore(output);
        if (limits) limits.restore(bookkeeping as never);
        nn?.restoreLastError(nnError);
      },
    };
  }

  /** After the guest returned: stats (unless `withStats` is false), the result's handles, the instance back to the pool. */
  #complete<T>(lease: Lease, bound: BoundExport, value: unknown, t0: number, moved: HandleState[] | undefined, validate: InvokeOptions['validate'], withStats = true): Invocation<T> {
    const { instance } = lease;
    const { capture, limits, nn } = this.#parts;
    const end = withStats ? performance.now() : undefined;
    instance.uses++;
    const output = capture.end();
    const stats: CallStats | undefined = withStats ? {
      coldStart: lease.cold,
      queueUs: lease.queueUs,
      instantiateUs: lease.cold ? instance.instantiateUs : 0,
      runUs: (end! - t0) * 1000,
      fuelUsed: limits?.fuelUsed(instance),
      memoryBytes: instance.memoryBytes(),
    } : undefined;
    const nnError = nn?.takeLastError();
    if (nnError?.nnCode === 'timeout' && limits) {
      // Inference ran past the deadline (or used up the call's fuel): the guest got `timeout`,
      // the caller gets the limit error.
      instance.broken = true;
      this.#handles.instanceGone(instance, 'instance-gone');
      this.pool.release(instance);
      throw limits.deadlineError(instance);
    }
    // The call's outcome is checked before the instance can serve anyone else: a failed one is
    // discarded, never released as healthy.
    const invalid = validate?.();
    if (invalid) this.#fail(instance, invalid, true);
    if (moved) for (const state of moved) this.#handles.end(state, 'moved');
    const result = bound.handles?.result;
    if (result) value = result(value, (glue, resource) => this.#handles.wrap(instance, resource, glue as object));
    this.#releaseAfterCall(instance, end);
    // `call()` keeps the value only: the rest is not built (the output was consumed by `end()` above).
    if (!stats) return { value } as Invocation<T>;
    // Fields spelled out, not spread: a spread after another property copies through a slow path.
    const invocation: Invocation<T> = { value: value as T, stdout: output.stdout, stderr: output.stderr, truncated: output.truncated, stats };
    if (nnError) invocation.nnError = nnError;
    return invocation;
  }

  /** Back to the pool, unless live handles pin the instance to their holders. */
  #releaseAfterCall(instance: ComponentInstance, now?: number): void {
    if (!this.#exclusivePins || !this.#handles.isPinned(instance)) this.pool.release(instance, now);
  }

  /** A handle was collected undropped: its instance still holds the resource, so it is not reused. */
  #collected(instance: ComponentInstance): void {
    if (this.#handles.isPinned(instance)) return;
    const lease = this.#exclusivePins ? { instance } : this.pool.takeIdle(instance);
    if (!lease) return;
    instance.broken = true;
    this.pool.release(instance);
  }

  /** Runs a handle's destructor in the guest, under the function's limits (`handle.drop()`). */
  #runDrop(state: HandleState): void {
    const { capture, context, limits } = this.#parts;
    const { instance, glue } = state;
    // The guest is suspended in a call on this instance: its destructor must not run in between.
    if (instance.running) throw new InvalidHandleError('busy', `the instance of this \`${state.resource}\` handle is in a call; drop it once the call is over`);
    this.#leaseOf(instance);
    takeThread();
    const dispose = (glue[DISPOSE] ?? glue[Symbol.for('dispose')]) as (() => void) | undefined;
    context.hostFailure = undefined;
    context.exit = undefined;
    capture.begin();
    limits?.arm(instance.hooks.meter, undefined, performance.now());
    let late: Error | undefined;
    try {
      dispose?.call(glue);
    } catch (err) {
      this.#fail(instance, err);
    } finally {
      late = limits?.disarm(instance.hooks.meter);
    }
    if (late) this.#fail(instance, late, true);
    capture.end();
    this.#handles.end(state, 'dropped');
    this.#releaseAfterCall(instance);
  }

  /**
   * Discards the instance (its handles die with it) and throws the typed error that explains `err`
   * (`err` itself when `typed`).
   */
  #fail(instance: ComponentInstance, err: unknown, typed = false): never {
    const { capture, context, limits, nn } = this.#parts;
    instance.broken = true;
    capture.end();
    this.#handles.instanceGone(instance, 'instance-gone');
    this.pool.release(instance);
    if (typed) throw err;
    throw context.hostFailure ?? context.exit ?? limits?.classify(instance.hooks.meter, err) ?? nn?.takeLastError() ?? toTypedError(err);
  }

  /** Releases every instance; later calls fail with `CLOSED`, handles with `INVALID_HANDLE`. */
  close(): void {
    this.#closed = true;
    const pinned = this.#handles.closeAll();
    if (this.#exclusivePins) for (const instance of pinned) this.pool.release(instance);
    this.pool.close();
  }
}

const valueOf = <T>(invocation: Invocation<T>): T => invocation.value;

const NO_HANDLES: BoundHandles = { params: [] };

const NO_OPTIONS: InvokeOptions = Object.freeze({});

const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/**
 * Where jco (and the fast glue) put a resource function: `new Class(...)`, `Class.fn(...)`, or
 * `self.fn(...)` on the glue's object for the handle; as a plain function of the arguments.
 */
function resourceCall(bound: BoundExport, holder: Record<string, unknown> | undefined, self: object | undefined): unknown {
  const f = bound.signature;
  const cls = holder?.[f.resourceJsName ?? ''] as (new (...a: unknown[]) => unknown) & Record<string, unknown> | undefined;
  if (typeof cls !== 'function') return undefined;
  switch (f.kind) {
    case 'constructor': return (...args: unknown[]) => new cls(...args);
    case 'static': return typeof cls[f.jsName] === 'function' ? (cls[f.jsName] as (...a: unknown[]) => unknown).bind(cls) : undefined;
    case 'method': {
      const m = (self as Record<string, unknown> | undefined)?.[f.jsName];
      return typeof m === 'function' ? (...args: unknown[]) => (m as (...a: unknown[]) => unknown).apply(self, args) : undefined;
    }
    default: return undefined;
  }
}

/** jco reports a `result` export's `err` by throwing its `ComponentError` with the value in `payload`. */
function isComponentError(err: unknown): err is { payload: unknown } {
  return err instanceof Error && err.constructor.name === 'ComponentError' && 'payload' in err;
}
