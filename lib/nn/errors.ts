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
    super(message, options);
    this.name = 'NnError';
    this.outOfMemory = options?.outOfMemory ?? false;
  }
  /** True when the inference engine's memory cap (`engineMemoryMaxBytes`) refused an allocation. */
  readonly outOfMemory: boolean;
}
