import { InvalidModuleError } from './errors.js';

/** Sequential reader over a module's bytes with the LEB128 forms the binary format uses. */
export class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new InvalidModuleError(`invalid module: ${what} at byte offset ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.buf[this.pos++]!;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift === 28 && b > 0x0f) this.fail('u32 LEB128 overflow');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Signed LEB128 of at most `bits` bits; returned as a number (only used for s32/s33). */
  s(bits: number): number {
    const maxBytes = Math.ceil(bits / 7);
    let result = 0;
    let shift = 0;
    let b: number;
    let n = 0;
    do {
      if (++n > maxBytes) this.fail('signed LEB128 too long');
      b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (b & 0x40) result -= 2 ** shift;
    return result;
  }

  /** Skips a signed LEB128 of at most `bits` bits without decoding it (i64.const). */
  skipLeb(bits: number): void {
    const max = Math.ceil(bits / 7);
    for (let i = 0; i < max; i++) if ((this.u8() & 0x80) === 0) return;
    this.fail('LEB128 too long');
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail('unexpected end');
    this.pos += n;
  }

  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    return new TextDecoder('utf-8', { fatal: true }).decode(this.buf.subarray(start, start + len));
  }
}

/** Growable byte buffer with LEB128 writers. */
export class Writer {
  buf: Uint8Array<ArrayBuffer>;
  len = 0;
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(b: number): void {
    if (this.len >= this.buf.length) this.reserve(1);
    this.buf[this.len++] = b;
  }

  u32(v: number): void {
    this.reserve(5);
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.buf[this.len++] = b;
    } while (v !== 0);
  }

  s32(v: number): void {
    this.reserve(5);
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.buf[this.len++] = b;
        return;
      }
      this.buf[this.len++] = b | 0x80;
    }
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.reserve(n);
    if (n < 48) {
      // Short runs dominate (copying between inserted instructions): a loop beats subarray+set.
      const buf = this.buf;
      let at = this.len;
      for (let i = start; i < end; i++) buf[at++] = src[i]!;
    } else {
      this.buf.set(src.subarray(start, end), this.len);
    }
    this.len += n;
  }

  /** Empties the buffer, keeping its capacity (scratch reuse). */
  reset(): void {
    this.len = 0;
  }

  name(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  /** Appends `other` prefixed by its length (a section or function body). */
  sized(other: Writer): void {
    this.u32(other.len);
    this.bytes(other.buf, 0, other.len);
  }

  result(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}
