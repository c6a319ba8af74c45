/**
 * `wasi:io/streams` over a file descriptor (`read-via-stream`, `write-via-stream`,
 * `append-via-stream`): subclasses of this runtime's `InputStream` / `OutputStream` (`../io/`),
 * which check handles and bound lengths; reads and writes here are synchronous `fs` calls at the
 * stream's own position on the descriptor's fd.
 *
 * A stream borrows its descriptor's fd: once the guest drops the descriptor (or the instance is
 * reset), the stream answers `closed`. It holds no host resource of its own, but counts toward
 * `limits.openFiles` like everything else the guest holds. A failure is `last-operation-failed`
 * whose error carries the `error-code` (`filesystem-error-code` reads it back).
 */
import { fstatSync, readSync, writeSync } from 'node:fs';
import { CLOSED, failed, InputStream, IoError, OutputStream, WRITE_PERMIT } from '../io/index.js';
import { pastDeadline } from './deadline.js';
import { fsError, isErrorCode } from './errors.js';
import { FILE_STREAM, type OpenFiles } from './open-files.js';
import type { DiskUsage } from './quota.js';
import type { ErrorCode } from './types.js';

export { MAX_READ_BYTES } from '../io/index.js';

/** What a stream needs of its descriptor. */
export interface StreamFile {
  readonly fd: number;
  readonly closed: boolean;
  readonly files: OpenFiles;
  /** The grant's disk quota, if it has one: writes that grow the file are charged to it. */
  readonly root: { readonly usage?: DiskUsage | undefined };
}

/** A `stream-error` whose `wasi:io/error` carries the `error-code` (see `filesystemErrorCode`). */
function fileFailure(err: unknown): ReturnType<typeof failed> {
  const code: ErrorCode = fsError(err);
  return failed(`filesystem error: ${code}`, code);
}

interface StreamState {
  file: StreamFile;
  position: number;
}

function live(s: StreamState | undefined): StreamState {
  if (!s || s.file.closed) throw CLOSED;
  // Past the calling guest's deadline, no host work (see descriptor.ts).
  if (pastDeadline()) throw fileFailure('interrupted');
  return s;
}

export class FileInputStream extends InputStream {
  #s: StreamState | undefined;

  /** Creates a stream at `position`, registered in the instance's scope. */
  static create(file: StreamFile, position: number): FileInputStream {
    const stream = new FileInputStream();
    stream.#s = { file, position };
    return file.files.scope.track(stream, FILE_STREAM, (s) => s.#release());
  }

  protected override readBytes(n: number): Uint8Array {
    const s = live(this.#s);
    if (n === 0) return new Uint8Array(0);
    const buf = new Uint8Array(n);
    let got: number;
    try {
      got = readSync(s.file.fd, buf, 0, n, s.position);
    } catch (err) {
      throw fileFailure(err);
    }
    if (got === 0) throw CLOSED;
    s.position += got;
    return got === n ? buf : buf.subarray(0, got);
  }

  protected override skipBytes(n: number): number {
    const s = live(this.#s);
    let size: number;
    try {
      size = fstatSync(s.file.fd).size;
    } catch (err) {
      throw fileFailure(err);
    }
    if (s.position >= size) throw CLOSED;
    const skipped = Math.min(n, size - s.position);
    s.position += skipped;
    return skipped;
  }

  protected override dropped(): void {
    this.#s?.file.files.scope.untrack(this);
    this.#release();
  }

  #release(): void {
    this.#s = undefined;
  }
}

interface OutputState extends StreamState {
  /** `append-via-stream`: every write goes to the current end of the file. */
  append: boolean;
}

export class FileOutputStream extends OutputStream {
  #s: OutputState | undefined;

  static create(file: StreamFile, position: number, append: boolean): FileOutputStream {
    const stream = new FileOutputStream();
    stream.#s = { file, position, append };
    return file.files.scope.track(stream, FILE_STREAM, (s) => s.#release());
  }

  protected override permit(): number {
    live(this.#s);
    return WRITE_PERMIT;
  }

  protected override writeBytes(contents: Uint8Array): void {
    const s = live(this.#s) as OutputState;
    const fd = s.file.fd;
    const write = () => {
      if (s.append) s.position = fstatSync(fd).size;
      let done = 0;
      while (done < contents.byteLength) {
        done += writeSync(fd, contents, done, contents.byteLength - done, s.position + done);
      }
      s.position += done;
    };
    const usage = s.file.root.usage;
    try {
      if (usage) usage.withGrowth(fd, (size) => (s.append ? size : s.position) + contents.byteLength, write);
      else write();
    } catch (err) {
      throw fileFailure(err);
    }
  }

  protected override flushBytes(): void {
    live(this.#s);
  }

  protected override dropped(): void {
    this.#s?.file.files.scope.untrack(this);
    this.#release();
  }

  #release(): void {
    this.#s = undefined;
  }
}

/** `filesystem-error-code`: the code inside an error our file streams raised, else none. */
export function filesystemErrorCode(err: unknown): ErrorCode | undefined {
  const code = IoError.codeOf(err);
  return isErrorCode(code) ? code : undefined;
}
