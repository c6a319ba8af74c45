// jco's glue is evaluated from bytes, never imported from a path: converted to a script (same
// lines, stack frames named sfirt-cache/<key>/glue.js), or kept as a module and imported from a
// data: URL when it does not convert or when the process forbids code generation from strings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { evaluateGlue, toGlueScript } from '../../dist/component/glue-script.js';
import { transpileComponent } from '../../dist/component/transpile.js';
import { guest, tempCache } from '../helpers.mjs';
import { entries, loadInChild, readManifest } from './cache-helpers.mjs';

const glueOf = async (name) => (await transpileComponent(readFileSync(guest(name)), name)).glue;

test('real jco glue converts to a script that keeps every line where it was', async () => {
  for (const name of ['hello', 'http-hello', 'classifier']) {
    const esm = await glueOf(name);
    const script = toGlueScript(esm);
    assert.type(script, 'string', name);
    const a = esm.split('\n');
    const b = script.split('\n');
    assert.is(b.length, a.length + 2, name);
    for (let i = 1; i < a.length; i++) assert.is(b[i], a[i].replace(/^export /, ''), `${name} line ${i + 1}`);
    const glue = await evaluateGlue(script, 'script', `sfirt-cache/${name}/glue.js`);
    assert.type(glue.instantiate, 'function');
  }
});

test('stack frames in the glue name sfirt-cache/<key>/glue.js with the stored file\'s line numbers', async () => {
  // A text of its own: evaluated glue is reused per process by text (the name of its first evaluation).
  const script = `${toGlueScript(await glueOf('hello'))}\n// stack test`;
  const glue = await evaluateGlue(script, 'script', 'sfirt-cache/0123abcd/glue.js');
  assert.is(await evaluateGlue(script, 'script', 'sfirt-cache/other/glue.js'), glue);
  let stack = '';
  try {
    glue.instantiate(() => { throw new Error('no module'); }, {});
  } catch (err) {
    stack = err.stack;
  }
  const frame = /\(sfirt-cache\/0123abcd\/glue\.js:(\d+):(\d+)\)/.exec(stack);
  assert.ok(frame, stack);
  assert.match(script.split('\n')[Number(frame[1]) - 1], 'getCoreModule(');
  assert.not.match(stack, 'data:');
});

test('glue that is not declarations-only module syntax stays a module', () => {
  const body = 'export function instantiate() { return {}; }\n';
  for (const extra of ['import x from "y";', 'export default 1;', 'const a = 1; export { a };', 'const u = import.meta.url;', 'await 0;']) {
    assert.is(toGlueScript(body + extra), undefined, extra);
  }
  assert.is(toGlueScript('export function other() {}'), undefined, 'no instantiate');
  assert.type(toGlueScript(`${body}export const _util = {};\nexport class K {}\nexport async function f() {}\n`), 'string');
});

test('module-format glue is imported from a data: URL of its bytes', async () => {
  const esm = await glueOf('hello');
  const glue = await evaluateGlue(`${esm}\nexport const probe = 42;`, 'module', 'sfirt-cache/m/glue.js');
  assert.type(glue.instantiate, 'function');
  assert.is(glue.probe, 42);
});

test('with code generation from strings disallowed: stored script glue and fresh glue (kept as a module) both load', async () => {
  const dir = tempCache();
  const s = { cacheDir: dir, guest: guest('hello'), glue: 'jco', call: ['greet', 'csp'] };
  await loadInChild([s]);
  assert.is(readManifest(entries(dir)[0]).meta.glueFormat, 'script');
  const strict = { execArgv: ['--disallow-code-generation-from-strings'] };
  const [hit] = await loadInChild([s], strict);
  assert.ok(hit.ok && hit.cacheHit && hit.value === 'Hello, csp!', JSON.stringify(hit));
  const fresh = tempCache();
  const [miss] = await loadInChild([{ ...s, cacheDir: fresh }], strict);
  assert.ok(miss.ok && !miss.cacheHit && miss.value === 'Hello, csp!', JSON.stringify(miss));
  assert.is(readManifest(entries(fresh)[0]).meta.glueFormat, 'module');
  const [later] = await loadInChild([{ ...s, cacheDir: fresh }]);
  assert.ok(later.ok && later.cacheHit && later.value === 'Hello, csp!', JSON.stringify(later));
});

test.run();
