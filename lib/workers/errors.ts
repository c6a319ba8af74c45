import { SfiError, TrapError, type TrapKind } from '../errors.js';

/** The worker thread running a call died (crash, out-of-memory, terminate); the worker has been replaced. */
export class WorkerCrashedError extends SfiError {
  override readonly code = 'WORKER_CRASHED';
  constructor(readonly workerIndex: number, detail: string) {
    super(`worker ${workerIndex} died during the call: ${detail}`);
    this.name = 'WorkerCrashedError';
  }
}

/**
 * A typed error raised inside a worker, rebuilt on this side with the same `code`, name and message
 * (and `trapKind` for a `TRAP`).
 */
export class RemoteSfiError extends SfiError {
  override readonly code: string;
  /** For `TRAP`: the kind of trap, as `TrapError.trapKind`. */
  readonly trapKind?: TrapKind;
  constructor(code: string, name: string, message: string, trapKind?: TrapKind) {
    super(message);
    this.code = code;
    this.name = name;
    if (trapKind !== undefined) this.trapKind = trapKind;
  }
}

/** An error as it crosses threads. */
export interface WireError { code: string; name: string; message: string; trapKind?: TrapKind }

/** Error → wire form (untyped errors become INTERNAL). */
export function toWire(err: unknown): WireError {
  if (err instanceof TrapError) return { code: err.code, name: err.name, message: err.message, trapKind: err.trapKind };
  if (err instanceof SfiError) return { code: err.code, name: err.name, message: err.message };
  return { code: 'INTERNAL', name: 'Error', message: err instanceof Error ? err.message : String(err) };
}

/** Wire form → error. */
export function fromWire(w: WireError): SfiError {
  return new RemoteSfiError(w.code, w.name, w.message, w.trapKind);
}
