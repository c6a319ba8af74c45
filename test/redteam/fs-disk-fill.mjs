// Red team probe: how much of the host's disk can a guest take through a read-write preopen?
// Each attack reports what the tree holds afterwards (logical bytes, allocated bytes, entries).
// Usage: node test/redteam/fs-disk-fill.mjs [attack ...]
import { mkdtempSync, rmSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { Program, ref, run } from '../wasi/fs-ops.mjs';

const MiB = 1024 * 1024;
const chunk = 'x'.repeat(MiB);
function measure(dir) {
  let bytes = 0, blocks = 0, entries = 0;
  const walk = (d) => { for (const n of readdirSync(d)) { entries++; const s = lstatSync(join(d, n)); if (s.isDirectory()) walk(join(d, n)); else { bytes += s.size; blocks += s.blocks * 512; } } };
  walk(dir);
  return { logicalMiB: +(bytes / MiB).toFixed(1), allocatedMiB: +(blocks / MiB).toFixed(1), entries };
}
/** Bytes of files this process holds open that no longer have a name (unlinked while open). */
function openUnlinked() {
  let total = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.endsWith(' (deleted)')) total += statSync(`/proc/self/fd/${fd}`).blocks * 512;
    } catch { /* gone */ }
  }
  return total;
}
const attacks = {
  // 200 writes of 1 MiB through a stream (the guest's memory stays small: one chunk at a time).
  'write-200MiB': async (fn) => { const errs = []; for (let i = 0; i < 40; i++) { const p = new Program(); const d = p.getDirectories(); const f = p.openAt(ref(d), 'big', { create: true, write: true }); const o = p.appendViaStream(ref(f)); for (let j = 0; j < 5; j++) p.streamWrite(ref(o), chunk); errs.push(...(await run(fn, p)).filter((r) => r.err || r.streamError)); } return errs.slice(0, 2); },
  'sparse-set-size-1TiB': async (fn) => { const p = new Program(); const d = p.getDirectories(); const f = p.openAt(ref(d), 'sparse', { create: true, write: true }); p.setSize(ref(f), 2 ** 40); return (await run(fn, p))[2]; },
  'write-at-2^40': async (fn) => { const p = new Program(); const d = p.getDirectories(); const f = p.openAt(ref(d), 'far', { create: true, write: true }); p.write(ref(f), 'x', 2 ** 40); return (await run(fn, p))[2]; },
  'mkdir-20000': async (fn) => { for (let i = 0; i < 20; i++) { const p = new Program(); const d = p.getDirectories(); for (let j = 0; j < 1000; j++) p.createDir(ref(d), `d${i}-${j}`); await run(fn, p); } },
  // Write, keep the file open, unlink it, again: data the host cannot see in the tree.
  'unlink-while-open': async (fn) => { const errs = []; for (let i = 0; i < 20; i++) { const p = new Program({ keep: true }); const d = p.getDirectories(); const f = p.openAt(ref(d), `t${i}`, { create: true, write: true }); const o = p.writeViaStream(ref(f)); for (let j = 0; j < 5; j++) p.streamWrite(ref(o), chunk); p.unlink(ref(d), `t${i}`); errs.push(...(await run(fn, p)).filter((r) => r.err || r.streamError)); } return { errors: errs.length, first: errs[0] }; },
};
const wanted = process.argv.slice(2);
for (const [name, attack] of Object.entries(attacks)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-red-disk-'));
  const rt = createRuntime({ cacheDir: tempCache() });
  const fn = await rt.load('fill', guest('fs-ops'), { limits: { memoryBytes: 16 * MiB }, pool: { mode: 'reuse', max: 1 }, wasi: { preopens: { '/out': { hostPath: dir, readOnly: false, maxBytes: 50 * MiB, maxEntries: 5000 } } } });
  let detail;
  try { detail = await attack(fn); } catch (err) { detail = `${err.code}: ${err.message}`; }
  const inTree = measure(dir);
  const hiddenMiB = Math.round(openUnlinked() / MiB);
  rt.close(); // closes the instance's descriptors (the unlinked files' data is freed here)
  console.log(JSON.stringify({ attack: name, grant: { maxBytes: '50 MiB', maxEntries: 5000 }, ...inTree, openButUnlinkedMiB: hiddenMiB, detail }, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
  rmSync(dir, { recursive: true, force: true });
}
