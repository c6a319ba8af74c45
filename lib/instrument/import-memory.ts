import { Reader, Writer } from './bytes.js';
import { readImport, readSections } from './sections.js';

/** Import module of the memories {@link importMemories} turns into imports. */
export const POOLED_MEMORY_MODULE = 'sfirt:memory';

const SECTION = { type: 1, import: 2, memory: 5 } as const;

/** Limits of one pooled memory, as encoded in its import name `<index>:<min>:<max or empty>`. */
export interface PooledMemoryLimits {
  index: number;
  min: number;
  max: number | undefined;
}

/** Reads the limits back from a pooled memory's import name. */
export function parsePooledMemoryName(name: string): PooledMemoryLimits {
  const [index, min, max] = name.split(':');
  return { index: Number(index), min: Number(min), max: max === '' || max === undefined ? undefined : Number(max) };
}

/**
 * Turns every (non-shared) memory the module defines into an import from
 * {@link POOLED_MEMORY_MODULE}, named after its index and limits, so the host can hand each new
 * instance a recycled `WebAssembly.Memory` instead of allocating one (allocating wasm memories
 * is what makes V8 run full GCs when many short-lived instances are created). Memory indices do
 * not change: the new imports follow the existing ones, and imports precede definitions.
 */
export function importMemories(bytes: Uint8Array): Uint8Array {
  const sections = readSections(bytes);
  const memSection = sections.find((s) => s.id === SECTION.memory);
  if (!memSection) return bytes;
  const importSection = sections.find((s) => s.id === SECTION.import);

  let importedMemories = 0;
  let importCount = 0;
  let importBody: Uint8Array = new Uint8Array(0);
  if (importSection) {
    const ir = new Reader(bytes, importSection.start, importSection.end);
    importCount = ir.u32();
    const bodyStart = ir.pos;
    for (let n = 0; n < importCount; n++) if (readImport(ir).kind === 2) importedMemories++;
    importBody = bytes.subarray(bodyStart, importSection.end);
  }

  const mr = new Reader(bytes, memSection.start, memSection.end);
  const count = mr.u32();
  const converted: PooledMemoryLimits[] = [];
  for (let i = 0; i < count; i++) {
    const flags = mr.u8();
    const min = mr.u32();
    const max = flags & 1 ? mr.u32() : undefined;
    // Shared memories (threads) and anything exotic stay defined; so does every later memory then,
    // since imports must precede definitions in the index space.
    if ((flags & ~1) !== 0 || converted.length !== i) continue;
    converted.push({ index: importedMemories + i, min, max });
  }
  if (converted.length === 0) return bytes;
  if (converted.length !== count) return bytes; // mixed: leave the module as it is

  const imports = new Writer(importBody.length + 32 * converted.length);
  imports.u32(importCount + converted.length);
  imports.bytes(importBody);
  for (const m of converted) {
    imports.name(POOLED_MEMORY_MODULE);
    imports.name(`${m.index}:${m.min}:${m.max ?? ''}`);
    imports.u8(2);
    imports.u8(m.max === undefined ? 0 : 1);
    imports.u32(m.min);
    if (m.max !== undefined) imports.u32(m.max);
  }

  const out = new Writer(bytes.length + imports.len + 16);
  out.bytes(bytes, 0, 8);
  let placed = false;
  const place = () => { out.u8(SECTION.import); out.sized(imports); placed = true; };
  for (const s of sections) {
    if (s.id === SECTION.import) { place(); continue; }
    if (s.id === SECTION.memory) continue; // every defined memory is now imported
    if (!placed && !importSection && s.id !== 0 && s.id !== SECTION.type) place();
    out.u8(s.id);
    out.u32(s.end - s.start);
    out.bytes(bytes, s.start, s.end);
  }
  if (!placed) place();
  return out.result();
}

