// Attacks on filesystem confinement, through the hostile fs-ops guest, with both glues and both
// ways of naming directories (`fd` through /proc/self/fd where the host has it, and `path`).
// Every case must end in a WASI error with nothing outside the read-write root touched, no canary
// byte or name and no host path returned.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { anchorMode, setAnchorMode } from '../../dist/wasi/filesystem/dir-handle.js';
import { Program, ref } from './fs-ops.mjs';
import { leaks, loadFsOps, makeSandbox, snapshot } from './fs-fixture.mjs';

// Let the host pick its mode once, then run every case in that mode and in `path` mode.
{
  const probe = makeSandbox();
  const { rt } = await loadFsOps(probe, { name: 'mode-probe' });
  rt.close();
}
const detected = anchorMode();
const modes = detected === 'fd' ? ['fd', 'path'] : ['path'];

for (const mode of modes) {
  for (const glue of ['jco', 'fast']) {
    const test = suite(`confinement [${mode}, ${glue}]`);
    let sandbox, ops, rt;
    test.before.each(async () => {
      setAnchorMode(mode);
      sandbox = makeSandbox();
      ({ rt, run: ops } = await loadFsOps(sandbox, { glue, pool: { mode: 'reuse' } }));
    });
    test.after.each(() => {
      rt.close();
      rmSync(sandbox.top, { recursive: true, force: true });
    });

    /** Runs a program; checks it leaked nothing and left everything outside the root as it was. */
    const attack = async (program) => {
      const results = await ops(program);
      assert.equal(leaks(sandbox, results), [], 'nothing of the host reaches the guest');
      assert.equal(snapshot(sandbox), sandbox.baseline, 'nothing outside the root changed');
      return results;
    };
    const errors = (results, from = 0) => results.slice(from).map((r) => r.err ?? (r.ok ? 'ok' : JSON.stringify(r)));

    test('the swap attack: a held directory descriptor after its directory became an escaping symlink', async () => {
      const p = new Program();
      const d = p.getDirectories();
      const rw = ref(d, 0);
      p.createDir(rw, 'victim');
      const held = ref(p.openAt(rw, 'victim', { directory: true, read: true }));
      p.removeDir(rw, 'victim');
      // Asked directly, symlink-at refuses the escaping target...
      const direct = p.symlink(rw, '../../../../../../..', 'victim');
      // ...so build it where it stays inside, then rename it to where it escapes.
      p.createDir(rw, 'a'); p.createDir(rw, 'a/b');
      p.symlink(rw, '../../canary-l2', 'a/b/x'); // stays under /rw from a/b
      const moved = p.rename(rw, 'a/b/x', rw, 'victim');
      const first = p.createDir(held, 'pwned');
      p.openAt(held, 'secret.txt', { read: true });
      p.openAt(held, 'etc/passwd', { read: true });
      p.readDirAll(held);
      p.stat(held);
      p.symlink(held, 'x', 'y');
      p.openAt(held, '.', { directory: true, read: true });
      const through = p.openAt(rw, 'victim/secret.txt', { read: true, follow: true });
      p.readDirAll(ref(p.openAt(rw, '.', { directory: true, read: true })));
      const r = await attack(p);
      assert.equal(r[direct], { err: 'not-permitted' });
      assert.ok(r[moved].ok, 'rename inside the root works');
      for (const res of r.slice(first, first + 7)) assert.ok(res.err, `held descriptor use must fail: ${JSON.stringify(res)}`);
      assert.equal(r[through], { err: 'not-permitted' });
      assert.not.ok(existsSync(join(sandbox.top, 'l1', 'l2', 'canary-l2', 'pwned')));
    });

    test('the swap attack with a host-made escaping symlink in place of the directory', async () => {
      const p = new Program({ keep: true });
      const d = p.getDirectories();
      p.createDir(ref(d), 'victim');
      p.openAt(ref(d), 'victim', { directory: true, read: true });
      const setup = await attack(p);
      const held = setup[2].value;
      rmSync(join(sandbox.root, 'victim'), { recursive: true });
      symlinkSync('../../../../../../../../..', join(sandbox.root, 'victim'));
      const q = new Program();
      q.readDirAll(held);
      q.createDir(held, 'pwned');
      q.openAt(held, 'etc/passwd', { read: true });
      q.openAt(setup[0].value[0].handle, 'victim/etc/passwd', { read: true, follow: true });
      q.openAt(setup[0].value[0].handle, 'victim', { read: true, directory: true, follow: true });
      const r = await attack(q);
      assert.ok(r.every((x) => x.err), JSON.stringify(r));
    });

    test('`..` never climbs above the descriptor, sub-directory handles included', async () => {
      const p = new Program();
      const rw = ref(p.getDirectories(), 0);
      const sub = ref(p.openAt(rw, 'sub', { directory: true, read: true }));
      const paths = ['..', '../canary-l2/secret.txt', 'sub/../../canary-l2/secret.txt', 'sub/deeper/../../../canary-l2', '../../../../../../../../etc/passwd', 'a/../..'];
      const start = p.ops.length;
      for (const path of paths) p.openAt(rw, path, { read: true, follow: true });
      for (const path of ['..', '../hello.txt', 'deeper/../../hello.txt']) p.openAt(sub, path, { read: true, follow: true });
      p.createDir(sub, '../escaped');
      p.statAt(rw, '..');
      p.readlink(rw, '../out');
      const inside = p.openAt(rw, 'sub/deeper/../../hello.txt', { read: true });
      const r = await attack(p);
      const failed = errors(r, start).slice(0, -1);
      assert.ok(failed.every((e) => e !== 'ok'), failed.join(','));
      assert.ok(failed.includes('not-permitted'));
      assert.ok(r[inside].ok, '`..` inside the descriptor works');
      assert.not.ok(existsSync(join(sandbox.root, '..', 'escaped')));
    });

    test('absolute paths are refused everywhere', async () => {
      const p = new Program();
      const rw = ref(p.getDirectories(), 0);
      const start = p.ops.length;
      p.openAt(rw, '/etc/passwd', { read: true });
      p.openAt(rw, sandbox.canary + '/secret.txt', { read: true });
      p.createDir(rw, '/tmp/sfz-pwned');
      p.statAt(rw, '/');
      p.symlink(rw, '/etc/passwd', 'pw');
      p.symlink(rw, sandbox.canary, 'can');
      p.rename(rw, 'hello.txt', rw, '/tmp/sfz-moved');
      p.link(rw, '/etc/passwd', rw, 'pw2');
      const r = await attack(p);
      assert.equal(errors(r, start), Array(8).fill('not-permitted'));
    });

    test('host-made symlinks: followed inside, refused when they lead out', async () => {
      const p = new Program();
      const rw = ref(p.getDirectories(), 0);
      const inside = p.openAt(rw, 'in/inner.txt', { read: true, follow: true });
      const viaInside = p.read(ref(inside), 100);
      const start = p.ops.length;
      p.openAt(rw, 'out/secret.txt', { read: true, follow: true });
      p.openAt(rw, 'out', { read: true, directory: true, follow: true });
      p.openAt(rw, 'abs', { read: true, follow: true });
      p.statAt(rw, 'out/secret.txt', { follow: true });
      p.statAt(rw, 'abs', { follow: true });
      p.readlink(rw, 'out');
      p.readlink(rw, 'abs');
      p.createDir(rw, 'out/pwned');
      p.unlink(rw, 'out/secret.txt');
      p.setTimesAt(rw, 'abs', 'now', 'now', { follow: true });
      p.link(rw, 'abs', rw, 'hardabs', { follow: true });
      p.link(rw, 'out/secret.txt', rw, 'hardout');
      p.rename(rw, 'out/secret.txt', rw, 'stolen.txt');
      p.openAt(rw, 'loop', { read: true, follow: true });
      const noFollow = p.openAt(rw, 'in', { read: true });
      const linkStat = p.statAt(rw, 'out');
      const r = await attack(p);
      assert.equal(new TextDecoder().decode(r[viaInside].value.data), 'inner');
      const e = errors(r, start).slice(0, 14);
      assert.ok(e.every((x) => x !== 'ok'), e.join(','));
      assert.equal(r[start + 13], { err: 'loop' });
      assert.equal(r[noFollow], { err: 'loop' }, 'without symlink-follow a final symlink is not opened');
      assert.is(r[linkStat].value.type, 'symbolic-link');
    });

    test('guest-made symlinks: escaping targets refused, inside ones usable, renamed ones still confined', async () => {
      const p = new Program();
      const rw = ref(p.getDirectories(), 0);
      const start = p.ops.length;
      p.symlink(rw, '..', 'up');
      p.symlink(rw, '../canary-l2/secret.txt', 'up2');
      p.symlink(rw, 'sub/../../x', 'up3');
      p.symlink(rw, 'a\\..\\..\\x', 'bs');
      const ok = p.symlink(rw, 'inner.txt', 'sub/link');
      const read = p.read(ref(p.openAt(rw, 'sub/link', { read: true, follow: true })), 100);
      p.createDir(rw, 'd1'); p.createDir(rw, 'd1/d2');
      const deep = p.symlink(rw, '../../sub', 'd1/d2/l'); // inside: resolves to /rw/sub
      const viaDeep = p.openAt(rw, 'd1/d2/l/inner.txt', { read: true, follow: true });
      p.rename(rw, 'd1/d2/l', rw, 'l'); // now `../../sub` from the root: outside
      const afterMove = p.openAt(rw, 'l/inner.txt', { read: true, follow: true });
      const subHandle = ref(p.openAt(rw, 'd1', { directory: true, read: true }));
      p.symlink(rw, '../hello.txt', 'd1/h'); // inside /rw, but above the d1 handle
      const fromSub = p.openAt(subHandle, 'h', { read: true, follow: true });
      const fromRoot = p.openAt(rw, 'd1/h', { read: true, follow: true });
      const r = await attack(p);
      assert.equal(errors(r, start).slice(0, 4), ['not-permitted', 'not-permitted', 'not-permitted', 'invalid']);
      assert.ok(r[ok].ok);
      assert.equal(new TextDecoder().decode(r[read].value.data), 'inner');
      assert.ok(r[deep].ok && r[viaDeep].ok);
      assert.equal(r[afterMove], { err: 'not-permitted' }, 'resolution checks again after a rename');
      assert.equal(r[fromSub], { err: 'not-permitted' }, 'a sub-directory handle cannot follow a link above itself');
      assert.ok(r[fromRoot].ok);
    });

    test('hard links cannot bring an outside file in; renames and links stay within one preopen', async () => {
      const p = new Program();
      const d = p.getDirectories();
      const rw = ref(d, 0), ro = ref(d, 1);
      const start = p.ops.length;
      p.link(rw, 'out/secret.txt', rw, 'h1', { follow: true });
      p.link(rw, '../canary-l2/secret.txt', rw, 'h2');
      p.link(rw, 'hello.txt', ro, 'h3');
      p.link(ro, 'ro.txt', rw, 'h4');
      p.rename(rw, 'hello.txt', ro, 'moved.txt');
      p.rename(ro, 'ro.txt', rw, 'moved.txt');
      p.rename(rw, 'hello.txt', rw, '../moved.txt');
      p.rename(rw, 'sub', rw, 'sub/deeper/cycle');
      const good = p.link(rw, 'hello.txt', rw, 'hello-link.txt');
      const r = await attack(p);
      const e = errors(r, start);
      assert.equal(e.slice(0, 2), ['not-permitted', 'not-permitted']);
      for (const x of e.slice(2, 6)) assert.ok(['cross-device', 'read-only'].includes(x), x);
      assert.equal(e[6], 'not-permitted');
      assert.equal(e[7], 'invalid');
      assert.ok(r[good].ok);
      assert.ok(existsSync(join(sandbox.ro, 'ro.txt')));
    });

    test('read-only stays read-only: every mutation and open flag, also from sub-directory handles and files', async () => {
      const p = new Program();
      const ro = ref(p.getDirectories(), 1);
      const rosub = ref(p.openAt(ro, 'rosub', { directory: true, read: true }));
      const file = ref(p.openAt(ro, 'ro.txt', { read: true }));
      const start = p.ops.length;
      for (const dir of [ro, rosub]) {
        const name = dir === ro ? 'ro.txt' : 'x.txt';
        p.openAt(dir, name, { read: true, write: true });
        p.openAt(dir, name, { write: true });
        p.openAt(dir, name, { read: true, truncate: true });
        p.openAt(dir, 'new.txt', { read: true, create: true });
        p.openAt(dir, name, { read: true, create: true, exclusive: true });
        p.openAt(dir, '.', { read: true, directory: true, mutateDirectory: true });
        p.createDir(dir, 'newdir');
        p.removeDir(dir, dir === ro ? 'rosub' : 'nothing');
        p.unlink(dir, name);
        p.rename(dir, name, dir, 'renamed');
        p.link(dir, name, dir, 'linked');
        p.symlink(dir, name, 'sym');
        p.setTimesAt(dir, name, 'now', 'now');
        p.setTimes(dir, 'now', 'now');
      }
      p.setSize(file, 0);
      p.setTimes(file, 'now', 'now');
      p.write(file, 'pwned', 0);
      p.writeViaStream(file, 0);
      p.appendViaStream(file);
      const r = await attack(p);
      assert.equal(errors(r, start), Array(33).fill('read-only'));
      assert.is(readFileSync(join(sandbox.ro, 'ro.txt'), 'utf8'), 'read only');
      assert.equal(readdirSync(sandbox.ro).sort(), ['ro.txt', 'rosub']);
    });

    test('long paths, long names, NUL bytes and backslashes are errors, never host exceptions', async () => {
      const p = new Program();
      const rw = ref(p.getDirectories(), 0);
      const start = p.ops.length;
      p.openAt(rw, 'x'.repeat(1 << 20), { read: true });
      p.createDir(rw, 'y'.repeat(300));
      p.symlink(rw, 'z'.repeat(5000), 'long');
      p.openAt(rw, '\0', { read: true });
      p.openAt(rw, 'hello.txt\0.png', { read: true });
      p.createDir(rw, 'a\0b');
      p.symlink(rw, 'x\0', 'nul');
      p.statAt(rw, '..\\..\\canary-l2');
      p.openAt(rw, '', { read: true });
      p.openAt(rw, 'sub/'.repeat(2000) + 'x', { read: true });
      const r = await attack(p);
      assert.equal(errors(r, start), ['name-too-long', 'name-too-long', 'name-too-long', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'no-entry', 'name-too-long']);
      // The runtime keeps serving.
      const q = new Program();
      q.read(ref(q.openAt(ref(q.getDirectories(), 0), 'hello.txt', { read: true })), 5);
      assert.equal(new TextDecoder().decode((await attack(q))[2].value.data), 'hello');
    });

    test('made-up and dropped handles are bad-descriptor (the guest keeps running)', async () => {
      const p = new Program();
      const rw = ref(p.getDirectories(), 0);
      const f = ref(p.openAt(rw, 'hello.txt', { read: true }));
      const start = p.ops.length;
      for (const h of [0, 7, 9999, 0x7fffffff, -1]) {
        p.read(h, 10);
        p.openAt(h, 'hello.txt', { read: true });
        p.readDirAll(h);
        p.createDir(h, 'x');
        p.rename(rw, 'hello.txt', h, 'x');
        p.readDirEntry(h);
      }
      p.dropDescriptor(f);
      p.read(f, 10);
      p.stat(f);
      const r = await attack(p);
      const e = errors(r, start);
      assert.equal(e.slice(0, 30), Array(30).fill('bad-descriptor'));
      assert.equal(e.slice(30), ['ok', 'bad-descriptor', 'bad-descriptor']);
    });

    test('dropping handles that do not exist (or twice) never reaches the host; the function keeps serving', async () => {
      for (const build of [
        (p) => p.dropDescriptor(4242),
        (p) => p.dropDescriptor(0),
        (p) => { const f = ref(p.openAt(ref(p.getDirectories(), 0), 'hello.txt', { read: true })); p.dropDescriptor(f); p.dropDescriptor(f); },
        (p) => p.dropDirStream(77),
      ]) {
        const p = new Program();
        build(p);
        // jco's handle tables (and ours, which keep its behaviour) let some of these through and
        // trap on others: either way no host error text and no host path.
        const err = await ops(p).then(() => undefined, (e) => e);
        if (err) {
          assert.is(err.code, 'TRAP', String(err));
          assert.not.ok(String(err.message).includes(sandbox.top), err.message);
        }
        const q = new Program();
        q.statAt(ref(q.getDirectories(), 0), 'hello.txt');
        assert.is((await attack(q))[1].value.type, 'regular-file');
      }
    });

    test('a held directory that was moved keeps naming that directory, never the new one at its path', async () => {
      const p = new Program({ keep: true });
      const rw = ref(p.getDirectories(), 0);
      const held = p.openAt(rw, 'sub', { directory: true, read: true });
      p.rename(rw, 'sub', rw, 'sub-moved');
      p.createDir(rw, 'sub');
      p.write(ref(p.openAt(rw, 'sub/new.txt', { write: true, create: true })), 'new object');
      p.readDirAll(ref(held));
      p.openAt(ref(held), 'new.txt', { read: true });
      const r = await attack(p);
      const listing = r[6];
      assert.ok(listing.err || !listing.value.some((e) => e.name === 'new.txt'), JSON.stringify(listing));
      assert.ok(r[7].err, 'never the new object');
    });

    test.run();
  }
}
