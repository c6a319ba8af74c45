/**
 * `wasi:io/streams` over a file descriptor (`read-via-stream`, `write-via-stream`,
 * `append-via-stream`). They are the shim's `InputStream` / `OutputStream` by prototype, which is
 * what jco's glue checks handles against, with every method our own: the shim's would look for
 * its worker-thread stream ids. Reads and writes are synchronous `fs` calls at the stream's own
 * position on the descriptor's fd.
 *
 * A stream borrows its descriptor's fd: once the guest drops the descriptor (or the instance is
 * reset), the stream answers `closed`. It holds no host resource of its own, but counts toward
 * `limits.openFiles` like everything else the guest holds.
 */
import { fstatSync, readSync, writeSync } from 'node:fs';
import { io, readyPollable } from '../shim.js';
import { fsError } from './errors.js';
import { FILE_STREAM, type OpenFiles } from './open-files.js';
import type { ErrorCode } from './types.js';

/** What a stream needs of its descriptor. */
export interface StreamFile {
  readonly fd: number;
  readonly closed: boolean;
  readonly files: OpenFiles;
}

/** Most bytes one read returns (a guest asking for 2^63 gets a short read, not a host OOM). */
export const MAX_READ_BYTES = 1 << 20;
/** What `check-write` grants: writes are synchronous, so this is only a bound on one call. */
const WRITE_BUDGET = 1 << 20;
const ZEROES = new Uint8Array(64 * 1024);

type IoErrorClass = new (payload: unknown) => object;
const IoError = (io as unknown as { error: { Error: IoErrorClass } }).error.Error;

const CLOSED = Object.freeze({ tag: 'closed' });
/** A `stream-error` carrying a `wasi:io/error` whose payload is the `error-code` (see `filesystemErrorCode`). */
function failed(err: unknown): { tag: 'last-operation-failed'; val: object } {
  const code: ErrorCode = fsError(err);
  return { tag: 'last-operation-failed', val: new IoError(code) };
}

function length(len: bigint | number, max: number): number {
  const n = typeof len === 'bigint' ? (len > BigInt(max) ? max : Number(len)) : Math.min(len, max);
  return n > 0 ? n : 0;
}

interface StreamState {
  file: StreamFile;
  position: number;
}

function live(s: StreamState | undefined): StreamState {
  if (!s || s.file.closed) throw CLOSED;
  return s;
}

export class FileInputStream {
  #s: StreamState | undefined;

  /** Creates a stream at `position`, registered in the instance's scope. */
  static create(file: StreamFile, position: number): FileInputStream {
    const stream = new FileInputStream();
    stream.#s = { file, position };
    return file.files.scope.track(stream, FILE_STREAM, (s) => s.#release());
  }

  read(len: bigint): Uint8Array {
    const s = live(this.#s);
    const n = length(len, MAX_READ_BYTES);
    if (n === 0) return new Uint8Array(0);
    const buf = new Uint8Array(n);
    let got: number;
    try {
      got = readSync(s.file.fd, buf, 0, n, s.position);
    } catch (err) {
      throw failed(err);
    }
    if (got === 0) throw CLOSED;
    s.position += got;
    return got === n ? buf : buf.subarray(0, got);
  }

  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  skip(len: bigint): bigint {
    const s = live(this.#s);
    let size: number;
    try {
      size = fstatSync(s.file.fd).size;
    } catch (err) {
      throw failed(err);
    }
    if (s.position >= size) throw CLOSED;
    const n = length(len, size - s.position);
    s.position += n;
    return BigInt(n);
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  subscribe(): object {
    return readyPollable();
  }

  [Symbol.dispose](): void {
    if (!this.#s) return;
    this.#s.file.files.scope.untrack(this);
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

export class FileOutputStream {
  #s: OutputState | undefined;

  static create(file: StreamFile, position: number, append: boolean): FileOutputStream {
    const stream = new FileOutputStream();
    stream.#s = { file, position, append };
    return file.files.scope.track(stream, FILE_STREAM, (s) => s.#release());
  }

  checkWrite(): bigint {
    live(this.#s);
    return BigInt(WRITE_BUDGET);
  }

  write(contents: Uint8Array): void {
    const s = live(this.#s) as OutputState;
    try {
      if (s.append) s.position = fstatSync(s.file.fd).size;
      let done = 0;
      while (done < contents.byteLength) {
        done += writeSync(s.file.fd, contents, done, contents.byteLength - done, s.position + done);
      }
      s.position += done;
    } catch (err) {
      throw failed(err);
    }
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  flush(): void {
    live(this.#s);
  }

  blockingFlush(): void {
    live(this.#s);
  }

  writeZeroes(len: bigint): void {
    live(this.#s);
    if (len > BigInt(WRITE_BUDGET)) throw failed('invalid');
    let left = Number(len);
    while (left > 0) {
      const n = Math.min(left, ZEROES.byteLength);
      this.write(ZEROES.subarray(0, n));
      left -= n;
    }
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  /** Copies up to `len` bytes from any input stream (ours, stdin, ...) into this one. */
  splice(src: { read(len: bigint): Uint8Array }, len: bigint): bigint {
    live(this.#s);
    const n = length(len, WRITE_BUDGET);
    if (n === 0) return 0n;
    const bytes = src.read(BigInt(n));
    this.write(bytes);
    return BigInt(bytes.byteLength);
  }

  blockingSplice(src: { blockingRead(len: bigint): Uint8Array }, len: bigint): bigint {
    return this.splice({ read: (n) => src.blockingRead(n) }, len);
  }

  subscribe(): object {
    return readyPollable();
  }

  [Symbol.dispose](): void {
    if (!this.#s) return;
    this.#s.file.files.scope.untrack(this);
    this.#release();
  }

  #release(): void {
    this.#s = undefined;
  }
}

// jco's glue accepts a stream handle only if it is an instance of the import object's classes
// (the shim's): make ours instances of them, with our methods first on the chain.
Object.setPrototypeOf(FileInputStream.prototype, io.streams.InputStream.prototype);
Object.setPrototypeOf(FileOutputStream.prototype, io.streams.OutputStream.prototype);

/** `filesystem-error-code`: the code inside an error our streams raised, else none. */
export function filesystemErrorCode(err: unknown): ErrorCode | undefined {
  if (!(err instanceof IoError)) return undefined;
  const payload = (err as { payload?: unknown }).payload;
  return typeof payload === 'string' && fsError(payload) === payload ? (payload as ErrorCode) : undefined;
}
