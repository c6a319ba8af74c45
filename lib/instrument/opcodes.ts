import type { Reader } from './bytes.js';

/** Opcodes the metering pass treats specially; everything else is copied as is. */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, try: 0x06, catch: 0x07,
  throw: 0x08, rethrow: 0x09, end: 0x0b, br: 0x0c, brIf: 0x0d, brTable: 0x0e, return: 0x0f,
  call: 0x10, callIndirect: 0x11, returnCall: 0x12, returnCallIndirect: 0x13, delegate: 0x18,
  catchAll: 0x19, localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24,
  memoryGrow: 0x40, i32Const: 0x41, i32Sub: 0x6b, i32Add: 0x6a, i32Eq: 0x46, i32Eqz: 0x45, i32LtS: 0x48,
  drop: 0x1a, refFunc: 0xd2, prefixFC: 0xfc, prefixFD: 0xfd, prefixFE: 0xfe,
} as const;

/** Reads a block type: returns -1 for empty (0x40), -2 for a single value type, else a type index. */
export function readBlockType(r: Reader): number {
  const b = r.buf[r.pos];
  if (b === 0x40) { r.pos++; return -1; }
  if (b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) {
    r.pos++;
    return -2;
  }
  const idx = r.s(33);
  if (idx < 0) r.fail('invalid block type');
  return idx;
}

function memarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory index
  r.u32();
}

/**
 * Skips the immediates of any non-control instruction `op` (already read). Control instructions
 * (block/loop/if/try/br*, calls, global access, ref.func, memory.grow) are handled by the caller.
 */
export function skipImmediates(r: Reader, op: number): void {
  if (op >= 0x45 && op <= 0xc4) return; // numeric, incl. sign extension
  if (op >= 0x28 && op <= 0x3e) return memarg(r);
  switch (op) {
    case 0x00: case 0x01: case 0x05: case 0x0b: case 0x0f: case 0x19: case 0x1a: case 0x1b: case 0xd1:
      return;
    case 0x1c: { // typed select
      const n = r.u32();
      for (let i = 0; i < n; i++) r.u8();
      return;
    }
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
    case 0x3f: case 0x40: case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x10: case 0x12: case 0x18: case 0xd2:
      r.u32();
      return;
    case 0x11: case 0x13:
      r.u32(); r.u32();
      return;
    case 0x0e: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case 0x41: r.s(32); return;
    case 0x42: r.skipLeb(64); return;
    case 0x43: r.skip(4); return;
    case 0x44: r.skip(8); return;
    case 0xd0: r.u8(); return;
    case 0x02: case 0x03: case 0x04: case 0x06: readBlockType(r); return;
    case 0xfc: return skipFC(r, r.u32());
    case 0xfd: return skipFD(r, r.u32());
    case 0xfe: return skipFE(r, r.u32());
  }
  r.fail(`unknown opcode 0x${op.toString(16)}`);
}

function skipFC(r: Reader, sub: number): void {
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: r.u32(); r.u32(); return; // memory.init data mem
    case 9: case 11: case 13: case 15: case 16: case 17: r.u32(); return;
    case 10: case 12: case 14: r.u32(); r.u32(); return;
  }
  r.fail(`unknown 0xfc opcode ${sub}`);
}

function skipFD(r: Reader, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) return memarg(r);
  if (sub === 12 || sub === 13) return r.skip(16); // v128.const, i8x16.shuffle
  if (sub >= 21 && sub <= 34) return r.skip(1); // extract/replace lane
  if (sub >= 84 && sub <= 91) { memarg(r); r.skip(1); return; } // load/store lane
  if (sub <= 0xff) return; // every other fixed-width SIMD op has no immediate
  r.fail(`unsupported 0xfd opcode ${sub}`);
}

function skipFE(r: Reader, sub: number): void {
  if (sub === 3) { r.u8(); return; } // atomic.fence
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) return memarg(r);
  r.fail(`unknown 0xfe opcode ${sub}`);
}
