import { Reader } from './bytes.js';

/** One section of a module: its id and the byte range of its body. */
export interface SectionSpan {
  id: number;
  start: number;
  end: number;
}

/** Splits a core module into its sections (after the 8-byte header). */
export function readSections(bytes: Uint8Array): SectionSpan[] {
  const r = new Reader(bytes);
  r.skip(8);
  const sections: SectionSpan[] = [];
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    sections.push({ id, start: r.pos, end: r.pos + size });
    r.skip(size);
  }
  return sections;
}

/** One entry of the import section. `kind`: 0 func, 1 table, 2 memory, 3 global, 4 tag. */
export interface ImportEntry {
  module: string;
  name: string;
  kind: number;
  /** A table's element type (0x70 funcref, 0x6f externref). */
  refType?: number;
}

/** Reads one import entry and skips its descriptor; fails on an unknown kind. */
export function readImport(r: Reader): ImportEntry {
  const module = r.name();
  const name = r.name();
  const kind = r.u8();
  switch (kind) {
    case 0: r.u32(); return { module, name, kind };
    case 1: { const refType = r.u8(); skipLimits(r); return { module, name, kind, refType }; }
    case 2: skipLimits(r); return { module, name, kind };
    case 3: r.u8(); r.u8(); return { module, name, kind };
    case 4: r.u8(); r.u32(); return { module, name, kind };
  }
  return r.fail(`unknown import kind ${kind}`);
}

/** Skips a `limits` (memory or table): flags, min, optional max. */
export function skipLimits(r: Reader): void {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
}
