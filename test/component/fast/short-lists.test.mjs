// Byte lists up to 64 bytes are lifted byte by byte from the cached view of the memory
// (lib/component/fast/codec.ts `typedListCodec`), and generated trampolines hand a string's or
// list's pointer and length straight to the codec (`liftPair`): the same values, copies and traps
// as the fresh-view copy above 64 bytes and the generic trampoline's `liftFlat`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileImport } from '../../../dist/component/fast/bindings.js';

const memory = new WebAssembly.Memory({ initial: 1 });
const bytes = new Uint8Array(memory.buffer);
bytes.forEach((_, i) => { bytes[i] = (i * 37 + 11) & 255; });
const cx = { memory, realloc: undefined, dv: undefined, rt: [], enc: 0 };

/** What a host receives for a list<elem> at (ptr, len), through the generated (js `m`) or generic trampoline. */
function received(elem, ptr, len, generated) {
  const js = generated ? 'm' : 'not-an-identifier';
  let got;
  const t = compileImport({ params: [{ name: 'l', type: { kind: 'list', elem: { kind: elem } } }] }, { k: 'static', js })({ cx, host: { [js]: (l) => { got = l; } } });
  assert.is(t.name === 'trampoline', generated);
  try { t(ptr, len); } catch (e) { return `${e.constructor.name} ${e.code} ${e.trapKind} ${e.message}`; }
  return got;
}

test('byte lists of every length up to past 64 bytes lift to copies of the guest bytes, u8 and s8, on both trampolines', () => {
  for (const [elem, Ctor] of [['u8', Uint8Array], ['s8', Int8Array]]) {
    for (const ptr of [0, 1, 1000, 65536 - 70]) {
      for (let len = 0; len <= 70; len++) {
        const want = new Ctor(memory.buffer.slice(ptr, ptr + len));
        for (const generated of [true, false]) {
          const got = received(elem, ptr, len, generated);
          assert.instance(got, Ctor);
          assert.equal(Array.from(got), Array.from(want), `${elem} at ${ptr}, ${len} bytes`);
          assert.is.not(got.buffer, memory.buffer);
        }
      }
    }
  }
});

test('a short byte list out of bounds traps as a long one does, on both trampolines', () => {
  for (const [ptr, len] of [[65536 - 4, 5], [65536, 1], [-1, 2], [65536 - 64, 65], [10, -1], [65530, 64]]) {
    const a = received('u8', ptr, len, true), b = received('u8', ptr, len, false);
    assert.type(a, 'string', `${ptr}, ${len} traps`);
    assert.is(a, b);
    assert.match(a, /TRAP out-of-bounds-memory/);
  }
});

test('a string parameter reaches the host the same through both trampolines', () => {
  const s = 'héllo, wörld';
  new TextEncoder().encodeInto(s, bytes.subarray(2000));
  const lift = (generated) => {
    const js = generated ? 'm' : 'not-an-identifier';
    let got;
    compileImport({ params: [{ name: 's', type: { kind: 'string' } }] }, { k: 'static', js })({ cx, host: { [js]: (v) => { got = v; } } })(2000, 14);
    return got;
  };
  assert.is(lift(true), s);
  assert.is(lift(false), s);
});

test.run();
