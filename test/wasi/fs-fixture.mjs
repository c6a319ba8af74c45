// A sandbox for the filesystem confinement tests: a preopen tree with host-made symlinks in and
// out, a read-only preopen, and a canary tree outside both that must never be read, listed or
// changed. `snapshot()` records everything outside the read-write root (names, contents, mtimes,
// directories' own mtimes) so a test can assert that nothing there moved.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { run } from './fs-ops.mjs';

export const CANARY = 'CANARY-7f3a';

/**
 * Builds `<tmp>/sfz-XXXX/{canary, l1/l2/{canary-l2, root, ro}}`: the read-write root sits two levels
 * down so that `..` chains meet a canary at every level.
 */
export function makeSandbox() {
  const top = mkdtempSync(join(tmpdir(), 'sfz-'));
  // A name no guest can guess, in every directory outside the root: seeing it means a listing leaked.
  const token = randomBytes(6).toString('hex');
  const canary = join(top, 'canary');
  mkdirSync(join(canary, 'dir'), { recursive: true });
  writeFileSync(join(canary, 'secret.txt'), `${CANARY} top secret`);
  writeFileSync(join(canary, 'dir', 'deep.txt'), `${CANARY} deep`);
  const l2 = join(top, 'l1', 'l2');
  mkdirSync(join(l2, 'canary-l2'), { recursive: true });
  writeFileSync(join(top, 'l1', 'canary-l1.txt'), `${CANARY} l1`);
  writeFileSync(join(l2, 'canary-l2', 'secret.txt'), `${CANARY} l2`);
  for (const dir of [top, canary, join(canary, 'dir'), join(top, 'l1'), l2, join(l2, 'canary-l2')]) {
    writeFileSync(join(dir, `hidden-${token}`), `${CANARY} hidden`);
  }
  const root = join(l2, 'root');
  mkdirSync(root);
  populateRoot({ root, canary });
  const ro = join(l2, 'ro');
  mkdirSync(join(ro, 'rosub'), { recursive: true });
  writeFileSync(join(ro, 'ro.txt'), 'read only');
  writeFileSync(join(ro, 'rosub', 'x.txt'), 'x');
  const sandbox = { top, root, ro, canary, token };
  sandbox.baseline = snapshot(sandbox);
  return sandbox;
}

/**
 * (Re)fills the read-write root (its contents only: the root directory itself stays, so its
 * parent does not change): files, a sub-directory, and host-made symlinks inside, out (relative
 * and absolute) and in a loop.
 */
export function populateRoot({ root, canary }) {
  for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true });
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(root, 'hello.txt'), 'hello from the root');
  writeFileSync(join(root, 'sub', 'inner.txt'), 'inner');
  symlinkSync('sub', join(root, 'in'));
  symlinkSync('../canary-l2', join(root, 'out'));
  symlinkSync(join(canary, 'secret.txt'), join(root, 'abs'));
  symlinkSync('loop', join(root, 'loop'));
}

/** Everything outside the read-write root, as a comparable object. */
export function snapshot({ top, root }) {
  const out = {};
  const walk = (dir) => {
    const st = lstatSync(dir, { bigint: true });
    out[dir] = { type: 'dir', mtime: st.mtimeNs, ctime: st.ctimeNs, names: readdirSync(dir).sort() };
    for (const name of out[dir].names) {
      const p = join(dir, name);
      if (p === root) continue;
      const s = lstatSync(p, { bigint: true });
      if (s.isDirectory()) walk(p);
      else if (s.isSymbolicLink()) out[p] = { type: 'link', target: readlinkSync(p), mtime: s.mtimeNs };
      else out[p] = { type: 'file', data: readFileSync(p, 'utf8'), mtime: s.mtimeNs, ctime: s.ctimeNs, ino: s.ino, nlink: s.nlink };
    }
  };
  walk(top);
  return out;
}

/** Loads fs-ops with `/rw` (read-write root) and `/ro` (read-only) preopens. */
export async function loadFsOps(sandbox, { glue = 'auto', limits, pool, name = 'fs-ops', runtime } = {}) {
  const rt = runtime ?? createRuntime({ cacheDir: sharedCache() });
  const fn = await rt.load(name, guest('fs-ops'), {
    glue, limits, pool,
    wasi: { preopens: { '/rw': { hostPath: sandbox.root, readOnly: false }, '/ro': sandbox.ro } },
  });
  return { rt, fn, run: (program) => run(fn, program) };
}

let cache;
function sharedCache() {
  cache ??= tempCache();
  return cache;
}

/**
 * What in `results` (and `extra`) came from outside the root: a host path, canary bytes, or the
 * unguessable name that only directories outside the root hold. (Names a guest can aim at, like
 * `secret.txt`, are no evidence: a guest may create its own.)
 */
export function leaks(sandbox, results, extra = []) {
  const found = [];
  const needles = [sandbox.top, CANARY, sandbox.token];
  const visit = (v, where) => {
    if (typeof v === 'string' || v instanceof Uint8Array) {
      const text = typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
      for (const n of needles) if (text.includes(n)) found.push(`${where}: contains ${JSON.stringify(n)}`);
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${where}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, `${where}.${k}`);
  };
  visit(results, 'results');
  visit(extra, 'extra');
  return found;
}
