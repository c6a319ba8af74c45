/**
 * Which tables a module's own code can change after instantiation. A `reset` pool restores every
 * table it snapshotted by reading each element back (`Table.get`, ~0.1–0.6 µs each): for the
 * componentize-js (StarlingMonkey) guest that is 7,784 elements per request, the largest part of a
 * reset, for a table no instruction ever writes. A table is written only by `table.set`,
 * `table.grow`, `table.fill`, `table.copy` (its destination) and `table.init`; active element
 * segments fill it during instantiation, before any snapshot. A table the module exports may be
 * changed by whoever imports it, so callers treat exported tables as written too.
 */
import { Reader } from './bytes.js';
import { skipImmediates } from './opcodes.js';
import { readSections } from './sections.js';

const CODE_SECTION = 10;
const TABLE_SET = 0x26;
const PREFIX_FC = 0xfc;
const FC = { tableInit: 12, tableCopy: 14, tableGrow: 15, tableFill: 17 } as const;

/**
 * The indices of the tables some instruction of `bytes` writes, or `undefined` when the code
 * cannot be read (then assume every table is written).
 */
export function tablesWrittenByCode(bytes: Uint8Array): Set<number> | undefined {
  const written = new Set<number>();
  try {
    const code = readSections(bytes).find((s) => s.id === CODE_SECTION);
    if (!code) return written;
    const r = new Reader(bytes, code.start, code.end);
    for (let n = r.u32(); n > 0; n--) {
      const size = r.u32();
      const end = r.pos + size;
      for (let groups = r.u32(); groups > 0; groups--) { r.u32(); r.u8(); }
      while (r.pos < end) {
        const op = r.u8();
        if (op === TABLE_SET) { written.add(r.u32()); continue; }
        if (op !== PREFIX_FC) { skipImmediates(r, op); continue; }
        const sub = r.u32();
        if (sub === FC.tableInit) { r.u32(); written.add(r.u32()); } // elem, table
        else if (sub === FC.tableCopy) { written.add(r.u32()); r.u32(); } // destination, source
        else if (sub === FC.tableGrow || sub === FC.tableFill) written.add(r.u32());
        else skipFcImmediates(r, sub);
      }
      if (r.pos !== end) return undefined;
    }
    return written;
  } catch {
    return undefined;
  }
}

/** The immediates of the other 0xfc instructions (saturating truncations, memory and elem ops). */
function skipFcImmediates(r: Reader, sub: number): void {
  if (sub <= 7) return;
  if (sub === 8 || sub === 10) { r.u32(); r.u32(); return; } // memory.init data mem; memory.copy mem mem
  if (sub === 9 || sub === 11 || sub === 13 || sub === 16) { r.u32(); return; } // data.drop, memory.fill, elem.drop, table.size
  r.fail(`unknown 0xfc opcode ${sub}`);
}
