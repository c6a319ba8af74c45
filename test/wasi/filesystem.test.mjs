// Behaviour of our wasi:filesystem host that guests rely on: reads, writes, streams, listings,
// metadata, the per-instance open-file cap and the scope that releases what a guest held.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { InstanceScope } from '../../dist/host/scope.js';
import { filesystemImports } from '../../dist/wasi/filesystem/index.js';
import { Program, ref } from './fs-ops.mjs';
import { loadFsOps, makeSandbox } from './fs-fixture.mjs';

const text = (b) => new TextDecoder().decode(b);
const hasProcFd = existsSync('/proc/self/fd');
const openFds = () => readdirSync('/proc/self/fd').length;

const sandbox = makeSandbox();
const loaded = {};
for (const glue of ['jco', 'fast']) loaded[glue] = await loadFsOps(sandbox, { glue, name: `fs-${glue}`, pool: { mode: 'reuse' } });

for (const glue of ['jco', 'fast']) {
  const ops = loaded[glue].run;

  test(`[${glue}] create, write, read back, append, truncate, stat`, async () => {
    const p = new Program();
    const rw = ref(p.getDirectories(), 0);
    const f = ref(p.openAt(rw, `out-${glue}.txt`, { read: true, write: true, create: true, truncate: true }));
    const w = p.write(f, 'hello world', 0);
    const r1 = p.read(f, 100, 6);
    const ws = p.writeViaStream(f, 5);
    p.streamWrite(ref(ws), ', there');
    p.dropOutput(ref(ws));
    const as = p.appendViaStream(f);
    p.streamWrite(ref(as), '!');
    p.dropOutput(ref(as));
    const rs = ref(p.readViaStream(f, 0));
    const s1 = p.streamRead(rs, 5);
    const skip = p.streamSkip(rs, 2);
    const s2 = p.streamRead(rs, 1000);
    const s3 = p.streamRead(rs, 1000);
    const st = p.stat(f);
    const type = p.getType(f);
    const flags = p.getFlags(f);
    p.setSize(f, 4);
    const r2 = p.read(f, 100, 0);
    const r = await ops(p);
    assert.is(r[w].value, 11n);
    assert.equal(r[r1].value, { eof: true, data: new TextEncoder().encode('world') });
    assert.is(text(r[s1].value), 'hello');
    assert.is(r[skip].value, 2n);
    assert.is(text(r[s2].value), 'there!');
    assert.equal(r[s3], { closed: true });
    assert.is(r[st].value.type, 'regular-file');
    assert.is(r[st].value.size, 13n);
    assert.is(r[type].value, 'regular-file');
    assert.equal(r[flags].value, { read: true, write: true, mutateDirectory: false });
    assert.is(text(r[r2].value.data), 'hell');
    assert.is(readFileSync(join(sandbox.root, `out-${glue}.txt`), 'utf8'), 'hell');
  });

  test(`[${glue}] directories: create, list, stat-at, set-times-at, rename, remove; descriptors of the same object`, async () => {
    const p = new Program();
    const rw = ref(p.getDirectories(), 0);
    const dir = `d-${glue}`;
    p.createDir(rw, dir);
    p.createDir(rw, `${dir}/x`);
    p.write(ref(p.openAt(rw, `${dir}/f.txt`, { write: true, create: true })), 'f', 0);
    p.symlink(rw, 'f.txt', `${dir}/l`);
    const list = p.readDirAll(ref(p.openAt(rw, dir, { directory: true, read: true })));
    const exist = p.createDir(rw, dir);
    const notEmpty = p.removeDir(rw, dir);
    const isDir = p.unlink(rw, `${dir}/x`);
    const notDir = p.removeDir(rw, `${dir}/f.txt`);
    const t = p.setTimesAt(rw, `${dir}/f.txt`, { seconds: 1_000_000_000, nanoseconds: 5 }, { seconds: 1_234_567_890, nanoseconds: 0 });
    const st = p.statAt(rw, `${dir}/f.txt`);
    const followed = p.statAt(rw, `${dir}/l`, { follow: true });
    const link = p.readlink(rw, `${dir}/l`);
    const a = ref(p.openAt(rw, `${dir}/f.txt`, { read: true }));
    const b = ref(p.openAt(rw, `${dir}/l`, { read: true, follow: true }));
    const same = p.isSame(a, b);
    const h1 = p.metadataHash(a);
    const h2 = p.metadataHashAt(rw, `${dir}/l`, { follow: true });
    const other = p.isSame(a, rw);
    p.rename(rw, `${dir}/x`, rw, `${dir}/y`);
    p.removeDir(rw, `${dir}/y`);
    p.unlink(rw, `${dir}/l`);
    const r = await ops(p);
    assert.equal(r[list].value.map((e) => `${e.type}:${e.name}`).sort(), ['directory:x', 'regular-file:f.txt', 'symbolic-link:l']);
    assert.equal([r[exist], r[notEmpty], r[isDir], r[notDir]], [{ err: 'exist' }, { err: 'not-empty' }, { err: 'is-directory' }, { err: 'not-directory' }]);
    assert.ok(r[t].ok);
    assert.is(r[st].value.mtime.seconds, 1_234_567_890n);
    assert.is(r[st].value.atime.seconds, 1_000_000_000n);
    assert.is(r[followed].value.type, 'regular-file');
    assert.is(r[link].value, 'f.txt');
    assert.is(r[same].value, true);
    assert.equal(r[h1].value, r[h2].value);
    assert.is(r[other].value, false);
    assert.ok(r.every((x) => x.ok || x.err), inspect(r));
    assert.equal(readdirSync(join(sandbox.root, dir)), ['f.txt']);
  });

  test(`[${glue}] flags: a read-only file descriptor cannot write; directories cannot be written as files`, async () => {
    const p = new Program();
    const rw = ref(p.getDirectories(), 0);
    const f = ref(p.openAt(rw, 'hello.txt', { read: true }));
    const start = p.ops.length;
    p.write(f, 'x', 0);
    p.writeViaStream(f, 0);
    p.setSize(f, 0);
    p.openAt(rw, 'sub', { directory: true, write: true });
    p.read(rw, 10);
    p.readDirAll(f);
    p.openAt(f, 'x', { read: true });
    p.openAt(rw, 'hello.txt', { directory: true, read: true });
    p.openAt(rw, 'hello.txt', { create: true, exclusive: true, write: true });
    p.openAt(rw, 'nope/x', { read: true });
    const r = await ops(p);
    assert.equal(r.slice(start).map((x) => x.err), ['bad-descriptor', 'bad-descriptor', 'bad-descriptor', 'is-directory', 'is-directory', 'not-directory', 'not-directory', 'not-directory', 'exist', 'no-entry']);
    assert.is(readFileSync(join(sandbox.root, 'hello.txt'), 'utf8'), 'hello from the root');
  });

  test(`[${glue}] a stream of a dropped descriptor is closed`, async () => {
    const p = new Program();
    const f = ref(p.openAt(ref(p.getDirectories(), 0), 'hello.txt', { read: true }));
    const s = ref(p.readViaStream(f, 0));
    p.dropDescriptor(f);
    const after = p.streamRead(s, 10);
    const r = await ops(p);
    assert.equal(r[after], { closed: true });
  });

  test(`[${glue}] get-directories hands out the same preopens on every call; dropping them releases nothing`, async () => {
    for (let i = 0; i < 3; i++) {
      const p = new Program();
      const d = p.getDirectories();
      p.dropDescriptor(ref(d, 0));
      p.dropDescriptor(ref(d, 1));
      const again = p.getDirectories();
      const read = p.read(ref(p.openAt(ref(again, 0), 'hello.txt', { read: true })), 5);
      const r = await ops(p);
      assert.equal(r[d].value.map((x) => x.path), ['/rw', '/ro']);
      assert.is(text(r[read].value.data), 'hello');
    }
  });
}

test('limits.openFiles caps what one instance holds, as insufficient-memory; dropping frees room', async () => {
  const { fn, run, rt } = await loadFsOps(sandbox, { name: 'capped', limits: { openFiles: 6 }, pool: { mode: 'reuse' } });
  const p = new Program();
  const rw = ref(p.getDirectories(), 0); // 2 preopens count
  const opened = Array.from({ length: 6 }, () => p.openAt(rw, 'hello.txt', { read: true }));
  p.readDirectory(rw);
  p.readViaStream(ref(opened[0]), 0);
  p.dropDescriptor(ref(opened[0]));
  const after = p.openAt(rw, 'hello.txt', { read: true });
  const r = await run(p);
  assert.equal(r.slice(1, 7).map((x) => x.err ?? 'ok'), ['ok', 'ok', 'ok', 'ok', 'insufficient-memory', 'insufficient-memory']);
  assert.equal([r[7].err, r[8].err], ['insufficient-memory', 'insufficient-memory']);
  assert.ok(r[after].ok);
  assert.is(fn.glue.kind === 'fast' || fn.glue.kind === 'jco', true);
  rt.close();
});

test('limits.openFiles is validated', async () => {
  const err = await loadFsOps(sandbox, { name: 'bad-limit', limits: { openFiles: 0 } }).then(() => undefined, (e) => e);
  assert.is(err?.code, 'INVALID_ARGUMENT');
});

test('a preopen that is not a host directory is refused at load, without naming the host path', async () => {
  for (const hostPath of [join(sandbox.top, 'no-such-dir'), join(sandbox.root, 'hello.txt'), 'a\0b']) {
    const err = await loadFsOps({ root: hostPath, ro: sandbox.ro }, { name: 'bad' }).then(() => undefined, (e) => e);
    assert.is(err?.code, 'INVALID_ARGUMENT', String(err));
    assert.not.ok(err.message.includes(sandbox.top), err.message);
  }
});

if (!hasProcFd) test.skip('host side: fd accounting (needs /proc/self/fd)', () => {});
else {
  test('host side: reset releases descriptors opened since the mark, discard releases the preopen root too', () => {
    const before = openFds();
    const factory = filesystemImports({ '/rw': { hostPath: sandbox.root, readOnly: false } }, { openFiles: 100 });
    const scope = new InstanceScope();
    const imports = factory(scope);
    scope.mark();
    const [[root]] = imports['wasi:filesystem/preopens'].getDirectories();
    const files = Array.from({ length: 20 }, () => root.openAt({}, 'hello.txt', {}, { read: true }));
    const dirs = Array.from({ length: 5 }, () => root.openAt({}, 'sub', { directory: true }, { read: true }));
    const listing = dirs[0].readDirectory();
    assert.ok(openFds() >= before + 26);
    scope.releaseSinceMark();
    assert.is(openFds(), before + 1, 'only the shared root stays open');
    assert.throws(() => files[0].read(10n, 0n), (e) => e === 'bad-descriptor');
    assert.throws(() => listing.readDirectoryEntry(), (e) => e === 'bad-descriptor');
    assert.is(text(root.openAt({}, 'hello.txt', {}, { read: true }).read(5n, 0n)[0]), 'hello', 'the preopen survives a reset');
    scope.releaseAll();
    assert.is(openFds(), before, 'a discarded instance holds nothing');
    assert.throws(() => root.openAt({}, 'hello.txt', {}, { read: true }), (e) => e === 'bad-descriptor');
  });

  test('host side: every instance shares one root fd per grant', () => {
    const before = openFds();
    const factory = filesystemImports({ '/rw': { hostPath: sandbox.root, readOnly: false } });
    const scopes = Array.from({ length: 50 }, () => new InstanceScope());
    for (const s of scopes) factory(s);
    assert.is(openFds(), before + 1);
    for (const s of scopes) s.releaseAll();
    assert.is(openFds(), before);
  });

  test('host side: the guest dropping a descriptor closes its fd', () => {
    const before = openFds();
    const scope = new InstanceScope();
    const [[root]] = filesystemImports({ '/rw': { hostPath: sandbox.root, readOnly: false } })(scope)['wasi:filesystem/preopens'].getDirectories();
    for (let i = 0; i < 1000; i++) root.openAt({}, 'hello.txt', {}, { read: true })[Symbol.dispose]();
    assert.is(openFds(), before + 1);
    assert.is(scope.count('descriptor'), 1);
    scope.releaseAll();
  });
}

test('host side: paths deeper than the walk\'s open window, down and back up with `..`', () => {
  const scope = new InstanceScope();
  const base = join(sandbox.root, 'deep');
  const names = Array(300).fill('a');
  mkdirSync(join(base, ...names), { recursive: true });
  writeFileSync(join(base, ...names, 'f'), 'deep');
  const [[root]] = filesystemImports({ '/d': { hostPath: base, readOnly: false } })(scope)['wasi:filesystem/preopens'].getDirectories();
  const read = (path) => text(root.openAt({}, path, {}, { read: true }).read(10n, 0n)[0]);
  assert.is(read(`${names.join('/')}/f`), 'deep');
  writeFileSync(join(base, 'top'), 'top');
  assert.is(read(`${names.join('/')}/${names.map(() => '..').join('/')}/top`), 'top');
  const mixed = [...names.slice(0, 40), ...Array(30).fill('..'), ...names.slice(0, 5), ...Array(15).fill('..'), 'top'].join('/');
  assert.is(read(mixed), 'top');
  assert.throws(() => read(`${names.join('/')}/${names.map(() => '..').join('/')}/../top`), (e) => e === 'not-permitted');
  scope.releaseAll();
  rmSync(base, { recursive: true, force: true });
});

test('host side: a bare object of our classes (a made-up handle) is bad-descriptor, never a TypeError', () => {
  const scope = new InstanceScope();
  const types = filesystemImports({})(scope)['wasi:filesystem/types'];
  const fake = Object.create(types.Descriptor.prototype);
  for (const [name, args] of [['read', [1n, 0n]], ['openAt', [{}, 'x', {}, {}]], ['stat', []], ['readDirectory', []], ['getType', []], ['metadataHash', []]]) {
    assert.throws(() => fake[name](...args), (e) => e === 'bad-descriptor', name);
  }
  assert.is(fake.isSameObject(fake), false);
  fake[Symbol.dispose]();
  const stream = Object.create(types.DirectoryEntryStream.prototype);
  assert.throws(() => stream.readDirectoryEntry(), (e) => e === 'bad-descriptor');
  assert.is(types.filesystemErrorCode({}), undefined);
});

test.after(() => {
  for (const { rt } of Object.values(loaded)) rt.close();
  rmSync(sandbox.top, { recursive: true, force: true });
});

test.run();
