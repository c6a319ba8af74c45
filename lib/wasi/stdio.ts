import { BytesInputStream, SinkOutputStream, type InputStream, type OutputStream } from './io/index.js';

/** What a guest's stdout/stderr do: kept and returned with each call, passed to the host's, or dropped. */
export type StdioMode = 'capture' | 'inherit' | 'discard';

/** Default cap on captured output per stream per call; output beyond it is dropped and flagged. */
export const DEFAULT_CAPTURE_LIMIT_BYTES = 1024 * 1024;

/** Output captured during one call. */
export interface CapturedOutput {
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** True when a stream produced more than the capture limit and the rest was dropped. */
  truncated: boolean;
}

const EMPTY = new Uint8Array(0);
/** The output of a call that wrote nothing (shared: callers copy its fields, never change them). */
const SILENT: CapturedOutput = Object.freeze({ stdout: EMPTY, stderr: EMPTY, truncated: false });

/** A capture in progress, as `StdioCapture.save()` takes it out. */
export type CaptureState = readonly [chunks: [Uint8Array[], Uint8Array[]], sizes: number[], truncated: boolean, dirty: boolean];

/**
 * Collects a guest's stdout/stderr for the call in progress. Guest code runs synchronously, so
 * between `begin()` and `end()` every write belongs to exactly one call, even when many calls on
 * the same function are in flight at the await level; a call suspended on an async host import
 * takes its capture out (`save()`) while others run, and puts it back (`restore()`) to resume.
 */
export class StdioCapture {
  #chunks: [Uint8Array[], Uint8Array[]] = [[], []];
  #sizes = [0, 0];
  #truncated = false;
  /** True once anything was written since `begin()`; keeps the common silent call allocation-free. */
  #dirty = false;

  constructor(readonly limitBytes = DEFAULT_CAPTURE_LIMIT_BYTES) {}

  write(fd: 1 | 2, buf: Uint8Array): void {
    const i = fd - 1;
    const room = this.limitBytes - this.#sizes[i]!;
    if (room <= 0) { this.#truncated = true; return; }
    const part = buf.byteLength > room ? buf.subarray(0, room) : buf;
    if (part !== buf) this.#truncated = true;
    this.#dirty = true;
    this.#chunks[i]!.push(part.slice());
    this.#sizes[i]! += part.byteLength;
  }

  /** Starts a call's capture (drops anything left over from instantiation). */
  begin(): void {
    if (!this.#dirty && !this.#truncated) return;
    this.#chunks = [[], []];
    this.#sizes = [0, 0];
    this.#truncated = false;
    this.#dirty = false;
  }

  /** Takes the capture in progress out, leaving an empty one (its call suspends; another may run). */
  save(): CaptureState {
    const saved: CaptureState = [this.#chunks, this.#sizes, this.#truncated, this.#dirty];
    this.#chunks = [[], []];
    this.#sizes = [0, 0];
    this.#truncated = false;
    this.#dirty = false;
    return saved;
  }

  /** Puts a capture taken by `save()` back (its call resumes). */
  restore(saved: CaptureState): void {
    [this.#chunks, this.#sizes, this.#truncated, this.#dirty] = saved;
  }

  end(): CapturedOutput {
    if (!this.#dirty && !this.#truncated) return SILENT;
    const out = { stdout: concat(this.#chunks[0]), stderr: concat(this.#chunks[1]), truncated: this.#truncated };
    this.begin();
    return out;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 0) return EMPTY;
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

/** A `wasi:io/streams.output-stream` that hands every write to `sink` (stdout/stderr, HTTP bodies). */
export function outputStream(sink: (buf: Uint8Array) => void): OutputStream {
  return new SinkOutputStream(sink);
}

/** A `wasi:io/streams.input-stream` over fixed bytes (the guest's stdin); `closed` at the end. */
export function inputStream(data: Uint8Array): InputStream {
  return new BytesInputStream(data);
}

/** Where inherited output goes: the host's own stdout/stderr. */
export function inheritSink(fd: 1 | 2): (buf: Uint8Array) => void {
  const stream = fd === 1 ? process.stdout : process.stderr;
  return (buf) => { stream.write(buf); };
}
