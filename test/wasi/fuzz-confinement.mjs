#!/usr/bin/env node
// Seeded randomized confinement test of our wasi:filesystem host, through the hostile fs-ops
// guest: thousands of random operation sequences (mkdir, rmdir, symlink with random relative
// targets full of `..`, rename, link, open, read, write, readdir, streams, swaps of directories
// for symlinks, sub-directory descriptors...) over a small tree, with canaries at every level
// outside it. After every sequence: the canary tree and everything else outside the root
// (names, contents, mtimes) is unchanged, nothing new exists outside the root, and no result
// the guest got holds canary bytes, canary names or a host path.
//   node test/wasi/fuzz-confinement.mjs [sequences=10000] [--seed S] [--mode fd|path]
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { createRuntime } from '../../dist/index.js';
import { anchorMode, setAnchorMode } from '../../dist/wasi/filesystem/dir-handle.js';
import { tempCache } from '../helpers.mjs';
import { Program, ref } from './fs-ops.mjs';
import { leaks, loadFsOps, makeSandbox, populateRoot, snapshot } from './fs-fixture.mjs';

/** mulberry32: small, seeded, reproducible. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names the guest creates; an entry with one of these names outside the sandbox is an escape. */
const NAMES = ['a', 'b', 'c', 'sfz-n1', 'sfz-n2'];
const EXISTING = ['hello.txt', 'sub', 'in', 'out', 'abs', 'loop', 'deeper', 'inner.txt', 'sub', 'in'];
/** Files to open: the root's own, ones through host-made links (in and out), and random paths. */
const FILES = ['hello.txt', 'sub/inner.txt', 'in/inner.txt', 'out/secret.txt', 'abs', 'a', 'b', 'a/b', 'sub/a', 'c/hello.txt'];
const TARGETS = ['..', '../..', '../../..', '../canary-l2', '../canary-l2/secret.txt', '../../canary-l1.txt', '../../../canary',
  'sub', 'a', 'a/..', 'a/../..', 'sub/../..', '.', 'b/c', 'hello.txt', '../root/hello.txt', '/etc/passwd', '/tmp', 'x/../../y'];

function generator(random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const chance = (p) => random() < p;
  const component = () => (chance(0.15) ? '..' : chance(0.04) ? '.' : chance(0.55) ? pick(NAMES) : pick(EXISTING));
  const path = () => {
    const n = 1 + Math.floor(random() * (chance(0.15) ? 6 : 2));
    const p = Array.from({ length: n }, component).join('/');
    return chance(0.07) ? `${p}/` : p;
  };
  return { pick, chance, path, file: () => (chance(0.6) ? pick(FILES) : path()), target: () => (chance(0.7) ? pick(TARGETS) : path()) };
}

/** One random program: a few dozen operations over the two preopens and descriptors it opens. */
export function randomProgram(random, length) {
  const g = generator(random);
  const p = new Program();
  const d = p.getDirectories();
  const dirs = [ref(d, 0), ref(d, 0), ref(d, 0), ref(d, 0), ref(d, 1)];
  const files = [];
  const streams = [];
  /** Directory descriptors this program opened, with where it opened them (for targeted swaps). */
  const opened = [];
  const anyDir = () => (g.chance(0.04) ? Math.floor(random() * 12) : g.pick(dirs));
  for (let i = 0; i < length; i++) {
    const r = random();
    const dir = anyDir();
    if (r < 0.1) p.createDir(dir, g.path());
    else if (r < 0.16) p.removeDir(dir, g.path());
    else if (r < 0.26) p.symlink(dir, g.target(), g.path());
    else if (r < 0.34) p.rename(dir, g.path(), g.chance(0.8) ? dir : anyDir(), g.path());
    else if (r < 0.38) p.link(dir, g.path(), g.chance(0.8) ? dir : anyDir(), g.path(), { follow: g.chance(0.5) });
    else if (r < 0.5) {
      const asDir = g.chance(0.4);
      const where = asDir ? g.path() : g.file();
      const op = p.openAt(dir, where, {
        follow: g.chance(0.7), directory: asDir, read: true, write: !asDir && g.chance(0.3),
        create: !asDir && g.chance(0.2), truncate: g.chance(0.05), exclusive: g.chance(0.05),
      });
      (asDir ? dirs : files).push(ref(op));
      if (asDir) opened.push({ base: dir, path: where, held: ref(op) });
    } else if (r < 0.58) p.read(g.chance(0.9) && files.length ? g.pick(files) : dir, 1 + Math.floor(random() * 200), 0);
    else if (r < 0.62) p.write(files.length ? g.pick(files) : dir, `w${i}`, Math.floor(random() * 20));
    else if (r < 0.7) p.readDirAll(dir);
    else if (r < 0.74) p.unlink(dir, g.path());
    else if (r < 0.79) p.statAt(dir, g.path(), { follow: g.chance(0.6) });
    else if (r < 0.82) p.readlink(dir, g.path());
    else if (r < 0.86) {
      // The swap: a directory replaced by a symlink that leads out while a descriptor to it is
      // held, then the descriptor and the path used. The link is made directly (symlink-at must
      // refuse it) or where it stays inside and then renamed into place.
      let victim;
      if (opened.length && g.chance(0.4)) victim = g.pick(opened);
      else {
        const name = g.pick(NAMES);
        p.createDir(dir, name);
        victim = { base: dir, path: name, held: ref(p.openAt(dir, name, { directory: true, read: true })) };
      }
      p.removeDir(victim.base, victim.path);
      if (g.chance(0.5)) p.symlink(victim.base, g.target(), victim.path);
      else {
        p.createDir(victim.base, 'sfz-n1');
        p.createDir(victim.base, 'sfz-n1/sfz-n2');
        p.symlink(victim.base, g.pick(['../..', '../../canary-l2', '../../..', '../../../canary-l2']), 'sfz-n1/sfz-n2/l');
        p.rename(victim.base, 'sfz-n1/sfz-n2/l', victim.base, victim.path);
      }
      p.createDir(victim.held, g.pick(NAMES));
      p.readDirAll(victim.held);
      p.read(ref(p.openAt(victim.held, g.file(), { follow: true, read: true })), 100, 0);
      p.readDirAll(ref(p.openAt(victim.base, victim.path, { follow: true, directory: true, read: true })));
      p.read(ref(p.openAt(victim.base, `${victim.path}/secret.txt`, { follow: true, read: true })), 100, 0);
    } else if (r < 0.89 && files.length) streams.push(ref(p.readViaStream(g.pick(files), 0)));
    else if (r < 0.91 && streams.length) p.streamRead(g.pick(streams), 64);
    else if (r < 0.93) p.setTimesAt(dir, g.path(), 'now', { seconds: 1, nanoseconds: 0 }, { follow: g.chance(0.5) });
    else if (r < 0.95) p.metadataHashAt(dir, g.path(), { follow: g.chance(0.5) });
    else if (r < 0.97 && dirs.length > 5) p.dropDescriptor(dirs.splice(5 + Math.floor(random() * (dirs.length - 5)), 1)[0]);
    else p.read(ref(p.openAt(dir, g.file(), { follow: true, read: true })), 100, 0);
  }
  return p;
}

/** Entries with fuzz names in directories far above the sandbox (shared with others: only our names count). */
function farEntries() {
  const found = [];
  for (const dir of [tmpdir(), '/']) {
    try {
      for (const name of readdirSync(dir)) if (NAMES.includes(name)) found.push(join(dir, name));
    } catch { /* unreadable: nothing to compare */ }
  }
  return found;
}

/**
 * Runs `sequences` random programs; returns { sequences, escapes, operations, errors, traps, failures }.
 * Alternates our glue and jco's. `mode` forces an anchor mode (default: the host's).
 */
export async function fuzz({ sequences, seed = 1, mode, log = () => {} }) {
  if (mode) setAnchorMode(mode);
  const random = prng(seed);
  const farBefore = new Set(farEntries());
  const cacheDir = tempCache();
  /** A fresh sandbox with both glues' functions on it (again after an escape, so one cannot hide the next). */
  const setup = async () => {
    const sandbox = makeSandbox();
    const rt = createRuntime({ cacheDir });
    const fns = [];
    for (const glue of ['fast', 'jco']) fns.push((await loadFsOps(sandbox, { glue, runtime: rt, name: `fuzz-${glue}`, pool: { mode: 'reuse' } })).run);
    return { sandbox, rt, fns };
  };
  const teardown = ({ sandbox, rt }) => {
    rt.close();
    rmSync(sandbox.top, { recursive: true, force: true });
  };
  let env = await setup();
  const stats = { sequences: 0, escapes: 0, operations: 0, errors: 0, traps: 0, mode: anchorMode(), failures: [] };
  const t0 = performance.now();
  try {
    for (let i = 0; i < sequences; i++) {
      const { sandbox, fns } = env;
      if (i % 100 === 0) populateRoot(sandbox); // the tree grows and shrinks under the fuzz
      const program = randomProgram(random, 5 + Math.floor(random() * 30));
      let results;
      let problem;
      try {
        results = await fns[i % 2](program);
      } catch (err) {
        // A trap is a legitimate end for a guest that misuses handles (jco's glue traps on some
        // made-up ones); it must carry no host path, and the fs must be as checked below.
        stats.traps++;
        if (err?.code !== 'TRAP' || String(err.message).includes(sandbox.top)) problem = `the call failed: ${err?.code} ${err?.message}`;
      }
      if (results) {
        stats.operations += results.length;
        stats.errors += results.filter((r) => r.err).length;
        const leaked = leaks(sandbox, results);
        if (leaked.length) problem = `leaked: ${leaked.join('; ')}`;
      }
      const now = snapshot(sandbox);
      if (!problem && inspect(now, { depth: 5 }) !== inspect(sandbox.baseline, { depth: 5 })) problem = 'something outside the root changed';
      if (!problem && i % 50 === 49) {
        const far = farEntries().filter((e) => !farBefore.has(e));
        if (far.length) problem = `new entries far outside: ${far.join(', ')}`;
      }
      stats.sequences++;
      if (problem) {
        stats.escapes++;
        stats.failures.push({ sequence: i, seed, problem, ops: program.trace, results });
        log(`ESCAPE in sequence ${i} (seed ${seed}): ${problem}`);
        teardown(env);
        env = await setup();
      }
      if ((i + 1) % 1000 === 0) log(`${i + 1} sequences, ${stats.escapes} escapes, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    teardown(env);
    rmSync(cacheDir, { recursive: true, force: true });
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const sequences = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
  const seedAt = args.indexOf('--seed');
  const modeAt = args.indexOf('--mode');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 20261202;
  const mode = modeAt >= 0 ? args[modeAt + 1] : undefined;
  const stats = await fuzz({ sequences, seed, mode, log: (m) => console.error(m) });
  const { failures, ...summary } = stats;
  console.log(JSON.stringify(summary));
  for (const f of failures.slice(0, 5)) console.log(inspect(f, { depth: 4, maxArrayLength: 50 }));
  process.exit(stats.escapes === 0 ? 0 : 1);
}
