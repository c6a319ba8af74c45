// Red team probe: special files a host left in a preopen (a FIFO with no writer, a FIFO with no
// reader, a unix socket): no call may block the thread or leak host text.
// Usage: node test/redteam/fs-special-files.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { Program, ref, run } from '../wasi/fs-ops.mjs';

const dir = mkdtempSync(join(tmpdir(), 'sfirt-red-special-'));
execFileSync('mkfifo', [join(dir, 'fifo')]);
const server = createServer().listen(join(dir, 'sock'));
await new Promise((r) => server.once('listening', r));
const rt = createRuntime({ cacheDir: tempCache() });
const fn = await rt.load('special', guest('fs-ops'), { limits: { timeoutMs: 2000 }, wasi: { preopens: { '/d': { hostPath: dir, readOnly: false } } } });
const p = new Program();
const d = ref(p.getDirectories());
const r1 = p.read(ref(p.openAt(d, 'fifo', { read: true })), 10);
const w1 = p.openAt(d, 'fifo', { write: true });
const s1 = p.openAt(d, 'sock', { read: true });
const st = p.statAt(d, 'sock');
const list = p.readDirAll(d);
const t0 = performance.now();
const r = await run(fn, p);
console.log(JSON.stringify({ ms: Math.round(performance.now() - t0), fifoRead: r[r1], fifoWriteOpen: r[w1], socketOpen: r[s1], socketType: r[st].value?.type ?? r[st], listing: r[list].value?.map((e) => `${e.name}:${e.type}`) }, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
rt.close();
server.close();
rmSync(dir, { recursive: true, force: true });
