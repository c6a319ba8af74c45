// Red team probe (limits, issue 15): a guest that spends its time inside host calls outlives its
// deadline, because the clock is read only when the guest asks for more fuel (one slice is ~100k
// instructions) and host calls burn almost none. Stat-at of a path `depth` levels deep, `count`
// times in one call under `timeoutMs: 100` (each stat is ~depth host opens, all within the
// filesystem's per-call step budget).
// Usage: node test/redteam/deadline-host-calls.mjs [depth] [count]
import { Program, ref } from '../wasi/fs-ops.mjs';
import { loadFsOps, makeSandbox } from '../wasi/fs-fixture.mjs';

const sandbox = makeSandbox();
const { rt, run } = await loadFsOps(sandbox, { limits: { timeoutMs: 100 }, pool: { mode: 'reuse' } });
const depth = Number(process.argv[2] ?? 1000);
const count = Number(process.argv[3] ?? 300);
// The chain is built through sub-directory handles (one level per step), with no deadline.
const builder = await (await import('../wasi/fs-fixture.mjs')).loadFsOps(sandbox, { runtime: rt, name: 'builder', limits: { timeoutMs: null }, pool: { mode: 'reuse' } });
{
  const b = new Program();
  const db = b.getDirectories();
  b.createDir(ref(db), 'x');
  let h = ref(b.openAt(ref(db), 'x', { directory: true, read: true }));
  for (let i = 0; i < depth; i++) {
    b.createDir(h, 'a');
    const next = ref(b.openAt(h, 'a', { directory: true, read: true }));
    b.dropDescriptor(h);
    h = next;
  }
  await builder.run(b);
  const l = new Program();
  l.symlink(ref(l.getDirectories()), Array.from({ length: depth }, () => 'a').join('/'), 'x/deep');
  await builder.run(l);
}
const p = new Program();
const d = p.getDirectories();
for (let i = 0; i < count; i++) p.statAt(ref(d), 'x/deep', { follow: true });
const t0 = performance.now();
let outcome;
try { const r = await run(p); outcome = `ok (${r.length} results, last ${JSON.stringify(r.at(-1), (k, v) => (typeof v === "bigint" ? String(v) : v)).slice(0, 80)})`; } catch (err) { outcome = err.code; }
console.log(JSON.stringify({ timeoutMs: 100, callMs: Math.round(performance.now() - t0), outcome }));
rt.close();
(await import('node:child_process')).spawnSync('rm', ['-rf', sandbox.top]);
