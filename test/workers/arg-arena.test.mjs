// The arena that carries call() arguments to a worker: placement, views on the other side, reuse
// of space as answers arrive in any order, and the fallbacks (too large, full, not placeable).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArgArena, ARENA_BYTES, MAX_ARENA_CALL_BYTES, unplace } from '../../dist/workers/arg-arena.js';

/** What a worker receives: the batch is cloned, the arena is shared. */
function roundTrip(arena, args, placement) {
  const got = structuredClone(args);
  unplace(arena.buffer, got, structuredClone(placement));
  return got;
}

test('every typed-array kind arrives as a view of the arena with the same elements; other arguments are untouched', () => {
  const arena = new ArgArena();
  const kinds = [
    new Uint8Array([1, 2, 255]), new Int8Array([-1, 2]), new Uint8ClampedArray([9]), new Int16Array([-300, 7]),
    new Uint16Array([65535]), new Int32Array([-5, 6, 7]), new Uint32Array([4e9]), new Float32Array([0.5, -2]),
    new Float64Array([Math.PI]), new BigInt64Array([-3n]), new BigUint64Array([2n ** 63n]),
  ];
  const args = ['text', 42, ...kinds, { a: 1 }];
  const placement = arena.place(args);
  assert.ok(placement[0] >= 0, 'a region');
  assert.is(placement.length, 1 + 4 * kinds.length);
  assert.equal(args.slice(2, -1), kinds.map(() => 0), 'placed arguments leave a 0 behind');
  const got = roundTrip(arena, args, placement);
  assert.is(got[0], 'text');
  assert.is(got[1], 42);
  assert.equal(got.at(-1), { a: 1 });
  kinds.forEach((k, i) => {
    const v = got[i + 2];
    assert.is(v.constructor, k.constructor);
    assert.ok(v.buffer instanceof SharedArrayBuffer);
    assert.equal([...v], [...k]);
    assert.is(v.byteOffset % 8, 0, 'aligned for every element size');
  });
});

test('a Buffer or a view into a larger buffer arrives as its own bytes in a Uint8Array; changing the source afterwards changes nothing', () => {
  const arena = new ArgArena();
  const pool = Buffer.from('xxhello worldxx');
  const args = [pool.subarray(2, 13)];
  const placement = arena.place(args);
  pool.fill(0);
  const [v] = roundTrip(arena, args, placement);
  assert.is(v.constructor, Uint8Array);
  assert.is(Buffer.from(v).toString(), 'hello world');
});

test('calls without typed arrays, with only shared or DataView arguments, or with too many bytes are not placed', () => {
  const arena = new ArgArena();
  const shared = new Uint8Array(new SharedArrayBuffer(4));
  for (const args of [[1, 'x'], [shared], [new DataView(new ArrayBuffer(8))], [new Uint8Array(MAX_ARENA_CALL_BYTES + 1)], [new Uint8Array(0)]]) {
    const before = [...args];
    assert.is(arena.place(args), undefined);
    assert.equal(args, before, 'arguments stay as they were, for structured clone');
  }
  assert.is(arena.liveRegions, 0);
});

test('space is reused once older regions are freed, in whatever order answers arrive, across wrap-arounds', () => {
  const arena = new ArgArena();
  const size = 40_000; // 26 fit in 1 MiB
  const live = [];
  let placed = 0;
  let seed = 1;
  for (let round = 0; round < 400; round++) {
    const bytes = new Uint8Array(size).fill(round & 255);
    const args = [bytes];
    const placement = arena.place(args);
    if (!placement) {
      // Refused only when no contiguous gap is left: after the newest region (or from 0) and
      // before the oldest live one, which pins the ring's head.
      const bySeq = [...live].sort((a, b) => a.region - b.region);
      const head = bySeq[0].placement[3];
      const tail = bySeq.at(-1).placement[3] + size;
      const gap = tail > head ? Math.max(ARENA_BYTES - tail, head) : head - tail;
      assert.ok(gap < size, `refused with a gap of ${gap} bytes (head ${head}, tail ${tail}, live ${live.length})`);
      // Then free a random live call (answers come back out of order) and try again.
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const [gone] = live.splice(seed % live.length, 1);
      arena.free(gone.region);
      round--;
      continue;
    }
    placed++;
    live.push({ region: placement[0], args, placement, fill: round & 255 });
    // Every live call still sees its own bytes: nothing was overwritten.
    for (const l of live) assert.ok(roundTrip(arena, l.args, l.placement)[0].every((b) => b === l.fill));
  }
  assert.is(placed, 400);
  for (const l of live) arena.free(l.region);
  assert.is(arena.liveRegions, 0);
});

test('a region that is never answered only keeps its own space: later calls fall back, nothing breaks', () => {
  const arena = new ArgArena();
  const stuck = arena.place([new Uint8Array(8)])?.[0];
  assert.ok(stuck >= 0);
  // A steady stream with four calls in flight, answered in order: the ring goes round until it
  // reaches the stuck region, then calls that do not fit before it are refused (and cloned).
  const window = [];
  let refused = 0;
  for (let i = 0; i < 200; i++) {
    const placement = arena.place([new Uint8Array(MAX_ARENA_CALL_BYTES)]);
    if (!placement) refused++;
    else window.push(placement[0]);
    if (window.length > 4) arena.free(window.shift());
  }
  assert.ok(refused > 0 && refused < 200, `refused ${refused} of 200`);
  for (const r of window) arena.free(r);
  arena.free(stuck);
  assert.is(arena.liveRegions, 0);
  assert.ok(arena.place([new Uint8Array(MAX_ARENA_CALL_BYTES)])?.[0] >= 0, 'space is back once the stuck call is answered');
});

test.run();
