import type { MessagePort } from 'node:worker_threads';
import type { FunctionOptions, RuntimeOptions } from '../runtime.js';
import type { WasiHttpOptions } from '../http/imports.js';
import type { PlainResponse } from '../http/incoming.js';
import type { PlainRequest } from '../http/types.js';
import type { CallStats } from '../invoke/function.js';
import type { WireError } from './errors.js';

/** Function options that can cross a thread boundary (no host functions). */
export type WorkerFunctionOptions = Omit<FunctionOptions, 'imports'> & {
  /** `wasi:http` imports (types + outgoing policy) for wasi:http components. */
  http?: Omit<WasiHttpOptions, 'stats'>;
};

/** Main → worker. Messages travel in batches (arrays), one postMessage per tick. */
export type ToWorker =
  | { op: 'load'; id: number; name: string; source: string | Uint8Array; options: WorkerFunctionOptions }
  /** `valueOnly`: answer with the value and whether it was a cold start (what `call()` needs), not the whole invocation. */
  | { op: 'invoke'; id: number; name: string; exportName: string; args: unknown[]; deadlineIn?: number; valueOnly?: boolean }
  | { op: 'http'; id: number; name: string; request: PlainRequest; deadlineIn?: number };

/** Worker → main. */
export type FromWorker =
  | { id: number; ok: true; value?: unknown; stdout?: Uint8Array; stderr?: Uint8Array; truncated?: boolean; stats?: CallStats; coldStart?: boolean; wit?: string; exports?: string[]; response?: PlainResponse }
  | { id: number; ok: false; error: WireError };

/** What a worker is started with. */
export interface WorkerInit {
  runtime: RuntimeOptions;
  /** Where the worker takes compiled modules shared by the whole process (see shared-modules.ts). */
  sharedModules: MessagePort;
}
