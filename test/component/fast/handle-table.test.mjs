// HandleTable.reset (pool `reset` mode) restores the table of an imported resource exactly as
// mark() left it, whichever way the call changed it: an untouched table is skipped, so every
// change must be seen. Handle numbers restart and objects the guest kept are disposed of.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HandleTable } from '../../../dist/component/fast/resources.js';

const DISPOSE = Symbol.dispose ?? Symbol.for('dispose');
class Thing {
  constructor(name) { this.name = name; this.disposed = 0; }
  [DISPOSE]() { this.disposed++; }
}

function marked() {
  const t = new HandleTable(Thing, 'Thing');
  const kept = new Thing('from init');
  const h = t.lowerOwn(kept); // held since initialisation: survives every reset
  t.mark();
  return { t, kept, h };
}

test('an untouched table resets to itself; the next handle is the first free one', () => {
  const { t, kept, h } = marked();
  t.reset();
  assert.is(h, 1);
  assert.is(t.liftBorrow(h), kept);
  assert.is(t.lowerOwn(new Thing('a')), 2);
  assert.is(kept.disposed, 0);
});

test('handles created and dropped during a call: numbers restart after reset', () => {
  const { t, kept } = marked();
  const a = t.lowerOwn(new Thing('a'));
  const b = t.lowerOwn(new Thing('b'));
  assert.equal([a, b], [2, 3]);
  t.drop(a);
  t.drop(b); // the free list now starts at 3, then 2
  t.reset();
  assert.is(t.lowerOwn(new Thing('c')), 2, 'after reset the table is as marked: next handle is 2');
  t.reset();
  assert.is(kept.disposed, 0);
});

test('an object the guest kept is disposed of at reset, and its handle no longer reaches it', () => {
  const { t } = marked();
  const leaked = new Thing('leaked');
  const h = t.lowerOwn(leaked);
  t.reset();
  assert.is(leaked.disposed, 1);
  assert.is.not(t.liftBorrow(h), leaked, 'the old handle number reaches nothing of the last call');
  assert.is(t.lowerOwn(new Thing('next')), 2, 'and is handed out afresh');
  assert.is(leaked.disposed, 1);
});

test('a handle lifted (own) during the call is back in the table after reset', () => {
  const { t, kept, h } = marked();
  assert.is(t.liftOwn(h), kept); // the guest handed the init object back to the host
  assert.throws(() => t.drop(h), /unknown handle index/);
  t.reset();
  assert.is(t.liftBorrow(h), kept);
  assert.is(kept.disposed, 0);
});

test('a borrow lent during the call is gone after reset', () => {
  const { t } = marked();
  const lent = new Thing('lent');
  const h = t.lowerBorrow(lent);
  assert.is(h, 2);
  t.reset();
  assert.is(t.lowerOwn(new Thing('next')), 2);
});

test('a reset after a reset with no call in between changes nothing', () => {
  const { t, kept, h } = marked();
  const x = new Thing('x');
  t.lowerOwn(x);
  t.reset();
  t.reset();
  assert.is(x.disposed, 1);
  assert.is(t.liftBorrow(h), kept);
  assert.is(t.lowerOwn(new Thing('y')), 2);
});

test('objects that are gone stay gone: a stale handle lifts a placeholder, nothing is disposed twice, and the map stays bounded without resets', () => {
  const { t, kept } = marked();
  const objects = () => t.objects; // (TypeScript-private: read here to bound its size)
  const things = [];
  for (let i = 0; i < 5000; i++) {
    const thing = new Thing(`t${i}`);
    things.push(thing);
    const h = t.lowerOwn(thing);
    if (i % 2) t.drop(h); else assert.is(t.liftOwn(h), thing);
    // Below the cap on stale keys, whatever the cycle count (a `reuse` pool never resets).
    assert.ok(objects().size <= 200, `map holds ${objects().size} keys after ${i + 1} cycles`);
  }
  assert.ok(things.every((x, i) => x.disposed === i % 2), 'each dropped object disposed once, lifted ones never');
  // A handle whose object is gone lifts a bare placeholder (as jco), never an earlier object.
  const h = t.lowerOwn(new Thing('last'));
  t.drop(h);
  const again = t.lowerOwn(new Thing('reuses the slot'));
  assert.is(again, h);
  assert.is(t.liftBorrow(again).name, 'reuses the slot');
  t.reset();
  assert.is(t.liftBorrow(1), kept);
  assert.is(kept.disposed, 0);
  assert.ok(things.every((x, i) => x.disposed === i % 2), 'reset disposes of nothing already gone');
});

/**
 * jco's handle array, as its glue keeps it (the layout HandleTable follows): cells read past the
 * length are `undefined`, writes past it extend it, and a reset (ours) sets the length back.
 */
class JcoCells {
  constructor() { this.t = [1 << 30, 0]; }
  take(cell) {
    const t = this.t;
    const free = t[0] & ~(1 << 30);
    if (free === 0) { t.push(0, cell); return (t.length >> 1) - 1; }
    t[0] = t[free << 1]; t[free << 1] = 0; t[(free << 1) + 1] = cell;
    return free;
  }
  remove(handle) {
    const t = this.t;
    const scope = t[handle << 1];
    const val = t[(handle << 1) + 1];
    if (val === 0 || (scope & (1 << 30)) !== 0) throw new Error('unknown');
    if ((val & (1 << 30)) !== 0 && scope !== 0) throw new Error('borrowed');
    t[handle << 1] = t[0] | (1 << 30);
    t[0] = handle | (1 << 30);
    return val;
  }
}

test('handle numbers, refusals and reps match jco\'s array through resets and out-of-range handles (the table only moves its length back)', () => {
  let seed = 20261203;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  for (let run = 0; run < 200; run++) {
    const t = new HandleTable(Thing, 'Thing');
    const ref = new JcoCells();
    t.mark();
    const marked = ref.t.slice();
    let reps = 0;
    for (let step = 0; step < 60; step++) {
      const op = rand(10);
      if (op < 4) {
        reps++;
        assert.is(t.lowerOwn(new Thing(`r${reps}`)), ref.take(reps | (1 << 30)), `run ${run} step ${step}: own handle`);
      } else if (op < 6) {
        // Handles in range, just past it, far past it (a hostile guest), or negative.
        const pick = rand(4);
        const h = pick === 0 ? 1 + rand(12) : pick === 1 ? (ref.t.length >> 1) + rand(3) : pick === 2 ? 1000 + rand(50) : -1 - rand(3);
        let expected;
        try { expected = ref.remove(h); } catch (e) { expected = e.message; }
        let got;
        try { t.drop(h); got = 'ok'; } catch (e) { got = /borrowed/.test(e.message) ? 'borrowed' : /unknown/.test(e.message) ? 'unknown' : e.message; }
        assert.is(got, typeof expected === 'string' ? expected : 'ok', `run ${run} step ${step}: drop(${h})`);
      } else if (op < 8) {
        // A live own handle lends its object; anything else a placeholder (no name).
        const h = 1 + rand(10);
        const cell = ref.t[(h << 1) + 1];
        const live = cell !== undefined && (cell & (1 << 30)) !== 0 && (ref.t[h << 1] & (1 << 30)) === 0;
        assert.is(t.liftBorrow(h).name, live ? `r${cell & ~(1 << 30)}` : undefined, `run ${run} step ${step}: borrow(${h})`);
      } else {
        t.reset();
        ref.t.length = marked.length;
        for (let i = 0; i < marked.length; i++) ref.t[i] = marked[i];
        reps = 0;
      }
    }
  }
});

test('a reset moves the table back without cutting its array (V8 would trim it, and the next handle grow it again)', () => {
  const { t } = marked();
  for (let call = 0; call < 3; call++) {
    const hs = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => t.lowerOwn(new Thing(`c${call}-${i}`)));
    assert.equal(hs, [2, 3, 4, 5, 6, 7, 8, 9], 'handle numbers restart at every reset');
    const array = t.slots; // (TypeScript-private)
    const cells = array.length;
    t.reset();
    assert.is(t.slots, array);
    assert.is(array.length, cells, 'the array keeps its cells, the table its length as marked');
    assert.is(t.liftBorrow(5).name, undefined, 'a handle of the last call reaches nothing');
  }
});

test.run();
