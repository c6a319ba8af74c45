import { SfiError } from '../errors.js';

/**
 * The `wasi:nn` `error-code` cases (`wasi:nn/errors@0.2.0-rc-2024-10-28`), spelled as the WIT
 * spells them, so a guest-facing error and a host-facing error carry the same word.
 */
export type NnErrorCode =
  | 'invalid-argument' | 'invalid-encoding' | 'timeout' | 'runtime-error' | 'unsupported-operation'
  | 'too-large' | 'not-found' | 'security' | 'unknown';

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
    super(message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message, options);
    this.name = 'NnError';
    this.outOfMemory = options?.outOfMemory ?? false;
  }
  /** True when the inference engine's memory cap (`engineMemoryMaxBytes`) refused an allocation. */
  readonly outOfMemory: boolean;
}

/** Longest `NnError` message, in UTF-16 code units (longer ones are cut). */
export const MAX_MESSAGE_CHARS = 1000;

/** A name a guest or its model chose, for a message: at most 64 characters, controls escaped. */
export function printable(s: string): string {
  const cut = s.length > 64 ? `${s.slice(0, 64)}…` : s;
  return JSON.stringify(cut).slice(1, -1);
}

/**
 * An engine's error text reduced to what a guest may read: onnxruntime's messages carry source
 * locations and paths of its build (`/onnxruntime_src/...cc:123`), C++ signatures, and for some
 * failures host paths (a model file, the working directory). Every token that looks like a path,
 * a file name, a source location or a C++ qualified name is dropped, terminal colours removed,
 * whitespace collapsed, and the text cut at 300 characters.
 */
export function sanitizeEngineMessage(text: string): string {
  let t = text.replace(/\x1b\[[0-9;]*m/g, ' ');
  // C++ signatures `ns::Type ns::f(args) const`: the parenthesised part first, then the names.
  t = t.replace(/\([^()]*::[^()]*\)/g, ' ');
  t = t.replace(/\S*::\S*/g, ' ');
  // Paths (absolute, relative with a separator, Windows drives) and source locations.
  t = t.replace(/\S*[\\/]\S*/g, ' ');
  t = t.replace(/\S+\.(?:cc|cpp|cxx|c|h|hpp|inl)(?::\d+)?\b/g, ' ');
  // Bare file names (`package.json`, `weights.bin`): a file's name is host information too.
  t = t.replace(/[\w.-]*\w\.[A-Za-z][A-Za-z0-9]{0,7}\b/g, ' ');
  t = t.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/**
 * An `NnError` for an engine failure: `what` (our words) plus the engine's `detail`, sanitised
 * (see {@link sanitizeEngineMessage}); the original stays on `cause` for the host.
 */
export function engineError(nnCode: NnErrorCode, what: string, detail: unknown): NnError {
  const text = detail instanceof Error ? detail.message : String(detail);
  const clean = sanitizeEngineMessage(text);
  return new NnError(nnCode, clean ? `${what}: ${clean}` : what, { cause: detail instanceof Error ? detail : new Error(text) });
}
