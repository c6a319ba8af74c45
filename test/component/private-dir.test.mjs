// The precompile cache only uses a directory private to the current user (as ssh treats ~/.ssh):
// ownership and group/other write bits of the directory and every parent (sticky ones excepted),
// symlinks judged by their target. A refused directory is never read or written: the runtime
// warns (SFIRT_CACHE_REFUSED) and keeps artifacts in memory; there is no shared temp fallback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../../dist/component/private-dir.js';
import { guest, rejection, root, skippedAtRunTime, tempCache } from '../helpers.mjs';
import { spawnSync } from 'node:child_process';
import { entries, loadInChild, readManifest, sha256, writeManifest } from './cache-helpers.mjs';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

test('a missing directory is created 0700 with its missing parents; the real path is returned', async () => {
  const base = tempCache();
  const dir = join(base, 'a', 'b');
  assert.is(await ensurePrivateDir(dir), realpathSync(dir));
  assert.is(statSync(dir).mode & 0o777, 0o700);
  assert.is(statSync(join(base, 'a')).mode & 0o777, 0o700);
});

test('a directory writable by group or others is refused, naming it; read bits alone are accepted', async () => {
  for (const mode of [0o777, 0o770, 0o702, 0o720]) {
    const dir = tempCache();
    chmodSync(dir, mode);
    const err = await rejection(ensurePrivateDir(dir));
    assert.match(err.message, dir);
    assert.match(err.message, 'writable by group or others');
  }
  const readable = tempCache();
  chmodSync(readable, 0o755);
  assert.is(await ensurePrivateDir(readable), realpathSync(readable));
});

test('a parent writable by others is refused unless sticky (like /tmp)', async () => {
  const parent = tempCache();
  mkdirSync(join(parent, 'cache'), { mode: 0o700 });
  chmodSync(parent, 0o777);
  const err = await rejection(ensurePrivateDir(join(parent, 'cache')));
  assert.match(err.message, `its parent ${realpathSync(parent)} is writable`);
  chmodSync(parent, 0o1777);
  assert.ok(await ensurePrivateDir(join(parent, 'cache')));
});

test('a symlink is judged by its target', async () => {
  const base = tempCache();
  const open = join(base, 'open');
  mkdirSync(open, { mode: 0o700 });
  chmodSync(open, 0o777);
  symlinkSync(open, join(base, 'link-open'));
  assert.match((await rejection(ensurePrivateDir(join(base, 'link-open')))).message, 'writable by group or others');
  const priv = join(base, 'private');
  mkdirSync(priv, { mode: 0o700 });
  symlinkSync(priv, join(base, 'link-private'));
  assert.is(await ensurePrivateDir(join(base, 'link-private')), realpathSync(priv));
});

test('a path that is a file, or cannot be created, is refused', async () => {
  const base = tempCache();
  writeFileSync(join(base, 'file'), '');
  assert.match((await rejection(ensurePrivateDir(join(base, 'file')))).message, 'is not a directory');
  assert.match((await rejection(ensurePrivateDir(join(base, 'file', 'sub')))).message, 'cannot create');
});

// Needs root (to chown, and to run a child as another user).
const asRoot = isRoot ? test : test.skip;

asRoot('a directory owned by another user is refused (root would run code that user planted)', async () => {
  const dir = tempCache();
  chownSync(dir, NOBODY, NOBODY);
  assert.match((await rejection(ensurePrivateDir(dir))).message, `owned by uid ${NOBODY}`);
});

/** A complete, valid-looking entry planted by an attacker: glue that writes a marker, hashes that match. */
async function plantEntry(dir, marker) {
  const source = tempCache();
  await loadInChild([{ cacheDir: source, guest: guest('hello'), glue: 'jco' }]);
  cpSync(source, dir, { recursive: true });
  const [entry] = entries(dir);
  const glue = `globalThis.process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');${readFileSync(join(entry, 'glue.js'), 'utf8')}`;
  writeFileSync(join(entry, 'glue.js'), glue);
  const body = readManifest(entry);
  writeManifest(entry, { ...body, files: { ...body.files, 'glue.js': sha256(glue) } });
  return entry;
}

test('a world-writable cache directory is not used: a planted entry never runs, nothing is written, the load succeeds from memory', async () => {
  const dir = tempCache();
  const marker = join(tempCache(), 'planted-ran');
  await plantEntry(dir, marker);
  chmodSync(dir, 0o777);
  const before = readdirSync(dir);
  const [r] = await loadInChild([{ cacheDir: dir, guest: guest('hello'), glue: 'jco', call: ['greet', 'w'] }]);
  assert.ok(r.ok, r.message);
  assert.is(r.value, 'Hello, w!');
  assert.is(r.cacheStore, 'memory');
  assert.is(r.cacheHit, false);
  assert.not.ok(existsSync(marker), 'the planted glue ran');
  assert.equal(readdirSync(dir), before);
  const refused = r.warnings.find((w) => w.code === 'SFIRT_CACHE_REFUSED');
  assert.ok(refused, JSON.stringify(r.warnings));
  assert.match(refused.message, dir);
});

test('control: the planted entry does run from a private directory (what the refusal stops)', async () => {
  const dir = tempCache();
  const marker = join(tempCache(), 'planted-ran');
  await plantEntry(dir, marker);
  const [r] = await loadInChild([{ cacheDir: dir, guest: guest('hello'), glue: 'jco' }]);
  assert.ok(r.ok && r.cacheHit, r.message);
  assert.ok(existsSync(marker));
});

/**
 * Why uid 65534 cannot run this checkout, if it cannot: CI clones under /root (mode 0700) and
 * unpacks its Node binaries under /root/.cache, neither of which another user may enter.
 */
function unreadableForNobody() {
  const probe = `require('node:fs').accessSync(${JSON.stringify(join(root, 'dist', 'index.js'))}, require('node:fs').constants.R_OK)`;
  const r = spawnSync(process.execPath, ['-e', probe], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  if (r.error) return `uid ${NOBODY} cannot run ${process.execPath} (${r.error.code})`;
  return r.status === 0 ? undefined : `uid ${NOBODY} cannot read this checkout (${root})`;
}

const asNobodyTitle = 'as another user (uid 65534): no home → memory with a warning and no temp-dir fallback; a root-owned dir refused; an own dir used; a read-only own dir warns and loads';
asRoot(asNobodyTitle, async () => {
  const cannot = unreadableForNobody();
  if (cannot) return skippedAtRunTime(asNobodyTitle, cannot);
  const asNobody = { uid: NOBODY, gid: NOBODY };
  // Its own temp directory, writable by it: a temp-dir fallback would show up there.
  const childTmp = tempCache();
  chownSync(childTmp, NOBODY, NOBODY);
  const env = { PATH: process.env.PATH, TMPDIR: childTmp }; // no HOME, SFIRT_CACHE_DIR, XDG_CACHE_HOME
  const rootOwned = tempCache();
  const own = tempCache();
  chownSync(own, NOBODY, NOBODY);
  const readOnly = tempCache();
  chownSync(readOnly, NOBODY, NOBODY);
  chmodSync(readOnly, 0o500);
  const call = ['greet', 'n'];
  const [noHome, refused, first, readOnlyLoad] = await loadInChild([
    { guest: guest('hello'), call },
    { cacheDir: rootOwned, guest: guest('hello'), call },
    { cacheDir: own, guest: guest('hello'), call },
    { cacheDir: readOnly, guest: guest('hello'), call },
  ], { ...asNobody, env });
  for (const r of [noHome, refused, first, readOnlyLoad]) assert.ok(r.ok && r.value === 'Hello, n!', JSON.stringify(r));
  assert.is(noHome.cacheStore, 'memory');
  assert.ok(noHome.warnings.some((w) => w.code === 'SFIRT_CACHE_REFUSED'), JSON.stringify(noHome.warnings));
  assert.equal(readdirSync(childTmp), [], 'a temp-dir cache appeared');
  assert.is(refused.cacheStore, 'memory');
  assert.match(refused.warnings.find((w) => w.code === 'SFIRT_CACHE_REFUSED')?.message ?? '', 'owned by uid 0');
  assert.equal(readdirSync(rootOwned), []);
  assert.is(first.cacheStore, 'disk');
  assert.equal(first.warnings, []);
  const [entry] = entries(own);
  assert.is(statSync(entry).uid, NOBODY);
  assert.is(statSync(entry).mode & 0o777, 0o700);
  assert.is(readOnlyLoad.cacheStore, 'disk');
  assert.ok(readOnlyLoad.warnings.some((w) => w.code === 'SFIRT_CACHE_WRITE_FAILED'), JSON.stringify(readOnlyLoad.warnings));
  const [hit] = await loadInChild([{ cacheDir: own, guest: guest('hello'), call }], { ...asNobody, env });
  assert.ok(hit.ok && hit.cacheHit, JSON.stringify(hit));
  for (const d of [rootOwned, own, readOnly, childTmp]) rmSync(d, { recursive: true, force: true });
});

test.run();
