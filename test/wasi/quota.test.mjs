// Disk quotas of read-write grants (lib/wasi/filesystem/quota.ts): a guest cannot make the tree
// hold more than `maxBytes` of file data or `maxEntries` entries, by plain writes, sparse sizes,
// far offsets, directories, links, or data it keeps open after unlinking; what it removes can be
// written again. (Through a writable preopen a guest used to fill the host's disk: 200 MiB in 40
// calls, a 1 TiB sparse file, 20,000 directories — test/redteam/fs-disk-fill.mjs.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { Program, ref, run } from './fs-ops.mjs';

const KiB = 1024;
const rt = createRuntime({ cacheDir: tempCache() });
const dirs = [];
test.after(() => {
  rt.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let n = 0;
/** fs-ops with `/out` granted read-write with these limits, over a fresh directory (`fill` makes files first). */
async function grant(limits, fill = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-quota-'));
  dirs.push(dir);
  for (const [name, bytes] of Object.entries(fill)) writeFileSync(join(dir, name), Buffer.alloc(bytes));
  const fn = await rt.load(`q${n++}`, guest('fs-ops'), { pool: { mode: 'reuse', max: 1 }, wasi: { preopens: { '/out': { hostPath: dir, readOnly: false, ...limits } } } });
  return { dir, call: (p) => run(fn, p) };
}
const program = (keep = false) => {
  const p = new Program({ keep });
  return [p, ref(p.getDirectories())];
};
const codes = (results) => results.map((r) => r.err ?? r.streamError ?? (r.ok ? 'ok' : JSON.stringify(r)));

test('file data stops at maxBytes, whichever way it is written', async () => {
  const { call } = await grant({ maxBytes: 64 * KiB, maxEntries: null });
  const [p, d] = program();
  const f = ref(p.openAt(d, 'a', { create: true, write: true, read: true }));
  const out = ref(p.writeViaStream(f));
  const fits = p.streamWrite(out, 'x'.repeat(40 * KiB));
  const over = p.streamWrite(out, 'x'.repeat(40 * KiB));
  const direct = p.write(f, 'y'.repeat(30 * KiB), 40 * KiB);
  const zeroes = p.writeZeroes(out, 30 * KiB);
  const sparse = p.setSize(f, 2 ** 40);
  const far = p.write(f, 'z', 2 ** 40);
  const overwrite = p.write(f, 'w'.repeat(10 * KiB), 0); // inside the file: no growth
  const size = p.stat(f);
  const r = await call(p);
  assert.ok(r[fits].ok);
  assert.equal(codes([r[over], r[direct], r[zeroes], r[sparse], r[far]]), ['quota', 'quota', 'quota', 'quota', 'quota']);
  assert.ok(r[overwrite].ok);
  assert.is(r[size].value.size, BigInt(40 * KiB));
});

test('entries stop at maxEntries: files, directories, symlinks, hard links', async () => {
  const { call } = await grant({ maxEntries: 4 });
  const [p, d] = program();
  const made = [
    p.createDir(d, 'dir'),
    p.symlink(d, 'dir', 'link'),
    p.openAt(d, 'file', { create: true, write: true }),
    p.link(d, 'file', d, 'hard'),
  ];
  const refused = [
    p.createDir(d, 'dir2'),
    p.symlink(d, 'dir', 'link2'),
    p.openAt(d, 'file2', { create: true, write: true }),
    p.link(d, 'file', d, 'hard2'),
    p.createDir(d, 'dir/sub'),
  ];
  const existing = p.openAt(d, 'file', { create: true, write: true }); // already there: no new entry
  const r = await call(p);
  assert.equal(codes(made.map((i) => r[i])), ['ok', 'ok', 'ok', 'ok']);
  assert.equal(codes(refused.map((i) => r[i])), Array(5).fill('quota'));
  assert.ok(r[existing].ok);
});

test('what is removed can be used again: unlink, rmdir, truncation, rename over', async () => {
  const { call } = await grant({ maxBytes: 32 * KiB, maxEntries: 3 });
  const [p, d] = program();
  const big = 'x'.repeat(32 * KiB);
  /** Opens `name`, runs `use` on the descriptor, closes it; returns `use`'s operation index. */
  const withFile = (name, flags, use) => {
    const f = ref(p.openAt(d, name, flags));
    const i = use(f);
    p.dropDescriptor(f);
    return i;
  };
  withFile('a', { create: true, write: true }, (f) => p.write(f, big));
  const full = withFile('b', { create: true, write: true }, (f) => p.write(f, 'x'));
  p.unlink(d, 'a');
  const afterUnlink = withFile('b', { write: true }, (f) => p.write(f, big));
  withFile('b', { write: true }, (f) => p.setSize(f, 0));
  const afterShrink = withFile('c', { create: true, write: true }, (f) => p.write(f, big));
  withFile('c', { write: true, truncate: true }, () => undefined);
  const afterTrunc = withFile('b', { write: true }, (f) => p.write(f, big));
  // Entries: b, c + one directory = 3; renaming c over b frees one.
  p.createDir(d, 'd');
  const noRoom = p.createDir(d, 'e');
  p.rename(d, 'c', d, 'b');
  const afterRename = p.createDir(d, 'e');
  p.removeDir(d, 'e');
  const afterRmdir = p.createDir(d, 'f');
  const r = await call(p);
  assert.equal(r[full], { err: 'quota' });
  assert.equal(codes([r[afterUnlink], r[afterShrink], r[afterTrunc]]), ['ok', 'ok', 'ok']);
  assert.equal(r[noRoom], { err: 'quota' });
  assert.equal(codes([r[afterRename], r[afterRmdir]]), ['ok', 'ok']);
});

test('data unlinked while the guest holds it open stays charged until the last descriptor closes', async () => {
  const { call } = await grant({ maxBytes: 32 * KiB, maxEntries: null });
  const keep = new Program({ keep: true });
  const dk = ref(keep.getDirectories());
  keep.write(ref(keep.openAt(dk, 'held', { create: true, write: true })), 'x'.repeat(32 * KiB));
  keep.unlink(dk, 'held');
  const r1 = await call(keep);
  assert.equal(codes(r1), ['ok', 'ok', 'ok', 'ok']);
  const [p, d] = program();
  const refused = p.write(ref(p.openAt(d, 'next', { create: true, write: true })), 'y');
  assert.equal((await call(p))[refused], { err: 'quota' }, 'the open, unlinked file still holds its data');
  // Hard links share data: linking costs no bytes, and removing one name frees none.
  const { call: call2 } = await grant({ maxBytes: 32 * KiB });
  const [q, dq] = program();
  const one = ref(q.openAt(dq, 'one', { create: true, write: true }));
  q.write(one, 'x'.repeat(32 * KiB));
  q.dropDescriptor(one);
  const linked = q.link(dq, 'one', dq, 'two');
  q.unlink(dq, 'one');
  const stillFull = q.write(ref(q.openAt(dq, 'three', { create: true, write: true })), 'y');
  q.unlink(dq, 'two');
  const freed = q.write(ref(q.openAt(dq, 'four', { create: true, write: true })), 'y'.repeat(32 * KiB));
  const r2 = await call2(q);
  assert.ok(r2[linked].ok);
  assert.equal(r2[stillFull], { err: 'quota' });
  assert.ok(r2[freed].ok);
});

test('what the directory held before the load counts; a full one warns at load', async () => {
  const { call } = await grant({ maxBytes: 64 * KiB }, { old: 60 * KiB });
  const [p, d] = program();
  const small = p.write(ref(p.openAt(d, 'new', { create: true, write: true })), 'x'.repeat(4 * KiB));
  const more = p.write(ref(p.openAt(d, 'new', { write: true })), 'y', 4 * KiB);
  const r = await call(p);
  assert.ok(r[small].ok);
  assert.equal(r[more], { err: 'quota' });
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  await grant({ maxEntries: 2 }, { a: 1, b: 1, c: 1 });
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  assert.ok(warnings.some((w) => w.code === 'SFIRT_PREOPEN_FULL'), 'a grant over its limit at load warns');
});

test('null removes a limit; anything but a non-negative integer is INVALID_ARGUMENT', async () => {
  const { call } = await grant({ maxBytes: null, maxEntries: null });
  const [p, d] = program();
  for (let i = 0; i < 50; i++) p.createDir(d, `d${i}`);
  assert.ok((await call(p)).every((x) => x.ok));
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-quota-'));
  dirs.push(dir);
  for (const bad of [{ maxBytes: -1 }, { maxEntries: 1.5 }, { maxBytes: '1' }]) {
    const err = await rt.load('bad', guest('fs-ops'), { wasi: { preopens: { '/out': { hostPath: dir, readOnly: false, ...bad } } } }).then(() => undefined, (e) => e);
    assert.is(err?.code, 'INVALID_ARGUMENT', JSON.stringify(bad));
  }
});

test.run();
