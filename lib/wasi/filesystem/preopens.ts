/**
 * Granted directories. A grant belongs to a function; its root directory is opened once and
 * shared by every instance of the function that is alive (an instance holds a reference through
 * its preopen descriptors, released when the instance is discarded), so a pool of 10,000
 * instances costs one host fd per grant, not 10,000.
 */
import { statSync } from 'node:fs';
import { InvalidArgumentError } from '../../errors.js';
import { openRoot, type DirHandle } from './dir-handle.js';

/** A host directory the guest may see at a guest path. Read-only unless `readOnly: false`. */
export interface PreopenGrant {
  hostPath: string;
  readOnly?: boolean;
}

export class PreopenRoot {
  #handle: DirHandle | undefined;
  #refs = 0;

  constructor(readonly guestPath: string, readonly hostPath: string, readonly readOnly: boolean) {}

  /** Checks a grant when a function is loaded; the message names the guest path, never the host one. */
  static fromGrant(guestPath: string, grant: PreopenGrant): PreopenRoot {
    const where = `wasi.preopens['${guestPath}']`;
    if (typeof guestPath !== 'string' || guestPath.length === 0 || guestPath.includes('\0')) {
      throw new InvalidArgumentError('wasi.preopens: guest paths must be non-empty strings without NUL');
    }
    if (typeof grant?.hostPath !== 'string' || grant.hostPath.length === 0 || grant.hostPath.includes('\0')) {
      throw new InvalidArgumentError(`${where}: the host path must be a non-empty string`);
    }
    if (grant.readOnly !== undefined && typeof grant.readOnly !== 'boolean') {
      throw new InvalidArgumentError(`${where}.readOnly must be a boolean`);
    }
    let isDirectory = false;
    try {
      isDirectory = statSync(grant.hostPath).isDirectory();
    } catch { /* reported below */ }
    if (!isDirectory) throw new InvalidArgumentError(`${where}: the host path is not a directory`);
    return new PreopenRoot(guestPath, grant.hostPath, grant.readOnly !== false);
  }

  /**
   * Takes a reference for one instance: the shared root handle, opened on the first reference.
   * Undefined when the directory cannot be opened (removed since the load): that instance's
   * preopen then answers `no-entry` to everything.
   */
  acquire(): DirHandle | undefined {
    this.#refs++;
    if (!this.#handle) {
      try {
        this.#handle = openRoot(this.hostPath);
      } catch {
        this.#handle = undefined;
      }
    }
    return this.#handle;
  }

  /** Drops an instance's reference; the last one closes the root. */
  release(): void {
    if (this.#refs === 0) return;
    if (--this.#refs === 0) {
      this.#handle?.close();
      this.#handle = undefined;
    }
  }
}
