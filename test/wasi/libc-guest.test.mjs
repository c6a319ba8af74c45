// Our wasi:filesystem host as a real C program sees it: wasi-libc (WASI preview 1) through jco's
// reactor adapter, on both glues. Built from test/wasi/fixtures/fs-libc.c when clang and
// wasi-libc are installed; skipped (visibly) otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { tempCache } from '../helpers.mjs';
import { buildLibcGuest } from './fixtures/build-libc-guest.mjs';
import { makeSandbox, snapshot } from './fs-fixture.mjs';

const why = {};
const component = await buildLibcGuest(why);

if (!component) {
  test.skip(`C guest through wasi-libc (${why.reason})`, () => {});
} else {
  const sandbox = makeSandbox();
  const rt = createRuntime({ cacheDir: tempCache() });
  const script = (lines) => lines.join('\n');

  for (const glue of ['jco', 'fast']) {
    test(`[${glue}] wasi-libc: files, directories, symlinks, cwd, all inside the preopen`, async () => {
      const fn = await rt.load(`libc-${glue}`, component, {
        glue, pool: { mode: 'reuse' },
        wasi: { preopens: { '/data': { hostPath: sandbox.root, readOnly: false }, '/ro': sandbox.ro } },
      });
      assert.is(fn.glue.kind, glue);
      const d = `/data/${glue}`;
      const out = (await fn.call('run', script([
        'read /data/hello.txt', `mkdir ${d}`, `write ${d}/c.txt hello c`, `append ${d}/c.txt  more`, `read ${d}/c.txt`,
        `stat ${d}`, `stat ${d}/c.txt`, `ls ${d}`, `rename ${d}/c.txt ${d}/c2.txt`, `read ${d}/../${glue}/c2.txt`,
        `symlink c2.txt ${d}/l`, `readlink ${d}/l`, `read ${d}/l`, `chdir ${d}`, 'getcwd', 'read c2.txt', 'read ../hello.txt',
        'read /data/in/inner.txt', 'read /ro/ro.txt',
        `unlink ${d}/l`, `unlink ${d}/c2.txt`, `rmdir ${d}`, 'openfiles /data/hello.txt 50',
      ]))).split('\n');
      assert.equal(out.slice(0, -1), [
        'ok hello from the root', 'ok', 'ok', 'ok', 'ok hello c more',
        'ok dir 4096', 'ok file 12', 'ok c.txt', 'ok', 'ok hello c more',
        'ok', 'ok c2.txt', 'ok hello c more', 'ok', `ok ${d}`, 'ok hello c more', 'ok hello from the root',
        'ok inner', 'ok read only',
        'ok', 'ok', 'ok', 'ok 50 -',
      ]);
    });

    test(`[${glue}] wasi-libc: escapes fail with errno, read-only holds, nothing outside changes`, async () => {
      const fn = rt.get(`libc-${glue}`);
      const out = (await fn.call('run', script([
        'read /data/../canary-l2/secret.txt', 'read /data/out/secret.txt', 'read /data/abs', 'readlink /data/out',
        'ls /data/..', 'ls /data/out', 'mkdir /data/out/pwned', 'symlink ../../canary /data/esc', 'symlink /etc/passwd /data/esc',
        'rename /data/hello.txt /ro/stolen.txt', 'write /ro/x.txt nope', 'unlink /ro/ro.txt', 'mkdir /ro/d',
        'chdir /data/sub', 'read ../../canary-l2/secret.txt', 'read /etc/passwd', 'read /data/loop',
      ]))).split('\n');
      assert.ok(out.slice(0, -1).filter((l) => l !== 'ok').every((l) => l.startsWith('err ')), out.join('\n'));
      assert.is(out.filter((l) => l.startsWith('ok')).length, 1, 'only the chdir succeeds');
      assert.equal(snapshot(sandbox), sandbox.baseline);
      assert.is(readFileSync(join(sandbox.ro, 'ro.txt'), 'utf8'), 'read only');
      assert.ok(existsSync(join(sandbox.root, 'hello.txt')));
    });
  }

  test.after(() => {
    rt.close();
    rmSync(sandbox.top, { recursive: true, force: true });
  });
}

test.run();
