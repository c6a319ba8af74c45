/**
 * Messages between the native engine's client (the thread running guests), its bridge thread and
 * its child process. Tensors travel as `{ type, dims, data }` with `data` a typed array (the IPC
 * channel uses V8's serializer, which copies typed arrays without conversion).
 */
import type { NnErrorCode } from '../errors.js';
import type { NnTensor, NnValueInfo } from '../tensor.js';

/** Requests the client sends (each gets exactly one {@link NativeReply} with the same `id`). */
export type NativeRequest =
  | { op: 'load'; id: number; session: number; model: Uint8Array }
  | { op: 'run'; id: number; session: number; feeds: Record<string, NnTensor>; maxOutputBytes: number; deadline?: number }
  | { op: 'release'; id: number; session: number };

/** A failure, already reduced to what a guest may read. */
export interface NativeFailure {
  code: NnErrorCode;
  message: string;
  outOfMemory?: boolean;
}

export type NativeReply =
  | { id: number; ok: true; inputs?: NnValueInfo[]; outputs?: NnValueInfo[]; tensors?: Record<string, NnTensor> }
  | { id: number; ok: false; failure: NativeFailure };

/** What the child says first: ready, or why it cannot run onnxruntime-node. */
export type ChildHello = { op: 'ready' } | { op: 'failed'; message: string };

/** Messages between the bridge and the child (the child knows sessions by its own numbers). */
export type ChildRequest =
  | { op: 'load'; id: number; model: Uint8Array }
  | { op: 'run'; id: number; handle: number; feeds: Record<string, NnTensor>; maxOutputBytes: number }
  | { op: 'release'; handle: number };

export type ChildReply =
  | { id: number; ok: true; handle?: number; inputs?: NnValueInfo[]; outputs?: NnValueInfo[]; tensors?: Record<string, NnTensor> }
  | { id: number; ok: false; failure: NativeFailure };

/** A request before its id is assigned (`Omit` that keeps the union). */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
