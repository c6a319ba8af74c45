// The engine's clock_time_get in wasm (lib/nn/ort-wasm-clock.ts): it replaces the glue's JS only
// when that is exactly the function it was written against, and then writes what the glue writes.
// (Every engine test runs inferences with it: test/nn/classifier-guest.test.mjs checks the outputs.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { replaceableClock, wasmClock } from '../../dist/nn/ort-wasm-clock.js';

const glueSource = readFileSync(new URL(import.meta.resolve('onnxruntime-web/ort-wasm-simd-threaded.mjs')), 'utf8');

/** The glue's own function, bound to a heap view and its flag (1, as in the glue). */
function glueClock(name, memory) {
  const start = glueSource.indexOf(`function ${name}(a,b,d){`);
  const text = glueSource.slice(start, glueSource.indexOf('}', start) + 1);
  const heap = new BigInt64Array(memory.buffer);
  return new Function('v', 'H', 'Dd', `return ${text}`)(() => {}, heap, 1);
}

test('the installed glue has one replaceable clock; a changed body or a flag set elsewhere keeps the glue\'s', () => {
  const name = replaceableClock(glueSource);
  assert.type(name, 'string');
  const text = glueSource.slice(glueSource.indexOf(`function ${name}(a,b,d){`));
  assert.ok(text.startsWith(`function ${name}(a,b,d){d>>>=0;`));
  assert.is(replaceableClock(glueSource.replace('a=Math.round(1E6*a);(v(),H)', 'a=Math.round(1E3*a);(v(),H)')), undefined, 'another body');
  const flag = /else if\(([\w$]+)\)a=performance\.timeOrigin/.exec(glueSource)[1];
  assert.is(replaceableClock(`${glueSource};${flag}=0;`), undefined, 'flag assigned twice');
  assert.is(replaceableClock(glueSource + glueSource), undefined, 'two candidates');
});

test('the wasm clock writes what the glue\'s writes: same codes, same slot (address rounded down to 8), same time', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
  const ours = wasmClock(memory);
  const theirs = glueClock(replaceableClock(glueSource), memory);
  const heap = new BigInt64Array(memory.buffer);
  for (const clock of [-1, 4, 0x7fffffff]) {
    heap.fill(7n);
    assert.is(ours(clock, 0n, 64), theirs(clock, 0n, 64), `clock ${clock}`);
    assert.is(ours(clock, 0n, 64), 28);
    assert.ok(heap.every((x) => x === 7n), 'an unknown clock writes nothing');
  }
  for (const clock of [0, 1, 2, 3]) {
    for (const ptr of [64, 69]) {
      heap.fill(0n);
      assert.is(theirs(clock, 1000n, ptr), 0);
      const glue = heap[8];
      assert.is(ours(clock, 1000n, ptr), 0);
      const wasm = heap[8];
      assert.ok(heap.every((x, i) => i === 8 || x === 0n), `clock ${clock} at ${ptr}: only slot 8 written`);
      // Read one after the other: equal within the time between the two reads (realtime has ms steps).
      const gap = wasm - glue;
      assert.ok(gap >= 0n && gap < (clock === 0 ? 50_000_000n : 5_000_000n), `clock ${clock}: ${glue} then ${wasm}`);
      if (clock !== 0) assert.ok(wasm > 0n && Number(wasm) / 1e6 <= performance.timeOrigin + performance.now());
    }
  }
});

test.run();
