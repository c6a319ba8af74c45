/**
 * `wasi:io/streams`: `input-stream` and `output-stream` as base classes that every stream of this
 * runtime extends (stdio, files, HTTP bodies). The public methods are the WIT's; they check that
 * `this` is a live stream of ours (a handle the guest made up reaches the host as a bare object
 * of the class: that traps, `invalid-handle`), bound every length the guest passes, and call the
 * subclass's `readBytes` / `writeBytes` / ... hooks with plain numbers. Expected failures are
 * thrown as `stream-error` values (`{ tag: 'closed' }`, {@link failed}), never as exceptions.
 */
import { TrapError } from '../../errors.js';
import { IoError } from './error.js';
import { readyPollable, type Pollable } from './poll.js';

/** Most bytes one `read` / `skip` returns (a guest asking for 2^63 gets a short read). */
export const MAX_READ_BYTES = 1 << 20;
/** What `check-write` grants: the most one `write-zeroes` or `splice` moves. */
export const WRITE_PERMIT = 1 << 20;

/** `stream-error.closed`. */
export const CLOSED = Object.freeze({ tag: 'closed' as const });

/** `stream-error.last-operation-failed`, whose error says `debug` and carries `code`. */
export function failed(debug: string, code?: string): { tag: 'last-operation-failed'; val: IoError } {
  return { tag: 'last-operation-failed', val: IoError.of(debug, code) };
}

/** A guest's u64 length, as a number no larger than `max`. */
function lengthOf(len: unknown, max: number): number {
  if (typeof len === 'bigint') return len <= 0n ? 0 : len >= BigInt(max) ? max : Number(len);
  if (typeof len === 'number' && len > 0) return Math.min(Math.floor(len), max);
  return 0;
}

function invalidHandle(kind: string): TrapError {
  return new TrapError('invalid-handle', `wasm trap: not a live wasi:io ${kind} handle`);
}

const ZEROES = new Uint8Array(64 * 1024);

export class InputStream {
  #live = true;

  /** `s` as a live input stream of ours, or a trap. */
  static live(s: unknown): InputStream {
    if (typeof s !== 'object' || s === null || !(#live in s) || !(s as InputStream).#live) throw invalidHandle('input-stream');
    return s as InputStream;
  }

  read(len: bigint): Uint8Array {
    return InputStream.live(this).readBytes(lengthOf(len, MAX_READ_BYTES), false);
  }

  blockingRead(len: bigint): Uint8Array {
    return InputStream.live(this).readBytes(lengthOf(len, MAX_READ_BYTES), true);
  }

  skip(len: bigint): bigint {
    return BigInt(InputStream.live(this).skipBytes(lengthOf(len, MAX_READ_BYTES)));
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  subscribe(): Pollable {
    return InputStream.live(this).pollable();
  }

  [Symbol.dispose](): void {
    if (!(#live in this) || !this.#live) return;
    this.#live = false;
    this.dropped();
  }

  /** Up to `n` bytes (`n` ≤ {@link MAX_READ_BYTES}); throws `CLOSED` at the end, or a `failed(...)` value. */
  protected readBytes(_n: number, _blocking: boolean): Uint8Array {
    throw CLOSED;
  }

  /** Skips up to `n` bytes; returns how many. */
  protected skipBytes(n: number): number {
    return this.readBytes(n, false).byteLength;
  }

  /** What `subscribe` returns: ready now (streams of this runtime never wait). */
  protected pollable(): Pollable {
    return readyPollable();
  }

  /** The guest dropped the stream. */
  protected dropped(): void {}
}

export class OutputStream {
  #live = true;

  /** `s` as a live output stream of ours, or a trap. */
  static live(s: unknown): OutputStream {
    if (typeof s !== 'object' || s === null || !(#live in s) || !(s as OutputStream).#live) throw invalidHandle('output-stream');
    return s as OutputStream;
  }

  checkWrite(): bigint {
    return BigInt(OutputStream.live(this).permit());
  }

  write(contents: Uint8Array): void {
    const s = OutputStream.live(this);
    if (!(contents instanceof Uint8Array)) throw failed('write of something that is not bytes');
    s.writeBytes(contents);
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
    OutputStream.live(this).flushBytes();
  }

  flush(): void {
    OutputStream.live(this).flushBytes();
  }

  blockingFlush(): void {
    this.flush();
  }

  /** Writes `len` zero bytes, at most what `check-write` grants (more is `last-operation-failed`). */
  writeZeroes(len: bigint): void {
    const s = OutputStream.live(this);
    const permit = s.permit();
    if (typeof len !== 'bigint' || len > BigInt(permit)) throw failed(`write-zeroes of more than the ${permit} bytes check-write allows`);
    for (let left = Number(len); left > 0;) {
      const n = Math.min(left, ZEROES.byteLength);
      s.writeBytes(ZEROES.subarray(0, n));
      left -= n;
    }
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
    OutputStream.live(this).flushBytes();
  }

  /** Moves up to `len` bytes (at most what `check-write` grants) from any input stream of ours. */
  splice(src: InputStream, len: bigint): bigint {
    const s = OutputStream.live(this);
    InputStream.live(src);
    const n = lengthOf(len, s.permit());
    if (n === 0) return 0n;
    const bytes = src.read(BigInt(n));
    s.writeBytes(bytes);
    return BigInt(bytes.byteLength);
  }

  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }

  subscribe(): Pollable {
    OutputStream.live(this);
    return readyPollable();
  }

  [Symbol.dispose](): void {
    if (!(#live in this) || !this.#live) return;
    this.#live = false;
    this.dropped();
  }

  /** Bytes one write may carry now. */
  protected permit(): number {
    return WRITE_PERMIT;
  }

  /** Writes all of `bytes` (or throws `CLOSED` / a `failed(...)` value). `bytes` is not kept: copy to keep. */
  protected writeBytes(_bytes: Uint8Array): void {
    throw CLOSED;
  }

  protected flushBytes(): void {}

  /** The guest dropped the stream. */
  protected dropped(): void {}
}

/** An input stream over fixed bytes (a guest's stdin, a buffered HTTP body); `closed` at the end. */
export class BytesInputStream extends InputStream {
  #at = 0;
  constructor(readonly data: Uint8Array) {
    super();
  }

  /** Bytes read so far (instance state a pool reset may rewind). */
  get position(): number {
    return this.#at;
  }

  set position(at: number) {
    this.#at = Math.max(0, Math.min(at, this.data.byteLength));
  }

  protected override readBytes(n: number): Uint8Array {
    if (this.#at >= this.data.byteLength) throw CLOSED;
    const end = Math.min(this.data.byteLength, this.#at + n);
    const out = this.data.slice(this.#at, end);
    this.#at = end;
    return out;
  }

  protected override skipBytes(n: number): number {
    if (this.#at >= this.data.byteLength) throw CLOSED;
    const end = Math.min(this.data.byteLength, this.#at + n);
    const skipped = end - this.#at;
    this.#at = end;
    return skipped;
  }
}

/** An output stream that hands every write to `sink` (which may throw a stream-error value). */
export class SinkOutputStream extends OutputStream {
  constructor(readonly sink: (bytes: Uint8Array) => void) {
    super();
  }

  protected override writeBytes(bytes: Uint8Array): void {
    this.sink(bytes);
  }
}
