// The drop functions an instance hands its guest (resources.ts `dropFactory`: one source per
// resource type) do what HandleTable.drop does: the same handle freed, object disposed of (or the
// class's cabiDispose called), error thrown, and table left, also when a dispose throws.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dropFactory, HandleTable } from '../../../dist/component/fast/resources.js';

const DISPOSE = Symbol.dispose ?? Symbol.for('dispose');

/** Two tables driven the same way: one dropped through `t.drop`, the other through a factory's drop. */
function pair(cls) {
  const log = [];
  const tables = [new HandleTable(cls(log, 'method'), 'Thing'), new HandleTable(cls(log, 'factory'), 'Thing')];
  const drops = [(h) => tables[0].drop(h), dropFactory()(tables[1])];
  return { log, tables, drops };
}
const state = (t) => ({ slots: t.slots.slice(0, t.n), objects: [...t.objects].map(([rep, o]) => [rep, o?.n]), live: t.live });

const disposing = (log, who) => class Thing {
  constructor(n) { this.n = n; }
  [DISPOSE]() { log.push(`${who} disposes ${this.n}`); if (this.n === 3) throw new Error(`dispose ${this.n}`); }
};
const withoutDispose = () => class Thing { constructor(n) { this.n = n; } };
const cabi = (log, who) => Object.assign(class Thing { constructor(n) { this.n = n; } }, { [Symbol.for('cabiDispose')]: (rep) => log.push(`${who} cabiDispose ${rep}`) });

for (const [name, cls] of [['a dispose method (one that throws)', disposing], ['no dispose method', withoutDispose], ['a class cabiDispose', cabi]]) {
  test(`drops match HandleTable.drop for objects with ${name}`, () => {
    const { log, tables, drops } = pair(cls);
    for (const t of tables) {
      for (let n = 1; n <= 5; n++) t.lowerOwn(new t.cls(n));
      t.liftBorrow(9); // a placeholder: its handle has no object
    }
    // Own handles with objects, one whose dispose throws, a handle never made, one dropped twice,
    // a borrow lent by lowerBorrow, and handles whose objects went (liftOwn) so cabiDispose applies.
    const steps = [1, 3, 2, 2, 7, 0, -1];
    for (const t of tables) t.lowerBorrow(new t.cls(6));
    steps.push(6);
    for (const t of tables) t.liftOwn(4);
    steps.push(4, 5);
    const outcomes = [[], []];
    for (const h of steps) {
      for (let k = 0; k < 2; k++) {
        try { drops[k](h); outcomes[k].push('ok'); } catch (e) { outcomes[k].push(`${e.constructor.name}: ${e.message}`); }
      }
      assert.equal(state(tables[1]), state(tables[0]), `after dropping ${h}`);
    }
    assert.equal(outcomes[1], outcomes[0]);
    const byWho = (who) => log.filter((l) => l.startsWith(who)).map((l) => l.slice(who.length));
    assert.equal(byWho('factory'), byWho('method'));
    assert.ok(outcomes[0].includes('ok') && outcomes[0].some((o) => o !== 'ok'), 'both drops that work and drops that throw');
  });
}

test('a dispose method that throws leaves the object in the table (as drop does)', () => {
  const { tables, drops } = pair(disposing);
  const t = tables[1];
  for (let n = 1; n <= 3; n++) t.lowerOwn(new t.cls(n));
  assert.throws(() => drops[1](3), /dispose 3/);
  assert.is(state(t).objects.find(([, n]) => n === 3)?.[1], 3);
});

test.run();
