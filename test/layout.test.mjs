// The folders of lib/ are layers of the pipeline: no folder imports (values or types) from a folder
// that imports it back, directly or through others (test/folders.mjs prints the graph).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { folderCycles, folderGraph } from './folders.mjs';

test('no folder-level import cycle in lib/', () => {
  const cycles = folderCycles();
  assert.equal(cycles.map((c) => c.join(' / ')), []);
});

test('the graph is read from the sources (control: it sees the edges we know)', () => {
  const edges = folderGraph();
  assert.ok(edges.get('runtime.ts')?.has('pool'), 'runtime.ts → pool');
  assert.ok(edges.get('invoke')?.has('limits'), 'invoke → limits');
  assert.ok(edges.get('http')?.has('wasi'), 'http → wasi');
});

test.run();
