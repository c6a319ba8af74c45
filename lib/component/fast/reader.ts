/** Thrown while decoding a component binary the fast path cannot (or need not) understand. */
export class Unsupported extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Unsupported';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A cursor over WebAssembly binary bytes: LEB128 integers, names, sub-ranges. */
export class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new Unsupported('unexpected end of component binary');
    return this.bytes[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) throw new Unsupported('unexpected end of component binary');
    return this.bytes[this.pos]!;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) throw new Unsupported('LEB128 integer too long');
    }
    return result;
  }

  /** A length-prefixed UTF-8 name. */
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new Unsupported('name runs past its section');
    const s = utf8.decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  /** `len` raw bytes, as a view (not a copy). */
  take(len: number): Uint8Array {
    if (this.pos + len > this.end) throw new Unsupported('item runs past its section');
    const out = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  vec<T>(item: (r: Reader) => T): T[] {
    const n = this.u32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
}
