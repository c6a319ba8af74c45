// The wasm restorer of an instance's numeric globals (lib/pool/global-restorer.ts) and its use by
// the snapshot: every global, of every type, gets exactly its snapshot value back, before and after
// the snapshot switches from JS sets to the restorer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { globalRestorer } from '../../dist/pool/global-restorer.js';
import { InstanceSnapshot } from '../../dist/pool/snapshot.js';

function mixedGlobals() {
  return [
    new WebAssembly.Global({ value: 'i32', mutable: true }, -7),
    new WebAssembly.Global({ value: 'i64', mutable: true }, -(2n ** 62n)),
    new WebAssembly.Global({ value: 'f32', mutable: true }, 1.5),
    new WebAssembly.Global({ value: 'f64', mutable: true }, Math.PI),
    new WebAssembly.Global({ value: 'externref', mutable: true }, { secret: 1 }),
    new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
    new WebAssembly.Global({ value: 'f64', mutable: true }, -0),
  ];
}

/** Values no snapshot holds, of each global's type. */
function scribble(globals) {
  globals[0].value = 123456;
  globals[1].value = 99n;
  globals[2].value = -2.25;
  globals[3].value = 1e300;
  globals[4].value = { secret: 'caller A' };
  globals[5].value = -1;
  globals[6].value = NaN;
}

test('globalRestorer: restores each numeric global exactly; references are left to JS', () => {
  const globals = mixedGlobals();
  const before = globals.map((g) => g.value);
  const { restorer, others } = globalRestorer(globals);
  assert.ok(restorer);
  assert.equal(others, [globals[4]], 'the externref global is not numeric');
  assert.equal(globals.map((g) => g.value), before, 'probing the types changed no value');
  scribble(globals);
  restorer.restore();
  for (const i of [0, 1, 2, 3, 5]) assert.is(globals[i].value, before[i], `global ${i}`);
  assert.ok(Object.is(globals[6].value, -0), 'f64 -0 comes back as -0');
  assert.equal(globals[4].value, { secret: 'caller A' }, 'references are not its business');
});

test('globalRestorer: no numeric global, no restorer', () => {
  const g = new WebAssembly.Global({ value: 'anyfunc', mutable: true }, null);
  const { restorer, others } = globalRestorer([g]);
  assert.is(restorer, undefined);
  assert.equal(others, [g]);
});

test('snapshot: globals come back to their snapshot values on every reset, before and after the restorer takes over', () => {
  const globals = mixedGlobals();
  const memory = new WebAssembly.Memory({ initial: 1 });
  const snapshot = new InstanceSnapshot({ globals, tables: [], memories: [memory] });
  const want = globals.map((g) => g.value);
  for (let reset = 0; reset < 80; reset++) {
    scribble(globals);
    new Uint8Array(memory.buffer)[reset] = 0xff;
    assert.ok(snapshot.restore());
    for (const i of [0, 1, 2, 3, 5]) assert.is(globals[i].value, want[i], `reset ${reset}, global ${i}`);
    assert.is(globals[4].value, want[4], `reset ${reset}: the externref global`);
    assert.ok(Object.is(globals[6].value, -0), `reset ${reset}: -0`);
    assert.is(new Uint8Array(memory.buffer)[reset], 0, `reset ${reset}: memory`);
  }
});

test.run();
