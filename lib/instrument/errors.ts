import { SfiError } from '../errors.js';

/**
 * A core WebAssembly module the instrumenter cannot read: truncated, malformed, or using a feature
 * Node 20's V8 does not accept (e.g. memory64). Code `INVALID_MODULE`.
 */
export class InvalidModuleError extends SfiError {
  override readonly code = 'INVALID_MODULE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidModuleError';
  }
}
