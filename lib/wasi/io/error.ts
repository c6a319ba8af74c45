/**
 * `wasi:io/error.error`: what a stream's `last-operation-failed` carries. Its debug text is
 * always ours (never a host exception's message or a path); an optional `code` lets an interface
 * attach a typed reason (`wasi:filesystem` reads it back through `filesystem-error-code`).
 */
import { TrapError } from '../../errors.js';

export class IoError {
  #debug: string | undefined;
  #code: string | undefined;

  /** An error whose `to-debug-string` is `debug`, carrying `code` for the interface that raised it. */
  static of(debug: string, code?: string): IoError {
    const e = new IoError();
    e.#debug = debug;
    e.#code = code;
    return e;
  }

  /** The code given to {@link IoError.of}, or undefined (also for anything that is not a live error of ours). */
  static codeOf(err: unknown): string | undefined {
    return typeof err === 'object' && err !== null && #code in err ? (err as IoError).#code : undefined;
  }

  toDebugString(): string {
    if (typeof this !== 'object' || this === null || !(#debug in this) || this.#debug === undefined) {
      throw new TrapError('invalid-handle', 'wasm trap: not a live wasi:io error handle');
    }
    return this.#debug;
  }

  [Symbol.dispose](): void {}
}
