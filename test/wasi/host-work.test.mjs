// How much host work one guest filesystem call can cause: every call must be bounded by the
// resolver's step budget (MAX_WALK_STEPS), whatever tree the guest built before. Counted as host
// `open` calls (the resolver's unit of work), not time, so the test does not depend on the load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { MAX_WALK_STEPS } from '../../dist/wasi/filesystem/resolve.js';
import { callDeadline } from '../../dist/limits/call-deadline.js';
import { Program, ref } from './fs-ops.mjs';
import { loadFsOps, makeSandbox } from './fs-fixture.mjs';

// Count the host opens our host makes (its modules import `openSync` from node:fs), and those
// made for a guest whose deadline had passed.
const realOpen = fs.openSync;
let opens = 0;
let lateOpens = 0;
fs.openSync = (...args) => {
  opens++;
  if (callDeadline.at !== undefined && performance.now() > callDeadline.at) lateOpens++;
  return realOpen(...args);
};
syncBuiltinESMExports();

const sandbox = makeSandbox();
const { rt, run } = await loadFsOps(sandbox, { pool: { mode: 'reuse' } });
const timed = await loadFsOps(sandbox, { runtime: rt, name: 'timed', limits: { timeoutMs: 200 }, pool: { mode: 'reuse' } });
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

test('past its deadline a guest gets no more host work: at most the call in progress finishes', async () => {
  // Uses the chain of the test above. Each follow-stat walks ~2,000 levels (~2,000 host opens);
  // the clock is read when the guest asks for fuel and host calls burn almost none, so 2,000 such
  // stats went on for hundreds of thousands of opens after a 200 ms deadline (856 ms in all, on a
  // loaded machine). Counted in host opens made after the deadline, not in time.
  const p = new Program();
  const d = p.getDirectories();
  for (let i = 0; i < 2000; i++) p.statAt(ref(d), 'x/deep', { follow: true });
  lateOpens = 0;
  const err = await timed.run(p).then((r) => r.at(-1), (e) => e);
  assert.ok(err.code === 'DEADLINE_EXCEEDED' || err.err === 'interrupted', String(err));
  assert.ok(lateOpens <= 2100, `${lateOpens} host opens after the deadline`);
});

test.run();
