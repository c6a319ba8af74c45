// Red team probe (issue 16's area): what one caller opens, can the next caller on a pooled
// instance use? Caller A opens a file only it should read and keeps the handle (never drops it);
// caller B, on the same function, names that handle by its raw number. Also: what a discarded
// instance held is never released while imports are built once per function (one scope).
// Usage: node test/redteam/pool-handles.mjs
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { Program, ref, run } from '../wasi/fs-ops.mjs';

const dir = mkdtempSync(join(tmpdir(), 'sfirt-red-pool-'));
writeFileSync(join(dir, 'a-secret.txt'), 'caller A only');
const rt = createRuntime({ cacheDir: tempCache() });
const fds = () => readdirSync('/proc/self/fd').length;
for (const mode of ['reset', 'reuse', 'fresh']) {
  const fn = await rt.load(`pool-${mode}`, guest('fs-ops'), { pool: { mode, max: 1 }, wasi: { preopens: { '/d': dir } } });
  // Caller A: opens the secret, keeps the handle; reports its number.
  const a = new Program({ keep: true });
  const da = a.getDirectories();
  const opened = a.openAt(ref(da), 'a-secret.txt', { read: true });
  const handle = (await run(fn, a))[opened].value;
  // Caller B: reads through that raw handle number.
  const b = new Program();
  const readB = b.read(handle, 100);
  const rb = (await run(fn, b))[readB];
  const leaked = rb.ok ? new TextDecoder().decode(rb.value.data) : undefined;
  // Leak: 300 callers each open 1 file and keep it; how many fds stay open, and does caller 301 still open files?
  const before = fds();
  let refusedAt;
  for (let i = 0; i < 300; i++) {
    const p = new Program({ keep: true });
    const d = p.getDirectories();
    const o = p.openAt(ref(d), 'a-secret.txt', { read: true });
    const r = (await run(fn, p))[o];
    if (r.err && refusedAt === undefined) refusedAt = `${i}: ${r.err}`;
  }
  console.log(JSON.stringify({ mode, callerBReadCallerAsFile: leaked ?? rb, fdsHeldAfter300Callers: fds() - before, firstRefusal: refusedAt ?? 'none' }));
}
rt.close();
rmSync(dir, { recursive: true, force: true });
