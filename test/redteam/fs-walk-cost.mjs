// Red team probe: how much host work can ONE filesystem host call be made to do?
// A guest builds a deep directory chain, then stats a path that goes down it through a symlink
// and climbs back with `..`: every 16 `..` the resolver falls out of its open window and reopens
// the chain from the descriptor. Prints the host time of single calls and the call's deadline.
// Usage: node test/redteam/fs-walk-cost.mjs [depth]
import { spawnSync } from 'node:child_process';
import { Program, ref } from '../wasi/fs-ops.mjs';
import { loadFsOps, makeSandbox } from '../wasi/fs-fixture.mjs';

const depth = Number(process.argv[2] ?? 2000);
const sandbox = makeSandbox();
const { rt, run } = await loadFsOps(sandbox, { pool: { mode: 'reuse' } });
const attacker = await loadFsOps(sandbox, { runtime: rt, name: 'attacker', limits: { timeoutMs: 100 }, pool: { mode: 'reuse' } });
try {
  const t0 = performance.now();
  {
    const p = new Program(); const d = p.getDirectories(); p.createDir(ref(d), 'x'); p.createDir(ref(d), 'x/a');
    let h = ref(p.openAt(ref(d), 'x/a', { directory: true, read: true }));
    for (let i = 1; i < depth; i++) {
      p.createDir(h, 'a');
      const next = ref(p.openAt(h, 'a', { directory: true, read: true }));
      p.dropDescriptor(h);
      h = next;
    }
    const r = await run(p);
    const bad = r.find((x) => x.err); if (bad) throw new Error(`build failed: ${JSON.stringify(bad)}`);
  }
  const buildMs = performance.now() - t0;
  // Symlinks `s0 → a/a/.../a` (2000 levels in 2 links: targets are limited to 4 KiB).
  const half = Array.from({ length: Math.min(2000, depth) }, () => 'a').join('/');
  const p = new Program(); const d = p.getDirectories();
  p.symlink(ref(d), half, 'x/deep');
  await run(p);
  const ups = Array.from({ length: 1300 }, () => '..').join('/');
  const results = [];
  for (const path of ['x/deep', `x/deep/${ups}`]) {
    const q = new Program(); const dq = q.getDirectories(); q.statAt(ref(dq), path);
    const t1 = performance.now();
    let out;
    try { out = (await attacker.run(q))[1]; } catch (e) { out = e.code; }
    results.push({ path: path.length > 20 ? `${path.slice(0, 14)}…(${path.length} chars)` : path, ms: Math.round(performance.now() - t1), out: out.err ?? (out.ok ? 'ok' : out) });
  }
  console.log(JSON.stringify({ depth, buildMs: Math.round(buildMs), timeoutMs: 100, results }));
} finally {
  rt.close();
  spawnSync("rm", ["-rf", sandbox.top]); // a 2,000-deep tree overflows rmSync's recursion
}
