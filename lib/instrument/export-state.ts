import { Reader, Writer } from './bytes.js';
import { readImport, readSections, skipLimits } from './sections.js';
import { skipImmediates } from './opcodes.js';
import { METER_FUEL_EXPORT, METER_TICK_EXPORT } from './instrument.js';
import { tablesWrittenByCode } from './table-writes.js';

/** Prefix of the exports {@link exportState} adds; followed by `global:N`, `table:N` or `memory:N`. */
export const STATE_EXPORT_PREFIX = 'sfirt:state:';

const SECTION = { import: 2, table: 4, memory: 5, global: 6, export: 7 } as const;
/** Where an export section goes when the module has none: before start/elem/datacount/code/data. */
const AFTER_EXPORT = new Set([8, 9, 10, 11, 12]);

/**
 * Exports every mutable global, table and memory the module defines (under
 * {@link STATE_EXPORT_PREFIX}) so the host can snapshot an instance after initialisation and
 * restore it after each call (pool mode `reset`). Imported ones are left to the module that
 * defines them, and so is a table that cannot change after instantiation (not exported, and no
 * instruction writes it: table-writes.ts), which then costs nothing to restore. Everything else is
 * copied byte for byte.
 */
export function exportState(bytes: Uint8Array): Uint8Array {
  const sections = readSections(bytes);
  const imported = { table: 0, memory: 0, global: 0 };
  const added: [name: string, kind: number, index: number][] = [];
  for (const s of sections) {
    const sr = new Reader(bytes, s.start, s.end);
    if (s.id === SECTION.import) {
      for (let n = sr.u32(); n > 0; n--) {
        const { kind } = readImport(sr);
        if (kind === 1) imported.table++;
        else if (kind === 2) imported.memory++;
        else if (kind === 3) imported.global++;
      }
    } else if (s.id === SECTION.table) {
      const n = sr.u32();
      for (let i = 0; i < n; i++) { sr.u8(); skipLimits(sr); added.push([`table:${imported.table + i}`, 1, imported.table + i]); }
    } else if (s.id === SECTION.memory) {
      const n = sr.u32();
      for (let i = 0; i < n; i++) { skipLimits(sr); added.push([`memory:${imported.memory + i}`, 2, imported.memory + i]); }
    } else if (s.id === SECTION.global) {
      const n = sr.u32();
      for (let i = 0; i < n; i++) {
        sr.u8();
        const mutable = sr.u8() === 1;
        skipConstExpr(sr);
        if (mutable) added.push([`global:${imported.global + i}`, 3, imported.global + i]);
      }
    }
  }
  // The meter's own fuel global (`fuelGlobal: 'own'`) belongs to the host's Meter, not to the
  // guest's state: restoring it would hand the guest fuel the Meter does not know about. The bulk
  // tick counter is the meter's too.
  const exportSec = sections.find((s) => s.id === SECTION.export);
  const exportedTables = new Set<number>();
  if (exportSec) {
    const er = new Reader(bytes, exportSec.start, exportSec.end);
    for (let n = er.u32(); n > 0; n--) {
      const name = er.name();
      const kind = er.u8();
      const index = er.u32();
      if (kind === 1) exportedTables.add(index);
      if ((name === METER_FUEL_EXPORT || name === METER_TICK_EXPORT) && kind === 3) {
        const at = added.findIndex(([, k, i]) => k === 3 && i === index);
        if (at >= 0) added.splice(at, 1);
      }
    }
  }
  // Tables nothing can write keep their instantiation contents: no state to snapshot or restore.
  const written = tablesWrittenByCode(bytes);
  if (written) {
    for (let at = added.length - 1; at >= 0; at--) {
      const [, kind, index] = added[at]!;
      if (kind === 1 && !written.has(index) && !exportedTables.has(index)) added.splice(at, 1);
    }
  }
  if (added.length === 0) return bytes;

  const exports = new Writer();
  const existing = sections.find((s) => s.id === SECTION.export);
  let count = added.length;
  let body: Uint8Array = new Uint8Array(0);
  if (existing) {
    const er = new Reader(bytes, existing.start, existing.end);
    count += er.u32();
    body = bytes.subarray(er.pos, existing.end);
  }
  exports.u32(count);
  exports.bytes(body);
  for (const [name, kind, index] of added) { exports.name(STATE_EXPORT_PREFIX + name); exports.u8(kind); exports.u32(index); }

  const out = new Writer(bytes.length + exports.len + 16);
  out.bytes(bytes, 0, 8);
  let placed = false;
  const place = () => { out.u8(SECTION.export); out.sized(exports); placed = true; };
  for (const s of sections) {
    if (s.id === SECTION.export) { place(); continue; }
    if (!placed && !existing && AFTER_EXPORT.has(s.id)) place();
    out.u8(s.id);
    out.u32(s.end - s.start);
    out.bytes(bytes, s.start, s.end);
  }
  if (!placed) place();
  return out.buf.slice(0, out.len);
}


/** Skips a constant expression up to and including its `end`. */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.u8();
    if (op === 0x0b) return;
    if (op === 0x23 || op === 0xd2) { r.u32(); continue; } // global.get, ref.func
    if (op === 0xd0) { r.u8(); continue; } // ref.null t
    if (op === 0xfd) { r.u32(); r.skip(16); continue; } // v128.const
    skipImmediates(r, op);
  }
}
