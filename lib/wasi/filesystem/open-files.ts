/**
 * What one instance's guest holds of the filesystem, and its cap (`limits.openFiles`).
 *
 * Everything we hand the guest is registered in the instance's `InstanceScope` under one of the
 * kinds below, so a pool `reset` or a discarded instance closes it; the cap counts all three
 * kinds together (descriptors, preopens included, directory listings and file streams), so a
 * guest can neither run the host out of file descriptors nor pile up host objects. Refusals are
 * the WASI error `insufficient-memory`, what the host's own EMFILE maps to.
 */
import type { InstanceScope } from '../../host/scope.js';

/** Scope kinds of filesystem resources. */
export const DESCRIPTOR = 'descriptor';
export const DIRECTORY_STREAM = 'directory-entry-stream';
export const FILE_STREAM = 'file-stream';

/** Default of `limits.openFiles`. */
export const DEFAULT_OPEN_FILES = 256;

export class OpenFiles {
  constructor(readonly scope: InstanceScope, readonly limit: number) {}

  /** Filesystem resources the guest holds now. */
  get count(): number {
    const s = this.scope;
    return s.count(DESCRIPTOR) + s.count(DIRECTORY_STREAM) + s.count(FILE_STREAM);
  }

  /** Throws `insufficient-memory` when one more resource would pass the cap. */
  admit(): void {
    if (this.count >= this.limit) throw 'insufficient-memory';
  }
}
