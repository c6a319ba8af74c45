// Resources of the app's own host imports belong to the instance whose guest holds them (issue 16):
// the hostile `host-resource` guest keeps a `thing` and returns its handle number; the next caller
// names that number. In `reset` and `fresh` (and the default mode) it reaches a bare object, never
// the earlier caller's thing, the handle numbers restart, and the thing is disposed of as if the
// guest had dropped it. In `reuse` the thing persists, showing the probe sees one when it is there.
// Also InstanceScope itself: what mark() keeps, releaseSinceMark() releases, state restores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { InstanceScope } from '../../dist/host/scope.js';
import { guest, tempCache } from '../helpers.mjs';

const rt = createRuntime({ cacheDir: tempCache() });

function host() {
  const disposed = [];
  class Thing {
    #v;
    constructor(v) { this.#v = v; }
    // A bare object of the class (a handle number the glue does not know) has no #v: 0.
    value() { return #v in this ? this.#v : 0; }
    [Symbol.dispose]() { disposed.push(this.#v); }
  }
  return { disposed, imports: { 'sfirt:host-resource/things': { Thing } } };
}

for (const glue of ['fast', 'jco']) {
  for (const mode of ['reset', 'fresh', undefined]) {
    test(`${glue}/${mode ?? 'default'}: a later caller's raw handle reaches nothing of an earlier caller's host object`, async () => {
      const h = host();
      const fn = await rt.load(`things-${glue}-${mode}`, guest('host-resource'), { glue, imports: h.imports, pool: { ...(mode ? { mode } : {}), max: 1 } });
      assert.is(fn.glue.kind, glue);
      const a = await fn.call('make', 4242);
      assert.is(await fn.call('peek', a), 0, 'the number names no thing of caller A');
      assert.equal(h.disposed, [4242], 'A\'s thing was disposed when its instance was reset or discarded');
      assert.is(await fn.call('make', 7), a, 'handle numbers restart');
    });
  }
  test(`${glue}/reuse: the thing persists (state shared on purpose)`, async () => {
    const h = host();
    const fn = await rt.load(`things-${glue}-reuse`, guest('host-resource'), { glue, imports: h.imports, pool: { mode: 'reuse', max: 1 } });
    const a = await fn.call('make', 4242);
    assert.is(await fn.call('peek', a), 4242);
    assert.is.not(await fn.call('make', 7), a);
    assert.equal(h.disposed, []);
    fn.close();
    assert.equal(h.disposed.sort(), [4242, 7], 'closing the function released what its instance held');
  });
}

test('InstanceScope: releaseSinceMark keeps what existed at mark, releases the rest, restores states', () => {
  const scope = new InstanceScope();
  const released = [];
  const r = (name) => scope.track({ name }, 'thing', (x) => released.push(x.name));
  r('initial');
  let counter = 0;
  scope.state(() => { const saved = counter; return () => { counter = saved; }; });
  counter = 5;
  scope.mark();
  const dropped = r('dropped');
  r('left');
  scope.untrack(dropped);
  counter = 9;
  assert.is(scope.count('thing'), 2);
  scope.releaseSinceMark();
  assert.equal(released, ['left']);
  assert.is(counter, 5, 'state back at mark');
  assert.is(scope.count('thing'), 1);
  scope.releaseAll();
  assert.equal(released, ['left', 'initial']);
  r('late');
  assert.equal(released, ['left', 'initial', 'late'], 'after releaseAll, new resources are released at once');
});

test.after(() => rt.close());
test.run();
