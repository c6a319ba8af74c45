// How much host work one guest filesystem call can cause: every call must be bounded by the
// resolver's step budget (MAX_WALK_STEPS), whatever tree the guest built before. Counted as host
// `open` calls (the resolver's unit of work), not time, so the test does not depend on the load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { MAX_WALK_STEPS } from '../../dist/wasi/filesystem/resolve.js';
import { Program, ref } from './fs-ops.mjs';
import { loadFsOps, makeSandbox } from './fs-fixture.mjs';

// Count the host opens our host makes (its modules import `openSync` from node:fs).
const realOpen = fs.openSync;
let opens = 0;
fs.openSync = (...args) => { opens++; return realOpen(...args); };
syncBuiltinESMExports();

const sandbox = makeSandbox();
const { rt, run } = await loadFsOps(sandbox, { pool: { mode: 'reuse' } });
test.after(() => {
  rt.close();
  spawnSync('rm', ['-rf', sandbox.top]); // rmSync's recursion overflows on a 2,000-deep tree
});

/** Builds x/a/a/…/a, `depth` levels, one level per step through sub-directory handles. */
async function chain(depth) {
  const p = new Program();
  const d = p.getDirectories();
  p.createDir(ref(d), 'x');
  p.createDir(ref(d), 'x/a');
  let h = ref(p.openAt(ref(d), 'x/a', { directory: true, read: true }));
  for (let i = 1; i < depth; i++) {
    p.createDir(h, 'a');
    const next = ref(p.openAt(h, 'a', { directory: true, read: true }));
    p.dropDescriptor(h);
    h = next;
  }
  const r = await run(p);
  assert.equal(r.filter((x) => x.err), [], 'the chain is built');
}

test('climbing out of a deep chain with `..` costs at most the step budget in host opens (was O(depth²))', async () => {
  const depth = 2000;
  await chain(depth);
  const p = new Program();
  const d = p.getDirectories();
  p.symlink(ref(d), Array.from({ length: depth }, () => 'a').join('/'), 'x/deep');
  assert.ok((await run(p))[1].ok);
  const ups = Array.from({ length: 1300 }, () => '..').join('/');
  const q = new Program();
  const dq = q.getDirectories();
  const stat = q.statAt(ref(dq), `x/deep/${ups}`);
  opens = 0;
  const r = await run(q);
  const used = opens;
  assert.ok(used <= MAX_WALK_STEPS + 16, `one stat-at made ${used} host opens`);
  assert.equal(r[stat], { err: 'name-too-long' });
  // An honest path through the same chain still resolves.
  const ok = new Program();
  const dk = ok.getDirectories();
  const plain = ok.statAt(ref(dk), 'x/deep/../../a');
  assert.ok((await run(ok))[plain].ok);
});

test.run();
