import type { RuntimeOptions, WorkerFunctionOptions } from '../options.js';
export type { WorkerFunctionOptions };
import type { WasiHttpOptions } from '../http/imports.js';
import type { PlainResponse } from '../http/incoming.js';
import type { PlainRequest } from '../http/types.js';
import type { CallStats } from '../invoke/function.js';
import type { WireError } from '../errors.js';


/** Main → worker. Messages travel in batches (arrays), one postMessage per tick. */
export type ToWorker =
  | { op: 'load'; id: number; name: string; source: string | Uint8Array; options: WorkerFunctionOptions }
  /**
   * `valueOnly`: answer with the value and whether it was a cold start (what `call()` needs), not
   * the whole invocation. `placement`: arguments that wait in the worker's arena (see arg-arena.ts).
   */
  | { op: 'invoke'; id: number; name: string; exportName: string; args: unknown[]; deadlineIn?: number; valueOnly?: boolean; placement?: number[] }
  | { op: 'http'; id: number; name: string; request: PlainRequest; deadlineIn?: number }
  /** Everything else, rare and not per call: serving HTTP from the worker (worker-http.ts), crash drills. */
  | { op: 'control'; id: number; action: ControlAction; payload?: unknown };

/**
 * `serve`: listen on the payload's port with `reusePort` (answers the port); `serve-close`: drain
 * and stop (answers the final metrics); `serve-stats`: in-flight requests and metrics;
 * `metrics-text`: the combined Prometheus text a `collect` event asked for (no answer); `crash`:
 * throw an uncaught exception at the next turn, as a bug in host code would.
 */
export type ControlAction = 'serve' | 'serve-close' | 'serve-stats' | 'metrics-text' | 'crash';

/**
 * Worker → main messages that answer no call, posted on their own (not in a batch): a failure
 * for the server's `onError`, a scrape of `metricsPath` that needs every worker's numbers, a
 * crash's message (sent before the worker exits).
 */
export type WorkerEvent =
  | { event: 'http-error'; error: WireError; req: RequestSummary }
  | { event: 'collect'; ticket: number }
  | { event: 'crash'; message: string };

/** What `onError` is told about a request served in a worker (an `IncomingMessage` stays there). */
export interface RequestSummary {
  method: string | undefined;
  url: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  socket: { remoteAddress: string | undefined; remotePort: number | undefined };
}

/** Worker → main. */
export type FromWorker =
  | { id: number; ok: true; value?: unknown; stdout?: Uint8Array; stderr?: Uint8Array; truncated?: boolean; stats?: CallStats; coldStart?: boolean; wit?: string; exports?: string[]; response?: PlainResponse; nnError?: WireError }
  | { id: number; ok: false; error: WireError };

/** What a worker is started with. */
export interface WorkerInit {
  runtime: RuntimeOptions;
  /** Where typed-array arguments of calls arrive (see arg-arena.ts). */
  argArena: SharedArrayBuffer;
}

// Batches cross threads as flat arrays of fields, not arrays of objects: structured clone spends
// most of its time on objects' keys (a batch of 8 calls costs 13 µs to post as objects, 4 µs flat,
// measured here), and the main thread pays it for every call it dispatches.
const LOAD = 1, INVOKE = 2, HTTP = 3, CONTROL = 4;
/** Fields per message of each kind, op included. */
const FIELDS: Record<number, number> = { [LOAD]: 5, [INVOKE]: 8, [HTTP]: 5, [CONTROL]: 4 };
const VALUE = 0, FULL = 1, ERROR = 2;

/** Appends one main → worker message to a batch. */
export function pushToWorker(batch: unknown[], m: ToWorker): void {
  if (m.op === 'invoke') pushInvoke(batch, m.id, m.name, m.exportName, m.args, m.deadlineIn, m.valueOnly === true, m.placement);
  else if (m.op === 'http') batch.push(HTTP, m.id, m.name, m.request, m.deadlineIn);
  else if (m.op === 'control') batch.push(CONTROL, m.id, m.action, m.payload);
  else batch.push(LOAD, m.id, m.name, m.source, m.options);
}

/** Appends an `invoke` message from its fields (the hot path builds no message object). */
export function pushInvoke(batch: unknown[], id: number, name: string, exportName: string, args: unknown[], deadlineIn: number | undefined, valueOnly: boolean, placement?: number[]): void {
  batch.push(INVOKE, id, name, exportName, args, deadlineIn, valueOnly, placement ?? 0);
}

/** Where a main → worker batch must be cut so that its first part holds `messages` messages. */
export function splitPoint(b: unknown[], messages: number): number {
  let i = 0;
  for (let n = 0; n < messages && i < b.length; n++) i += FIELDS[b[i] as number] ?? b.length;
  return i;
}

/** Calls `each` with every message of a main → worker batch. */
export function readToWorker(b: unknown[], each: (m: ToWorker) => void): void {
  for (let i = 0; i < b.length;) {
    const op = b[i];
    if (op === INVOKE) {
      const placement = b[i + 7] === 0 ? undefined : b[i + 7] as number[];
      each({ op: 'invoke', id: b[i + 1] as number, name: b[i + 2] as string, exportName: b[i + 3] as string, args: b[i + 4] as unknown[], deadlineIn: b[i + 5] as number | undefined, valueOnly: b[i + 6] as boolean, placement });
    } else if (op === HTTP) {
      each({ op: 'http', id: b[i + 1] as number, name: b[i + 2] as string, request: b[i + 3] as PlainRequest, deadlineIn: b[i + 4] as number | undefined });
    } else if (op === CONTROL) {
      each({ op: 'control', id: b[i + 1] as number, action: b[i + 2] as ControlAction, payload: b[i + 3] });
    } else if (op === LOAD) {
      each({ op: 'load', id: b[i + 1] as number, name: b[i + 2] as string, source: b[i + 3] as string | Uint8Array, options: b[i + 4] as WorkerFunctionOptions });
    } else {
      throw new Error(`corrupt worker batch: op ${String(op)} at ${i}`);
    }
    i += FIELDS[op as number]!;
  }
}

/** Appends one worker → main answer: a value-only answer (what `call()` asks for) travels bare. */
export function pushFromWorker(batch: unknown[], m: FromWorker, valueOnly = false): void {
  if (!m.ok) batch.push(m.id, ERROR, m.error);
  else if (valueOnly) batch.push(m.id, VALUE, m.value, m.coldStart === true);
  else batch.push(m.id, FULL, m);
}

/** Calls `each` with every answer of a worker → main batch. */
export function readFromWorker(b: unknown[], each: (m: FromWorker) => void): void {
  for (let i = 0; i < b.length;) {
    const id = b[i] as number;
    const kind = b[i + 1];
    if (kind === VALUE) { each({ id, ok: true, value: b[i + 2], coldStart: b[i + 3] as boolean }); i += 4; }
    else if (kind === FULL) { each(b[i + 2] as FromWorker); i += 3; }
    else if (kind === ERROR) { each({ id, ok: false, error: b[i + 2] as WireError }); i += 3; }
    else throw new Error(`corrupt worker answer batch: kind ${String(kind)} at ${i}`);
  }
}
