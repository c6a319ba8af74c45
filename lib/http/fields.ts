/**
 * `wasi:http/types.fields`: an ordered multimap of lower-case names to byte values, under the
 * header policy of `header-policy.ts` (forbidden names are refused with `header-error.forbidden`,
 * malformed names or values with `invalid-syntax`, changes to attached fields with `immutable`).
 * Values are bytes and cross to and from Node as latin1, so every byte arrives exactly.
 */
import { isForbiddenHeader, isValidFieldName, isValidFieldValue, MAX_FIELDS_BYTES, MAX_FIELDS_ENTRIES, parseContentLength } from './header-policy.js';
import { HttpResource } from './resource.js';

/** `wasi:http/types.header-error`, thrown as a value (the glue turns it into the `err` case). */
export type HeaderError = { tag: 'invalid-syntax' | 'forbidden' | 'immutable' };

const INVALID: HeaderError = Object.freeze({ tag: 'invalid-syntax' });
const FORBIDDEN: HeaderError = Object.freeze({ tag: 'forbidden' });
const IMMUTABLE: HeaderError = Object.freeze({ tag: 'immutable' });

export class Fields extends HttpResource {
  #names: string[] = [];
  #values: Uint8Array[] = [];
  #bytes = 0;
  /** Node's raw header list, parsed into the entries on first use (most guests read one or two). */
  #raw: string[] | undefined;
  locked = false;

  /** `from-list`: fails with a header-error value on a bad or forbidden name. */
  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
  }

  /** Host side: the fields of Node's `rawHeaders`, forbidden and malformed ones left out. */
  static fromNode(rawHeaders: string[]): Fields {
    const fields = new Fields();
    fields.#raw = rawHeaders;
    return fields;
  }

  // Values are copied in (the glue may hand us views of guest memory) and never changed in place,
  // so reads hand them out as they are.
  get(name: string): Uint8Array[] {
    this.alive();
    const key = name.toLowerCase();
    const raw = this.#raw;
    if (raw !== undefined) {
      const found = rawGet(raw, key);
      if (found !== undefined) return found;
    }
    this.#materialise();
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.#names.length; i++) if (this.#names[i] === key) out.push(this.#values[i]!);
    return out;
  }
  has(name: string): boolean {
    this.alive();
    this.#materialise();
    return this.#names.includes(name.toLowerCase());
  }
  set(name: string, values: Uint8Array[]): void {
    const key = this.#checkName(name);
    let added = 0;
    for (const v of values) { checkValue(key, v); added += key.length + v.byteLength; }
    this.#remove(key);
    this.#reserve(values.length, added);
    for (const v of values) this.#push(key, v.slice());
  }
  delete(name: string): void {
    this.#remove(this.#checkName(name));
  }
  append(name: string, value: Uint8Array): void {
    const key = this.#checkName(name);
    checkValue(key, value);
    this.#reserve(1, key.length + value.byteLength);
    this.#push(key, value.slice());
  }
  entries(): [string, Uint8Array][] {
    this.alive();
    this.#materialise();
    return this.#names.map((n, i) => [n, this.#values[i]!]);
  }
  clone(): Fields {
    this.alive();
    this.#materialise();
    const copy = new Fields().adopt(this.owner);
    copy.#names = this.#names.slice();
    copy.#values = this.#values.slice(); // values are never changed in place
    copy.#bytes = this.#bytes;
    return copy;
  }

  /** Host side: visits every entry (no copies). */
  forEach(visit: (name: string, value: Uint8Array) => void): void {
    this.#materialise();
    for (let i = 0; i < this.#names.length; i++) visit(this.#names[i]!, this.#values[i]!);
  }

  /** Total bytes of names and values. */
  get byteSize(): number {
    this.#materialise();
    return this.#bytes;
  }

  wipe(): void {
    this.#names = [];
    this.#values = [];
    this.#raw = undefined;
    this.#bytes = 0;
  }

  #checkName(name: string): string {
    this.alive();
    if (this.locked) throw IMMUTABLE;
    if (typeof name !== 'string' || !isValidFieldName(name)) throw INVALID;
    const key = name.toLowerCase();
    if (isForbiddenHeader(key)) throw FORBIDDEN;
    this.#materialise();
    return key;
  }

  /** Past the size caps an entry is refused like a forbidden one (0.2.0 has no size error). */
  #reserve(entries: number, bytes: number): void {
    if (this.#names.length + entries > MAX_FIELDS_ENTRIES || this.#bytes + bytes > MAX_FIELDS_BYTES) throw FORBIDDEN;
  }

  #push(key: string, value: Uint8Array): void {
    this.#names.push(key);
    this.#values.push(value);
    this.#bytes += key.length + value.byteLength;
  }

  #remove(key: string): void {
    for (let i = this.#names.length - 1; i >= 0; i--) {
      if (this.#names[i] === key) {
        this.#bytes -= key.length + this.#values[i]!.byteLength;
        this.#names.splice(i, 1);
        this.#values.splice(i, 1);
      }
    }
  }

  #materialise(): void {
    const raw = this.#raw;
    if (!raw) return;
    this.#raw = undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      if (!isValidFieldName(name)) continue;
      const key = name.toLowerCase();
      if (isForbiddenHeader(key)) continue;
      const value = latin1Bytes(raw[i + 1]!);
      if (!value || !isValidFieldValue(value) || this.#names.length >= MAX_FIELDS_ENTRIES || this.#bytes + key.length + value.byteLength > MAX_FIELDS_BYTES) continue;
      this.#push(key, value);
    }
  }
}

/**
 * `get` on Node's raw header list without building the entries (a guest usually reads one or two
 * of a request's fields): the values of `key` that `#materialise` would keep, or undefined when
 * the list is large enough for a size cap to matter (then the entries are built).
 */
function rawGet(raw: string[], key: string): Uint8Array[] | undefined {
  if (raw.length > 2 * MAX_FIELDS_ENTRIES) return undefined;
  let bytes = 0;
  for (let i = 0; i < raw.length; i++) bytes += raw[i]!.length;
  // Within both caps whatever is left out, so no entry is dropped for size: the same values.
  if (bytes > MAX_FIELDS_BYTES) return undefined;
  const out: Uint8Array[] = [];
  if (!isValidFieldName(key) || isForbiddenHeader(key)) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== key.length || name.toLowerCase() !== key || !isValidFieldName(name)) continue;
    const value = latin1Bytes(raw[i + 1]!);
    if (value && isValidFieldValue(value)) out.push(value);
  }
  return out;
}

function checkValue(key: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array) || !isValidFieldValue(value)) throw INVALID;
  // A declared length must at least be a number (the host still checks it against the body).
  if (key === 'content-length' && parseContentLength(latin1(value)) === undefined) throw INVALID;
}

/** Makes `fields` immutable (headers of a request or response once attached). */
export function lockFields(fields: Fields): Fields {
  fields.locked = true;
  return fields;
}

/** Host-side construction from Node's raw header list, skipping forbidden and invalid fields. */
export function fieldsFromNode(rawHeaders: string[]): Fields {
  return Fields.fromNode(rawHeaders);
}

/** Entries as Node header pairs; values as latin1, byte for byte. */
export function fieldsToNode(fields: Fields): [string, string][] {
  const out: [string, string][] = [];
  fields.forEach((n, v) => out.push([n, latin1(v)]));
  return out;
}

/** Bytes → a string of the same code units (what Node writes back as the same bytes). */
export function latin1(bytes: Uint8Array): string {
  // Header values are short: one fromCharCode over the bytes (a string built char by char
  // allocates one string per byte) beats a native call. Not `latin1Slice` here: a small value
  // copied into its own array (`append`'s `slice()`) lives on V8's heap, and handing it to C++
  // makes V8 move it out first (~1.5 µs per response of the hello component when tried).
  // The bytes go through a plain array first: `apply` spreads a JS array on its fast path, a
  // typed array through the runtime (about twice the time for values of 10-50 bytes). One array
  // per length, reused (this never yields, and `apply` copies the codes out before returning).
  const n = bytes.byteLength;
  if (n > 256) return latin1Slice.call(bytes, 0, n);
  const codes = (CODES[n] ??= new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) codes[i] = bytes[i]!;
  return String.fromCharCode.apply(null, codes);
}

/** `latin1`'s scratch arrays, by length (0..256). */
const CODES: number[][] = [];

/** `Buffer#latin1Slice` on any Uint8Array: its bytes as a string of the same code units. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** A string of code units ≤ 0xFF (Node's header strings) → those bytes; undefined if one is wider. */
export function latin1Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return undefined;
    out[i] = c;
  }
  return out;
}
