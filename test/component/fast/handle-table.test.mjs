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

test.run();
