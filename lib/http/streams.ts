/**
 * The `wasi:io/streams` a `wasi:http` body is read or written through. In memory: request bodies
 * are buffered before the guest runs and response bodies are buffered until it returns, so no
 * stream ever blocks. The glue checks streams with `instanceof` against the `wasi:io` classes of
 * the import object (this runtime's own, `lib/wasi/io`), so ours extend them, overriding every
 * method; methods live on the prototype (no closures per stream).
 */
import { InputStream, OutputStream, Pollable } from '../wasi/io/index.js';
import { HttpResourceTrap, resourceClass, type ResourceOwner } from './resource.js';

/** `wasi:io/streams.stream-error` `closed`: the end of a body, or a body that takes no more. */
const CLOSED = Object.freeze({ tag: 'closed' });
const EMPTY = new Uint8Array(0);
/** Most bytes one `check-write` allows (the guest asks again after writing them). */
const WRITE_WINDOW = 1 << 20;

/**
 * A pollable that is always ready (nothing here ever waits), registered like every other resource
 * so that a guest subscribing in a loop without dropping is counted and stopped.
 */
export class ReadyPollable extends resourceClass(Pollable) {
  override ready(): boolean { this.alive(); return true; }
  override block(): void { this.alive(); }
  wipe(): void {}
}

/** A pollable for a resource, owned with it. */
export function readyPollable(owner: ResourceOwner | undefined): ReadyPollable {
  return new ReadyPollable().adopt(owner);
}

/**
 * The end of a body as the glue's `err(closed)` result, returned rather than thrown: both glues
 * take a host's returned `{ tag: 'err' }` as the `result` itself (lib/component/fast/bindings.ts),
 * and a throw costs ~0.4 µs, paid once per request by every guest that reads a body to its end.
 * Host code calling these methods directly gets this value at the end, not an exception.
 */
export const END_OF_BODY = Object.freeze({ tag: 'err', val: CLOSED });

/** An input stream over fixed bytes; `closed` at the end (returned as {@link END_OF_BODY}). */
export class BodyInputStream extends resourceClass(InputStream) {
  #data: Uint8Array;
  #at = 0;
  constructor(data: Uint8Array) {
    super();
    this.#data = data;
  }
  override read(len: bigint): Uint8Array {
    this.alive();
    const data = this.#data;
    if (this.#at >= data.byteLength) return END_OF_BODY as never;
    const n = Math.min(Number(len), data.byteLength - this.#at);
    // A view: the glue copies it into guest memory.
    const out = data.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  override blockingRead(len: bigint): Uint8Array { return this.read(len); }
  override skip(len: bigint): bigint {
    const got = this.read(len);
    return (got as unknown) === END_OF_BODY ? END_OF_BODY as never : BigInt(got.byteLength);
  }
  override blockingSkip(len: bigint): bigint { return this.skip(len); }
  override subscribe(): Pollable { this.alive(); return readyPollable(this.owner); }
  wipe(): void { this.#data = EMPTY; }
}

/** Where an output stream's bytes go; refuses (returns false) once full or finished. */
export interface ByteSink {
  /** Bytes the sink still takes. */
  room(): number;
  /** Takes a copy of `bytes`; false when the sink is closed or `bytes` does not fit. */
  push(bytes: Uint8Array): boolean;
}

/** An output stream into a `ByteSink`; `closed` once the sink refuses. */
export class BodyOutputStream extends resourceClass(OutputStream) {
  #sink: ByteSink | undefined;
  constructor(sink: ByteSink) {
    super();
    this.#sink = sink;
  }
  override checkWrite(): bigint {
    const room = this.#open().room();
    if (room <= 0) throw CLOSED;
    return BigInt(Math.min(room, WRITE_WINDOW));
  }
  override write(buf: Uint8Array): void {
    if (!this.#open().push(buf)) throw CLOSED;
  }
  override blockingWriteAndFlush(buf: Uint8Array): void { this.write(buf); }
  override flush(): void { this.#open(); }
  override blockingFlush(): void { this.#open(); }
  override writeZeroes(n: bigint): void {
    const sink = this.#open();
    if (n > BigInt(sink.room())) throw CLOSED;
    this.write(new Uint8Array(Number(n)));
  }
  override blockingWriteZeroesAndFlush(n: bigint): void { this.writeZeroes(n); }
  override splice(): bigint { throw new HttpResourceTrap('output-stream.splice is not supported on wasi:http bodies'); }
  override blockingSplice(): bigint { return this.splice(); }
  override subscribe(): Pollable { this.#open(); return readyPollable(this.owner); }
  #open(): ByteSink {
    this.alive();
    return this.#sink!;
  }
  wipe(): void { this.#sink = undefined; }
}
