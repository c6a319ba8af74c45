/**
 * Reads and rewrites the parts of a core WebAssembly module the guest build needs: the export
 * names (AssemblyScript cannot spell `-`, `:` or `#`, which component-model names use, so the
 * build renames exports in the binary) and the types of exported functions (to write the
 * post-return functions a world expects).
 */

const TYPE_SECTION = 1;
const IMPORT_SECTION = 2;
const FUNCTION_SECTION = 3;
const EXPORT_SECTION = 7;
const KINDS = ['func', 'table', 'memory', 'global', 'tag'] as const;
const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

export interface CoreExport { name: string; kind: string; index: number }
export interface CoreFuncType { params: string[]; results: string[] }

class Reader {
  constructor(readonly bytes: Uint8Array, public pos: number) {}
  u32(): number {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (this.pos >= this.bytes.length) throw new Error('truncated LEB128');
      byte = this.bytes[this.pos++]!;
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  }
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('truncated module');
    return this.bytes[this.pos++]!;
  }
  name(): string {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
}

function writeU32(value: number, out: number[]): void {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
}

interface Section { id: number; header: number; start: number; end: number }

/** Splits a core module into its sections (start/end of each payload). */
function sections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[4] !== 1) {
    throw new Error('not a core WebAssembly module');
  }
  const out: Section[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const r = new Reader(bytes, pos + 1);
    const size = r.u32();
    out.push({ id: bytes[pos]!, header: pos, start: r.pos, end: r.pos + size });
    pos = r.pos + size;
  }
  return out;
}

/** The exports of a core module, in order. */
export function coreExports(bytes: Uint8Array): CoreExport[] {
  const section = sections(bytes).find((s) => s.id === EXPORT_SECTION);
  if (!section) return [];
  const r = new Reader(bytes, section.start);
  const out: CoreExport[] = [];
  for (let count = r.u32(); count > 0; count--) {
    const name = r.name();
    const kind = KINDS[r.byte()] ?? 'unknown';
    out.push({ name, kind, index: r.u32() });
  }
  return out;
}

/** The type of every function of the module (imported ones first), by function index. */
export function coreFunctionTypes(bytes: Uint8Array): CoreFuncType[] {
  const all = sections(bytes);
  const types: CoreFuncType[] = [];
  const typeSection = all.find((s) => s.id === TYPE_SECTION);
  if (typeSection) {
    const r = new Reader(bytes, typeSection.start);
    for (let count = r.u32(); count > 0; count--) {
      if (r.byte() !== 0x60) throw new Error('unsupported type form (only function types are expected)');
      const vec = () => Array.from({ length: r.u32() }, () => VALUE_TYPES[r.byte()] ?? 'ref');
      const params = vec();
      types.push({ params, results: vec() });
    }
  }
  const funcs: CoreFuncType[] = [];
  const importSection = all.find((s) => s.id === IMPORT_SECTION);
  if (importSection) {
    const r = new Reader(bytes, importSection.start);
    for (let count = r.u32(); count > 0; count--) {
      r.name();
      r.name();
      const kind = r.byte();
      if (kind === 0) funcs.push(types[r.u32()]!);
      else if (kind === 1) { r.byte(); limits(r); } // table: reftype + limits
      else if (kind === 2) limits(r); // memory
      else if (kind === 3) { r.byte(); r.byte(); } // global: valtype + mutability
      else if (kind === 4) { r.byte(); r.u32(); } // tag
      else throw new Error(`unknown import kind ${kind}`);
    }
  }
  const functionSection = all.find((s) => s.id === FUNCTION_SECTION);
  if (functionSection) {
    const r = new Reader(bytes, functionSection.start);
    for (let count = r.u32(); count > 0; count--) funcs.push(types[r.u32()]!);
  }
  return funcs;
}

function limits(r: Reader): void {
  const flags = r.byte();
  r.u32();
  if (flags & 1) r.u32();
}

/** A copy of the module whose exports are renamed by `rename(name)`. */
export function renameCoreExports(bytes: Uint8Array, rename: (name: string) => string): Uint8Array {
  const section = sections(bytes).find((s) => s.id === EXPORT_SECTION);
  if (!section) return bytes;
  const encoder = new TextEncoder();
  const payload: number[] = [];
  const exports = coreExports(bytes);
  writeU32(exports.length, payload);
  for (const { name, kind, index } of exports) {
    const encoded = encoder.encode(rename(name));
    writeU32(encoded.length, payload);
    payload.push(...encoded, KINDS.indexOf(kind as (typeof KINDS)[number]));
    writeU32(index, payload);
  }
  const header = [EXPORT_SECTION];
  writeU32(payload.length, header);
  const out = new Uint8Array(section.header + header.length + payload.length + (bytes.length - section.end));
  out.set(bytes.subarray(0, section.header), 0);
  out.set(header, section.header);
  out.set(payload, section.header + header.length);
  out.set(bytes.subarray(section.end), section.header + header.length + payload.length);
  return out;
}
