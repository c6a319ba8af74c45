// lib/component/glue-state.ts: jco's glue gets a GlueState hook for every guest of this repository
// (a shape withGlueState did not recognise would silently make `reset` pools discard instead of
// reset), and the hook restores jco's handle and capture tables exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transpileComponent } from '../../dist/component/transpile.js';
import { GLUE_STATE, withGlueState } from '../../dist/component/glue-state.js';
import { evaluateGlue, toGlueScript } from '../../dist/component/glue-script.js';
import { root } from '../helpers.mjs';

const dist = join(root, 'guests', 'dist');
const names = readdirSync(dist).filter((f) => f.endsWith('.wasm')).map((f) => f.slice(0, -5));

test('every guest\'s jco glue is patched, in module and script form', async () => {
  for (const name of names) {
    const t = await transpileComponent(readFileSync(join(dist, `${name}.wasm`)), name);
    if (t.noJcoGlue) continue;
    assert.ok(withGlueState(t.glue).patched, `${name}: module form`);
    const script = toGlueScript(t.glue);
    if (script) assert.ok(withGlueState(script).patched, `${name}: script form`);
  }
});

test('unknown shapes are left alone', () => {
  const text = 'function instantiate() { return {}; }';
  assert.equal(withGlueState(text), { source: text, patched: false });
});

test('the hook restores jco\'s tables and disposes of host objects handed out since', async () => {
  const t = await transpileComponent(readFileSync(join(dist, 'host-resource.wasm')), 'host-resource');
  const glue = await evaluateGlue(withGlueState(toGlueScript(t.glue) ?? t.glue).source, toGlueScript(t.glue) ? 'script' : 'module', 'glue-state-test');
  const disposed = [];
  class Thing { constructor(v) { this.v = v; } value() { return this.v ?? 0; } [Symbol.dispose]() { disposed.push(this.v); } }
  const modules = new Map(Object.entries(t.coreModules).map(([n, b]) => [n, new WebAssembly.Module(b)]));
  const exports = glue.instantiate((n) => modules.get(n), { 'sfirt:host-resource/things': { Thing } });
  const state = exports[GLUE_STATE];
  assert.type(state?.reset, 'function');
  const first = exports.make(1);
  assert.is(exports.make(2), first + 1);
  assert.is(exports.peek(first), 1);
  state.reset();
  assert.equal(disposed, [1, 2]);
  assert.is(exports.peek(first), 0, 'the number names nothing after the reset');
  assert.is(exports.make(3), first, 'numbering restarts');
  state.releaseAll();
  assert.equal(disposed, [1, 2, 3]);
});

test.run();
