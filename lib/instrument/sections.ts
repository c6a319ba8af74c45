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

/** Skips a `limits` (memory or table): flags, min, optional max. */
export function skipLimits(r: Reader): void {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
}
