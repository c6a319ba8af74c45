// Short UTF-8 strings (≤ 32 bytes) cross the fast glue byte by byte when ASCII, and byte lists are
// copied through a cached view of the memory (lib/component/fast/codec.ts): the same values, traps and
// errors as the TextDecoder/encodeInto/fresh-view paths they skip, also after the memory grew.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileImport } from '../../../dist/component/fast/bindings.js';

const memory = new WebAssembly.Memory({ initial: 1 });
const bytes = new Uint8Array(memory.buffer);
let next = 4096;
const cx = { memory, realloc: (_o, _s, _a, n) => { const p = next; next += n; return p; }, dv: undefined, rt: [], enc: 0 };
const stringParam = { params: [{ name: 's', type: { kind: 'string' } }] };
const stringResult = { params: [], result: { kind: 'string' } };

/** What a host taking one string receives for the guest bytes `b` at `ptr`. */
function lifted(b, ptr = 1024, len = b.length) {
  if (b.length > 0) bytes.set(b, ptr);
  let got;
  compileImport(stringParam)({ cx, host: (s) => { got = s; } })(ptr, len);
  return got;
}

/** The guest bytes a host returning `s` writes (through realloc and the return pointer at 64). */
function lowered(s) {
  compileImport(stringResult)({ cx, host: () => s })(64);
  const dv = new DataView(memory.buffer);
  const ptr = dv.getUint32(64, true), len = dv.getUint32(68, true);
  return bytes.slice(ptr, ptr + len);
}

test('short strings lift to the same values as long ones: ASCII, non-ASCII, empty, 32 and 33 bytes', () => {
  for (const s of ['input', '', 'a'.repeat(32), 'b'.repeat(33), 'é', 'naïve-😀', '\u0000\u007f']) {
    assert.is(lifted(Buffer.from(s)), s);
  }
});

test('a short string that is not UTF-8 traps invalid-utf8; one out of bounds traps out-of-bounds-memory', () => {
  for (const b of [[0xff], [0x61, 0xc3], [0x61, 0x80, 0x62], [0xed, 0xa0, 0x80]]) {
    assert.throws(() => lifted(Uint8Array.from(b)), (e) => e.code === 'TRAP' && e.trapKind === 'invalid-utf8', String(b));
  }
  assert.throws(() => lifted(new Uint8Array(0), 65536 - 3, 8), (e) => e.code === 'TRAP' && e.trapKind === 'out-of-bounds-memory');
  assert.throws(() => lifted(new Uint8Array(0), -4, 8), (e) => e.code === 'TRAP' && e.trapKind === 'out-of-bounds-memory');
});

test('short strings lower to their UTF-8 bytes; a realloc result out of bounds fails as on the long path', () => {
  for (const s of ['logits', 'x', 'a'.repeat(32), 'b'.repeat(40), 'é', '😀', 'a\u0000b']) {
    assert.equal(Array.from(lowered(s)), Array.from(Buffer.from(s)), s);
  }
  const saved = next;
  next = 65536 - 2;
  assert.throws(() => lowered('abcdef'), RangeError);
  next = saved;
});

test('bytes and short strings land in the memory as it is after a growth (the cached views are renewed)', () => {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  let at = 8192;
  const c = { memory: mem, realloc: (_o, _s, _a, n) => { const p = at; at += n; return p; }, dv: undefined, rt: [], enc: 0 };
  const bytesResult = { params: [], result: { kind: 'list', elem: { kind: 'u8' } } };
  const read = () => { const dv = new DataView(mem.buffer); const p = dv.getUint32(64, true); return new Uint8Array(mem.buffer).slice(p, p + dv.getUint32(68, true)); };
  compileImport(bytesResult)({ cx: c, host: () => Uint8Array.of(1, 2, 3) })(64);
  assert.equal(Array.from(read()), [1, 2, 3]);
  mem.grow(1); // detaches the buffer the glue's views were over
  at = 65536 + 100; // only in the grown memory
  compileImport(bytesResult)({ cx: c, host: () => Uint8Array.of(4, 5, 6, 7) })(64);
  assert.equal(Array.from(read()), [4, 5, 6, 7]);
  compileImport(stringResult)({ cx: c, host: () => 'grown' })(64);
  assert.is(Buffer.from(read()).toString(), 'grown');
  let got;
  compileImport(stringParam)({ cx: c, host: (s) => { got = s; } })(65536 + 104, 5); // where the string went, after the 4 bytes
  assert.is(got, 'grown');
});

test.run();
