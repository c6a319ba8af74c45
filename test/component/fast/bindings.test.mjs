// compileImport's list lifting: hosts get their own copies, except hosts marked BORROWED_LISTS,
// which get views of the guest's memory (wasi:nn uses it to skip an allocation per tensor).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileImport } from '../../../dist/component/fast/bindings.js';
import { BORROWED_LISTS } from '../../../dist/component/fast/codec.js';

const memory = new WebAssembly.Memory({ initial: 1 });
const cx = { memory, realloc: undefined, dv: undefined, rt: [] };
const guestBytes = new Uint8Array(memory.buffer, 1024, 300);
const floats = new Float32Array(memory.buffer, 2048, 4);
const sig = (elem) => ({ params: [{ name: 'data', type: { kind: 'list', elem: { kind: elem } } }] });

/** Calls a trampoline for `host` with a list at (ptr, len) and returns what the host received. */
function received(elem, ptr, len, mark) {
  let got;
  const host = (data) => { got = data; };
  if (mark) host[BORROWED_LISTS] = true;
  compileImport(sig(elem))({ cx, host })(ptr, len);
  return got;
}

test('an unmarked host gets a copy, small or large, with the same bytes', () => {
  guestBytes.forEach((_, i) => { guestBytes[i] = i & 255; });
  for (const len of [16, 300]) {
    const got = received('u8', 1024, len, false);
    assert.instance(got, Uint8Array);
    assert.equal(Array.from(got), Array.from(guestBytes.subarray(0, len)));
    assert.is.not(got.buffer, memory.buffer);
    guestBytes[0] ^= 0xff;
    assert.is.not(got[0], guestBytes[0], 'later guest writes do not reach the copy');
  }
  floats.set([1.5, -2, 3.25, 1e-3]);
  const f = received('f32', 2048, 4, false);
  assert.instance(f, Float32Array);
  assert.equal(Array.from(f), Array.from(floats));
});

test('a host marked BORROWED_LISTS gets a view of guest memory, for aligned in-range lists only', () => {
  const view = received('u8', 1024, 300, true);
  assert.is(view.buffer, memory.buffer);
  assert.is(view.byteOffset, 1024);
  assert.is(view.length, 300);
  const fview = received('f32', 2048, 4, true);
  assert.is(fview.buffer, memory.buffer);
  assert.equal(Array.from(fview), Array.from(floats));
  // Misaligned or out-of-range lists take the copying path and its errors (out of range traps).
  assert.throws(() => received('f32', 2049, 4, true), /not aligned/);
  assert.throws(() => received('u8', 65536 - 8, 16, true), (e) => e.code === 'TRAP' && e.trapKind === 'out-of-bounds-memory');
});

test.run();
