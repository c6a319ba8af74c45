/**
 * `directory-entry-stream`: a directory listing read lazily through `opendir` (one host fd per
 * stream, closed when the guest drops it or the instance is reset). `.` and `..` are never listed.
 */
import { lstatSync, opendirSync, type Dir, type Dirent } from 'node:fs';
import type { DirHandle } from './dir-handle.js';
import { pastDeadline } from './deadline.js';
import { fsError } from './errors.js';
import { DIRECTORY_STREAM, type OpenFiles } from './open-files.js';
import { typeOfStats } from './stat.js';
import type { DescriptorType, DirectoryEntry } from './types.js';

interface State {
  dir: Dir;
  files: OpenFiles;
  /** The listed directory, to ask the type of entries whose type the listing does not carry. */
  parent: { readonly handle: DirHandle | undefined; readonly closed: boolean };
}

export class DirectoryEntryStream {
  #s: State | undefined;

  /** Opens a listing of `handle`, registered in the instance's scope. Throws an `error-code`. */
  static open(files: OpenFiles, handle: DirHandle, parent: State['parent']): DirectoryEntryStream {
    let dir: Dir;
    try {
      dir = opendirSync(handle.path);
    } catch (err) {
      throw fsError(err);
    }
    const stream = new DirectoryEntryStream();
    stream.#s = { dir, files, parent };
    return files.scope.track(stream, DIRECTORY_STREAM, (s) => s.#release());
  }

  readDirectoryEntry(): DirectoryEntry | undefined {
    // A handle the guest made up (jco hands us a bare object for it), or one it dropped.
    if (!(#s in this) || !this.#s) throw 'bad-descriptor';
    if (pastDeadline()) throw 'interrupted';
    let entry: Dirent | null;
    try {
      entry = this.#s.dir.readSync();
    } catch (err) {
      throw fsError(err);
    }
    if (entry === null) return undefined;
    return { type: this.#type(entry), name: entry.name };
  }

  [Symbol.dispose](): void {
    if (!(#s in this) || !this.#s) return;
    this.#s.files.scope.untrack(this);
    this.#release();
  }

  #type(entry: Dirent): DescriptorType {
    if (entry.isFile()) return 'regular-file';
    if (entry.isDirectory()) return 'directory';
    if (entry.isSymbolicLink()) return 'symbolic-link';
    if (entry.isFIFO()) return 'fifo';
    if (entry.isSocket()) return 'socket';
    if (entry.isCharacterDevice()) return 'character-device';
    if (entry.isBlockDevice()) return 'block-device';
    // The file system does not report types in listings: ask (without following a symlink).
    const { handle, closed } = this.#s!.parent;
    if (closed || !handle) return 'unknown';
    try {
      return typeOfStats(lstatSync(handle.child(entry.name)));
    } catch {
      return 'unknown';
    }
  }

  #release(): void {
    const s = this.#s;
    this.#s = undefined;
    try { s?.dir.closeSync(); } catch { /* already closed */ }
  }
}
