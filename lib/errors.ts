/**
 * Every error the runtime raises, in one hierarchy with stable codes (undici style): users switch
 * on `code` or use `instanceof`, never message text.
 *
 * - `SfiErrorCode` is the type of `err.code`; `ERROR_CLASSES` maps each code to its class (typed so
 *   that a code without a class, or a class under another code, does not compile).
 * - Errors cross threads as code + fields (`toWire` / `fromWire`) and come back as the same class
 *   with the same fields, so `err instanceof DeadlineExceededError` and `err.timeoutMs` work on a
 *   worker runtime as they do in-thread.
 * - `instanceof` also works across two copies of this package (two versions in one app, or a
 *   bundled copy): instances carry a `Symbol.for` brand, and `SfiError[Symbol.hasInstance]` falls
 *   back to brand + code when the prototype chain does not match.
 */

/**
 * Every `code` an `SfiError` can carry, so `err.code === 'FUEL_EXHUASTED'` is a compile error. A
 * new error class adds its code here and its class to `ERROR_CLASSES` (one line each; either one
 * missing does not compile).
 */
export type SfiErrorCode =
  | 'NOT_A_COMPONENT'
  | 'INVALID_COMPONENT'
  | 'INVALID_MODULE'
  | 'MISSING_IMPORT'
  | 'UNKNOWN_EXPORT'
  | 'INVALID_HANDLE'
  | 'UNKNOWN_FUNCTION'
  | 'INVALID_ARGUMENT'
  | 'TRAP'
  | 'GUEST_EXIT'
  | 'HOST_FUNCTION_ERROR'
  | 'FUEL_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'MEMORY_LIMIT_EXCEEDED'
  | 'RESULT_LIMIT_EXCEEDED'
  | 'LIMIT_TOO_LOW'
  | 'INVALID_MANIFEST'
  | 'OVERLOADED'
  | 'BACKEND_UNAVAILABLE'
  | 'NN_ERROR'
  | 'WORKER_CRASHED'
  | 'CLOSED'
  | 'INVALID_ROUTE'
  | 'INVALID_RESPONSE'
  | 'ASYNC_UNSUPPORTED'
  | 'BIND_FAILED'
  | 'INTERNAL';

/** Brand on `SfiError.prototype`, shared by every copy of the package (`Symbol.for`). */
const kSfiError = Symbol.for('sfirt.error');

/** The base of every runtime error. Never thrown itself: each failure has its own class and code. */
export abstract class SfiError extends Error {
  /** Stable machine-readable code, e.g. `TRAP` or `FUEL_EXHAUSTED`. */
  abstract readonly code: SfiErrorCode;

  /**
   * `instanceof` by prototype first; for an error of another copy of the package, by brand and
   * code (`x instanceof SfiError` for any sfirt error, `x instanceof TrapError` when its code is `TRAP`).
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || (value as { [kSfiError]?: unknown })[kSfiError] !== true) return false;
    const code = (value as { code?: unknown }).code;
    const self: unknown = this;
    return typeof code === 'string' && (self === SfiError || errorClass(code) === self);
  }
}
Object.defineProperty(SfiError.prototype, kSfiError, { value: true });

/** Bytes that are not a WebAssembly component: empty, truncated, random, or a core module. */
export class NotAComponentError extends SfiError {
  override readonly code = 'NOT_A_COMPONENT';
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'NotAComponentError'; }
}

/** A component binary that is malformed or fails validation. */
export class InvalidComponentError extends SfiError {
  override readonly code = 'INVALID_COMPONENT';
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'InvalidComponentError'; }
}

/**
 * A core WebAssembly module the instrumenter cannot read: truncated, malformed, or using a feature
 * Node 20's V8 does not accept (e.g. memory64).
 */
export class InvalidModuleError extends SfiError {
  override readonly code = 'INVALID_MODULE';
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'InvalidModuleError'; }
}

/** The component imports something the runtime does not provide; `importName` names it. */
export class MissingImportError extends SfiError {
  override readonly code = 'MISSING_IMPORT';
  constructor(readonly importName: string, detail?: string) {
    super(`component imports \`${importName}\`, which is not provided${detail ? `: ${detail}` : ''}`);
    this.name = 'MissingImportError';
  }
}

/** `call()` named an export the component does not have. */
export class UnknownExportError extends SfiError {
  override readonly code = 'UNKNOWN_EXPORT';
  constructor(readonly exportName: string, available: readonly string[]) {
    super(`unknown export \`${exportName}\`; available: ${available.join(', ') || '(none)'}`);
    this.name = 'UnknownExportError';
  }
}

/** No function of that name is loaded (e.g. an HTTP route names one that was never loaded). */
export class UnknownFunctionError extends SfiError {
  override readonly code = 'UNKNOWN_FUNCTION';
  constructor(readonly functionName: string) {
    super(`no function named \`${functionName}\` is loaded`);
    this.name = 'UnknownFunctionError';
  }
}

/** An argument does not match the WIT signature, or a runtime option is invalid. */
export class InvalidArgumentError extends SfiError {
  override readonly code = 'INVALID_ARGUMENT';
  constructor(message: string) { super(message); this.name = 'InvalidArgumentError'; }
}

/** Why a resource handle cannot be used. */
export type InvalidHandleReason =
  | 'dropped' | 'moved' | 'instance-gone' | 'collected' | 'closed' | 'other-function' | 'other-instance'
  /** Its instance is in the middle of a call suspended on an async host import (`drop()` then). */
  | 'busy';

/**
 * A resource handle that can no longer be used (dropped, moved into the guest, its instance
 * discarded after a failure, its function closed) or that belongs to another function or instance.
 */
export class InvalidHandleError extends SfiError {
  override readonly code = 'INVALID_HANDLE';
  constructor(readonly reason: InvalidHandleReason, message: string) { super(message); this.name = 'InvalidHandleError'; }
}

/**
 * The kinds of wasm trap we can tell apart from V8's messages, plus the canonical-ABI traps the
 * runtime's own hosts and both glues raise: `invalid-handle` (a resource handle that names no live
 * resource of that type), `invalid-utf8` (a string that is not valid UTF-8), `resource-limit` (a
 * guest exceeded a per-instance cap on host resources it holds), `invalid-discriminant`,
 * `invalid-char`, `invalid-value` (a lifted value outside its type); a pointer/length past the
 * memory is `out-of-bounds-memory`.
 */
export type TrapKind =
  | 'unreachable' | 'integer-divide-by-zero' | 'integer-overflow' | 'invalid-conversion-to-integer'
  | 'out-of-bounds-memory' | 'out-of-bounds-table' | 'indirect-call-type-mismatch' | 'null-reference'
  | 'stack-overflow' | 'misaligned' | 'cannot-enter-component' | 'invalid-handle' | 'invalid-utf8'
  | 'resource-limit'
  // canonical-ABI faults both glues raise while lifting a guest value (lib/limits/lift.ts, lib/invoke/trap.ts)
  | 'invalid-discriminant' | 'invalid-char' | 'invalid-value'
  | 'unknown';

/** The guest trapped. The instance that trapped has been discarded. */
export class TrapError extends SfiError {
  override readonly code = 'TRAP';
  constructor(readonly trapKind: TrapKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrapError';
  }
}

/** The guest called `wasi:cli/exit`. It never exits the host; the instance is discarded. */
export class GuestExitError extends SfiError {
  override readonly code = 'GUEST_EXIT';
  constructor(readonly exitCode: number) {
    super(`guest called exit(${exitCode})`);
    this.name = 'GuestExitError';
  }
}

/** A host function supplied by the app threw while the guest called it. */
export class HostFunctionError extends SfiError {
  override readonly code = 'HOST_FUNCTION_ERROR';
  constructor(readonly importName: string, options: { cause: unknown }) {
    super(`host function \`${importName}\` threw: ${describe(options.cause)}`, options);
    this.name = 'HostFunctionError';
  }
}

/** The guest ran out of fuel (`limits.fuel`). */
export class FuelExhaustedError extends SfiError {
  override readonly code = 'FUEL_EXHAUSTED';
  constructor(readonly fuelLimit: number) {
    super(`guest ran out of fuel (limit ${fuelLimit})`);
    this.name = 'FuelExhaustedError';
  }
}

/** The guest ran past its wall-clock deadline (`limits.timeoutMs`). */
export class DeadlineExceededError extends SfiError {
  override readonly code = 'DEADLINE_EXCEEDED';
  constructor(readonly timeoutMs: number, readonly elapsedMs: number) {
    super(`guest exceeded its ${timeoutMs} ms deadline (stopped after ${elapsedMs.toFixed(2)} ms)`);
    this.name = 'DeadlineExceededError';
  }
}

/** The guest trapped after a memory growth was refused by `limits.memoryBytes`. */
export class MemoryLimitExceededError extends SfiError {
  override readonly code = 'MEMORY_LIMIT_EXCEEDED';
  constructor(readonly memoryLimitBytes: number, options?: { cause?: unknown }) {
    super(`guest exceeded its memory limit of ${memoryLimitBytes} bytes`, options);
    this.name = 'MemoryLimitExceededError';
  }
}

/**
 * The guest handed the host more bytes than `limits.resultBytes` allows in one call (its result and
 * the arguments of the host imports it called, each aliased element counted in full); stopped
 * before the host allocated them.
 */
export class ResultLimitExceededError extends SfiError {
  override readonly code = 'RESULT_LIMIT_EXCEEDED';
  constructor(readonly resultLimitBytes: number) {
    super(`guest handed the host more than its limit of ${resultLimitBytes} bytes in one call`);
    this.name = 'ResultLimitExceededError';
  }
}

/** `sfirt.json` is missing, not JSON, or does not match its schema; `field` names where. */
export class InvalidManifestError extends SfiError {
  override readonly code = 'INVALID_MANIFEST';
  constructor(readonly manifestPath: string, readonly field: string, message: string) {
    super(message);
    this.name = 'InvalidManifestError';
  }
}

/** A limit is set below what the module itself declares (e.g. memory minimum above the cap). */
export class LimitTooLowError extends SfiError {
  override readonly code = 'LIMIT_TOO_LOW';
  constructor(message: string) { super(message); this.name = 'LimitTooLowError'; }
}

/** The pool's queue is full; retry later. */
export class OverloadedError extends SfiError {
  override readonly code = 'OVERLOADED';
  constructor(message: string) { super(message); this.name = 'OverloadedError'; }
}

/** A backend (e.g. onnxruntime-node for `wasi:nn`) is not installed or cannot start here. */
export class BackendUnavailableError extends SfiError {
  override readonly code = 'BACKEND_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'BackendUnavailableError'; }
}

/**
 * The `wasi:nn` `error-code` cases (`wasi:nn/errors@0.2.0-rc-2024-10-28`), spelled as the WIT
 * spells them, so a guest-facing error and a host-facing error carry the same word.
 */
export type NnErrorCode =
  | 'invalid-argument' | 'invalid-encoding' | 'timeout' | 'runtime-error' | 'unsupported-operation'
  | 'too-large' | 'not-found' | 'security' | 'unknown';

/** Longest `NnError` message, in UTF-16 code units (longer ones are cut). */
export const MAX_NN_MESSAGE_CHARS = 1000;

/**
 * A `wasi:nn` operation failed: bad model bytes, an unknown model name, a tensor that does not
 * match the model, an inference engine that ran out of memory, ... The guest sees the same failure
 * as a `wasi:nn` `error` resource whose `code()` is `nnCode`; the host sees this error (stable
 * `code` `NN_ERROR`, switch on `nnCode` for the case).
 */
export class NnError extends SfiError {
  override readonly code = 'NN_ERROR';
  constructor(
    /** The `wasi:nn` error-code case. */
    readonly nnCode: NnErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      /** True when the inference engine's memory cap refused an allocation. */
      outOfMemory?: boolean;
    },
  ) {
    // A message may quote what a guest or its model sent (names, shapes), and a guest may keep
    // up to `quota.errors` of them: cut it, so an error never holds more than a few KiB of host memory.
    super(message.length > MAX_NN_MESSAGE_CHARS ? `${message.slice(0, MAX_NN_MESSAGE_CHARS)}…` : message, options);
    this.name = 'NnError';
    this.outOfMemory = options?.outOfMemory ?? false;
  }
  /** True when the inference engine's memory cap (`engineMemoryMaxBytes`) refused an allocation. */
  readonly outOfMemory: boolean;
}

/** The worker thread running a call died (crash, out-of-memory, terminate); the worker has been replaced. */
export class WorkerCrashedError extends SfiError {
  override readonly code = 'WORKER_CRASHED';
  constructor(readonly workerIndex: number, detail: string) {
    super(`worker ${workerIndex} died during the call: ${detail}`);
    this.name = 'WorkerCrashedError';
  }
}

/** The runtime or function was closed. */
export class ClosedError extends SfiError {
  override readonly code = 'CLOSED';
  constructor(message = 'runtime is closed') { super(message); this.name = 'ClosedError'; }
}

/** An untyped failure inside the runtime (a bug, or a host failure we did not foresee); `cause` holds the original. */
export class InternalError extends SfiError {
  override readonly code = 'INTERNAL';
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); this.name = 'InternalError'; }
}

/* HTTP serving (`lib/http/`). */
/**
 * A `wasi:http` guest's response the host refuses to send: no response set, an `error-code`
 * set, a body that disagrees with its declared `content-length`, an informational (1xx) status,
 * a body on a 204/304, or headers past the size cap. The client gets a 500 of the server's own;
 * `reason` says which (never sent to the client).
 */
export class InvalidResponseError extends SfiError {
  override readonly code = 'INVALID_RESPONSE';
  constructor(readonly reason: InvalidResponseReason, message: string) {
    super(message);
    this.name = 'InvalidResponseError';
  }
}

/** Why a guest's response was refused. */
export type InvalidResponseReason =
  | 'no-response' | 'error-code' | 'content-length-mismatch' | 'invalid-content-length'
  | 'informational-status' | 'body-not-allowed' | 'headers-too-large' | 'body-too-large' | 'body-not-finished';

/**
 * A route that can never be served: its function is not loaded, its export does not exist or does
 * not fit the route kind (a simple route needs one `string`/`list<u8>` parameter or none; a
 * `wasi-http` route a `wasi:http/incoming-handler` export). Thrown by `serve()`/`createHandler()`
 * at start; a function reloaded later with another shape answers 500 with this code.
 */
export class InvalidRouteError extends SfiError {
  override readonly code = 'INVALID_ROUTE';
  constructor(readonly route: string, message: string) {
    super(`route ${route}: ${message}`);
    this.name = 'InvalidRouteError';
  }
}

/**
 * An async host import (an `async` function, or one marked with `asyncImport()`) on a Node without
 * JSPI (`WebAssembly.Suspending`, Node 24 and later), or for a component that runs on jco's glue:
 * refused at `load()`. `nodeVersion` is this Node's, `importName` the import.
 */
export class AsyncUnsupportedError extends SfiError {
  override readonly code = 'ASYNC_UNSUPPORTED';
  readonly nodeVersion = process.version;
  constructor(readonly importName: string, reason: string) {
    super(`async host import \`${importName}\`: ${reason}`);
    this.name = 'AsyncUnsupportedError';
  }
}

/**
 * `serve()` could not listen on `host:port`: the port is taken (`reason` `EADDRINUSE`), not ours to
 * bind (`EACCES`), the address is not local (`EADDRNOTAVAIL`), ... With workers accepting their own
 * connections, `worker` is the one that failed (the others are stopped again).
 */
export class BindFailedError extends SfiError {
  override readonly code = 'BIND_FAILED';
  constructor(readonly host: string, readonly port: number, readonly reason: string, message: string, options?: { cause?: unknown; worker?: number }) {
    super(`cannot listen on ${host}:${port}${options?.worker === undefined ? '' : ` (worker ${options.worker})`}: ${message}`, options);
    this.name = 'BindFailedError';
    if (options?.worker !== undefined) (this as { worker?: number }).worker = options.worker;
  }
  /** The worker whose listen failed, when workers accept connections. */
  declare readonly worker?: number;
}

/**
 * Every error class by its code: what `fromWire` rebuilds and `instanceof` recognises across
 * copies of the package. One line per class; `test/errors.test.mjs` checks that every class is here.
 */
/** A class whose errors carry `code` C. */
export type ErrorClass<C extends SfiErrorCode = SfiErrorCode> = abstract new (...args: never[]) => SfiError & { readonly code: C };

export const ERROR_CLASSES: { readonly [C in SfiErrorCode]: ErrorClass<C> } = {
  NOT_A_COMPONENT: NotAComponentError,
  INVALID_COMPONENT: InvalidComponentError,
  INVALID_MODULE: InvalidModuleError,
  MISSING_IMPORT: MissingImportError,
  UNKNOWN_EXPORT: UnknownExportError,
  INVALID_HANDLE: InvalidHandleError,
  UNKNOWN_FUNCTION: UnknownFunctionError,
  INVALID_ARGUMENT: InvalidArgumentError,
  TRAP: TrapError,
  GUEST_EXIT: GuestExitError,
  HOST_FUNCTION_ERROR: HostFunctionError,
  FUEL_EXHAUSTED: FuelExhaustedError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  MEMORY_LIMIT_EXCEEDED: MemoryLimitExceededError,
  RESULT_LIMIT_EXCEEDED: ResultLimitExceededError,
  LIMIT_TOO_LOW: LimitTooLowError,
  INVALID_MANIFEST: InvalidManifestError,
  OVERLOADED: OverloadedError,
  BACKEND_UNAVAILABLE: BackendUnavailableError,
  NN_ERROR: NnError,
  WORKER_CRASHED: WorkerCrashedError,
  CLOSED: ClosedError,
  INVALID_ROUTE: InvalidRouteError,
  INVALID_RESPONSE: InvalidResponseError,
  ASYNC_UNSUPPORTED: AsyncUnsupportedError,
  BIND_FAILED: BindFailedError,
  INTERNAL: InternalError,
};

/** The class registered for `code`, if any. */
export function errorClass(code: unknown): ErrorClass | undefined {
  return typeof code === 'string' && Object.hasOwn(ERROR_CLASSES, code) ? ERROR_CLASSES[code as SfiErrorCode] : undefined;
}

/**
 * An error as it crosses threads: its code, name, message, stack, its own fields (`timeoutMs`,
 * `trapKind`, `nnCode`, ...) and its cause, all structured-cloneable.
 */
export interface WireError {
  code: SfiErrorCode;
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
  cause?: WireError | { name: string; message: string; stack?: string } | string;
}

/** How many causes deep an error crosses (a cause chain is rarely longer than 2). */
const MAX_CAUSE_DEPTH = 4;

/** Error → wire form. An error that is not an `SfiError` crosses as `INTERNAL` with the original as its cause. */
export function toWire(err: unknown, depth = 0): WireError {
  if (!(err instanceof SfiError)) {
    return { code: 'INTERNAL', name: 'InternalError', message: describe(err), fields: {}, cause: causeToWire(err, depth) };
  }
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(err)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'code') continue;
    const value = cloneable((err as unknown as Record<string, unknown>)[key]);
    if (value !== unsendable) fields[key] = value;
  }
  const wire: WireError = { code: err.code, name: err.name, message: err.message, stack: err.stack, fields };
  if (err.cause !== undefined) wire.cause = causeToWire(err.cause, depth);
  return wire;
}

/**
 * Wire form → the same class with the same fields. The class's constructor is not run (its fields
 * come from the wire); the stack is the one where the error was raised. An unknown code (never
 * sent by this package) becomes `InternalError`.
 */
export function fromWire(w: WireError): SfiError {
  const cls = errorClass(w.code);
  const cause = w.cause === undefined ? undefined : causeFromWire(w.cause);
  const options = cause === undefined ? undefined : { cause };
  if (!cls) return new InternalError(`${w.code}: ${w.message}`, options);
  const err = Reflect.construct(Error, [w.message, options], cls) as SfiError;
  Object.assign(err, w.fields);
  define(err, 'code', w.code, true);
  define(err, 'name', w.name, true);
  if (w.stack !== undefined) define(err, 'stack', w.stack, false);
  return err;
}

function causeToWire(cause: unknown, depth: number): WireError['cause'] {
  if (cause instanceof SfiError && depth < MAX_CAUSE_DEPTH) return toWire(cause, depth + 1);
  if (cause instanceof Error) return { name: cause.name, message: cause.message, stack: cause.stack };
  return describe(cause);
}

function causeFromWire(c: NonNullable<WireError['cause']>): unknown {
  if (typeof c === 'string') return c;
  if ('code' in c) return fromWire(c);
  const e = new Error(c.message);
  define(e, 'name', c.name, false);
  if (c.stack !== undefined) define(e, 'stack', c.stack, false);
  return e;
}

/** Marks a field that cannot cross threads. */
const unsendable = Symbol('unsendable');

/** A field's value as it can cross threads, or `unsendable` (functions, symbols, host objects). */
function cloneable(value: unknown): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return value;
  if (typeof value !== 'object') return unsendable;
  try { return structuredClone(value); } catch { return unsendable; }
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
