/**
 * One error hierarchy for everything the runtime can refuse or stop. Users switch on `code`
 * (stable, undici style), never on message text.
 */
export class SfiError extends Error {
  /** Stable machine-readable code, e.g. `TRAP` or `FUEL_EXHAUSTED`. */
  readonly code: string = 'SFI_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SfiError';
  }
}

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

/** An argument does not match the WIT signature, or a runtime option is invalid. */
export class InvalidArgumentError extends SfiError {
  override readonly code = 'INVALID_ARGUMENT';
  constructor(message: string) { super(message); this.name = 'InvalidArgumentError'; }
}

/** The kinds of wasm trap we can tell apart from V8's messages. */
export type TrapKind =
  | 'unreachable' | 'integer-divide-by-zero' | 'integer-overflow' | 'invalid-conversion-to-integer'
  | 'out-of-bounds-memory' | 'out-of-bounds-table' | 'indirect-call-type-mismatch' | 'null-reference'
  | 'stack-overflow' | 'misaligned' | 'cannot-enter-component'
  // canonical ABI faults (a guest value the host cannot lift or lower)
  | 'invalid-utf8' | 'invalid-discriminant' | 'invalid-char' | 'invalid-handle' | 'invalid-value'
  | 'unknown';

/** The guest trapped. The instance that trapped has been discarded. */
export class TrapError extends SfiError {
  override readonly code = 'TRAP';
  constructor(readonly trapKind: TrapKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrapError';
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

/** The runtime or function was closed. */
export class ClosedError extends SfiError {
  override readonly code = 'CLOSED';
  constructor(message = 'runtime is closed') { super(message); this.name = 'ClosedError'; }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
