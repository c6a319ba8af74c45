import { validateHeaderName, validateHeaderValue } from 'node:http';

/** `wasi:http/types.header-error`, thrown as a value (jco turns it into the `err` case). */
export type HeaderError = { tag: 'invalid-syntax' | 'forbidden' | 'immutable' };

/** Hop-by-hop headers a guest may neither read nor set (as in wasmtime). */
const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);
const decoder = new TextDecoder();
const LOCK = Symbol('lock');

/** `wasi:http/types.fields`: an ordered multimap of header names to byte values. */
export class Fields {
  #entries: [string, Uint8Array][] = [];
  [LOCK] = false;

  /** `from-list`: fails with a header-error value on a bad or forbidden name. */
  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.#entries.filter(([n]) => n === key).map(([, v]) => v);
  }
  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#entries.some(([n]) => n === key);
  }
  set(name: string, values: Uint8Array[]): void {
    const key = checkName(this, name);
    for (const v of values) checkValue(key, v);
    this.#entries = this.#entries.filter(([n]) => n !== key);
    for (const v of values) this.#entries.push([key, v]);
  }
  delete(name: string): void {
    const key = checkName(this, name);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }
  append(name: string, value: Uint8Array): void {
    const key = checkName(this, name);
    checkValue(key, value);
    this.#entries.push([key, value]);
  }
  entries(): [string, Uint8Array][] {
    return this.#entries.map(([n, v]) => [n, v]);
  }
  clone(): Fields {
    const copy = new Fields();
    copy.#entries = this.entries();
    return copy;
  }
  [Symbol.dispose](): void {}
}

/** Makes `fields` immutable (headers of a request or response once attached). */
export function lockFields(fields: Fields): Fields {
  fields[LOCK] = true;
  return fields;
}

/** Host-side construction from Node's raw header list, skipping forbidden and invalid names. */
export function fieldsFromNode(rawHeaders: string[]): Fields {
  const fields = new Fields();
  const encoder = new TextEncoder();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    try { fields.append(rawHeaders[i]!, encoder.encode(rawHeaders[i + 1]!)); } catch { /* dropped */ }
  }
  return fields;
}

/** Entries as Node header pairs (latin1/utf-8 text). */
export function fieldsToNode(fields: Fields): [string, string][] {
  return fields.entries().map(([n, v]) => [n, decoder.decode(v)]);
}

function checkName(fields: Fields, name: string): string {
  if (fields[LOCK]) throw { tag: 'immutable' } satisfies HeaderError;
  try { validateHeaderName(name); } catch { throw { tag: 'invalid-syntax' } satisfies HeaderError; }
  const key = name.toLowerCase();
  if (FORBIDDEN.has(key)) throw { tag: 'forbidden' } satisfies HeaderError;
  return key;
}

function checkValue(name: string, value: Uint8Array): void {
  try { validateHeaderValue(name, decoder.decode(value)); } catch { throw { tag: 'invalid-syntax' } satisfies HeaderError; }
}
