#!/usr/bin/env node
// wasi:filesystem: our host (lib/wasi/filesystem, confinement on held directory fds) against
// preview2-shim 0.26's, side by side in one process on the same files. The operation is what most
// file access is: open-at + read 4 KiB + drop (close), measured
// - through a guest: the fs-ops component (guests/fs-ops) under jco's glue with each host's import
//   object (50 operations per call, so the per-call cost is spread), and under our fast glue;
// - at the host: the import objects' methods called directly from JS (no guest, no glue);
// for a file in the preopen itself and one three directories down.
// Metric `fs_ops_ratio_vs_shim`: our µs / the shim's µs through the guest (lower is better; the
// issue's bar is ≤ 1.5). Run: `npm run bench -- wasi [--quick]` (needs a built dist/ and guests).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { createRuntime } from '../dist/index.js';
import { InstanceScope } from '../dist/host/scope.js';
import { filesystemImports } from '../dist/wasi/filesystem/index.js';
import { Program, ref, decode } from '../test/wasi/fs-ops.mjs';
import { median } from './lib/stats.mjs';

const guestPath = fileURLToPath(new URL('../guests/dist/fs-ops.wasm', import.meta.url));
const PER_CALL = 50;

/** fs-ops through jco's sync glue, with any import object. */
async function jcoGuest(bytes) {
  const out = await transpile(bytes, { name: 'fsops', instantiation: { tag: 'sync' }, noTypescript: true });
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-bench-wasi-'));
  const modules = new Map();
  for (const [file, content] of Object.entries(out.files)) {
    if (file.endsWith('.wasm')) modules.set(file, new WebAssembly.Module(content));
    else if (file.endsWith('.js')) writeFileSync(join(dir, file), content);
  }
  const glue = await import(pathToFileURL(join(dir, 'fsops.js')).href);
  rmSync(dir, { recursive: true, force: true });
  return (imports) => glue.instantiate((file) => modules.get(file), imports);
}

/** A program of `n` × (open-at `path` + read 4 KiB + drop). */
function openReadClose(path, n) {
  const p = new Program();
  const rw = ref(p.getDirectories(), 0);
  for (let i = 0; i < n; i++) {
    const f = p.openAt(rw, path, { read: true, follow: true });
    p.read(ref(f), 4096, 0);
    p.dropDescriptor(ref(f));
  }
  return p;
}

/**
 * µs per operation of each contender, side by side: `rounds` alternating rounds, each contender's
 * figure the median of its rounds (this shared VM has slow phases that hit a round at a time).
 */
function sideBySide(contenders, { rounds, perRound, opsPerRun }) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const fn of Object.values(contenders)) for (let i = 0; i < 20; i++) fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const t0 = performance.now();
      for (let i = 0; i < perRound; i++) fn();
      samples[name].push(((performance.now() - t0) * 1000) / (perRound * opsPerRun));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

export async function run({ quick = false, log = () => {} } = {}) {
  const data = mkdtempSync(join(tmpdir(), 'sfirt-bench-fs-'));
  mkdirSync(join(data, 'a', 'b', 'c'), { recursive: true });
  const payload = Buffer.alloc(4096, 7);
  writeFileSync(join(data, 'f.bin'), payload);
  writeFileSync(join(data, 'a', 'b', 'c', 'f.bin'), payload);
  const rounds = quick ? 7 : 21;
  const perRound = quick ? 10 : 30;
  try {
    log('transpiling fs-ops with jco');
    const instantiate = await jcoGuest(readFileSync(guestPath));
    const shimImports = () => new WASIShim({ sandbox: { preopens: { '/d': data }, env: {}, args: [], enableNetwork: false } }).getImportObject();
    const oursImports = () => {
      const imports = shimImports();
      const fs = filesystemImports({ '/d': { hostPath: data, readOnly: true } }, { openFiles: 256 })(new InstanceScope());
      return { ...imports, ...fs };
    };
    const shimGuest = instantiate(shimImports());
    const ourGuest = instantiate(oursImports());
    const rt = createRuntime({ cacheDir: mkdtempSync(join(tmpdir(), 'sfirt-bench-cache-')) });
    const fast = await rt.load('fs-ops', guestPath, { wasi: { preopens: { '/d': data } }, pool: { mode: 'reuse' } });
    if (fast.glue.kind !== 'fast') log(`note: the runtime chose ${fast.glue.kind} glue`);

    const results = {};
    for (const [label, path] of [['', 'f.bin'], ['_deep', 'a/b/c/f.bin']]) {
      const program = openReadClose(path, PER_CALL);
      const bytes = program.bytes();
      // Both hosts must do the work: every read returns the 4 KiB.
      for (const [name, out] of [['shim', shimGuest.run(bytes)], ['ours', ourGuest.run(bytes)], ['fast', await fast.call('run', bytes)]]) {
        const reads = decode(program, out).filter((r, i) => program.ops[i] === 'read');
        if (reads.length !== PER_CALL || !reads.every((r) => r.ok && r.value.data.length === 4096)) throw new Error(`${name}: reads failed for ${path}: ${JSON.stringify(reads[0])}`);
      }
      log(`guest ${path}`);
      // The fast-glue function is async (pool + limits): time it separately, awaiting each call.
      const guest = sideBySide({ shim: () => shimGuest.run(bytes), ours: () => ourGuest.run(bytes) }, { rounds, perRound, opsPerRun: PER_CALL });
      const fastSamples = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        for (let i = 0; i < perRound; i++) await fast.call('run', bytes);
        fastSamples.push(((performance.now() - t0) * 1000) / (perRound * PER_CALL));
      }

      log(`host ${path}`);
      const shimRoot = shimImports()['wasi:filesystem/preopens'].getDirectories()[0][0];
      const ourRoot = oursImports()['wasi:filesystem/preopens'].getDirectories()[0][0];
      const once = (root) => () => {
        const f = root.openAt({ symlinkFollow: true }, path, {}, { read: true });
        const [bytesRead] = f.read(4096n, 0n);
        if (bytesRead.length !== 4096) throw new Error('short read');
        f[Symbol.dispose]();
      };
      const host = sideBySide({ shim: once(shimRoot), ours: once(ourRoot) }, { rounds, perRound: perRound * PER_CALL, opsPerRun: 1 });
      results[label] = { guest, fast: median(fastSamples), host };
    }
    rt.close();

    const r = results[''], d = results._deep;
    const metrics = {
      fs_ops_ratio_vs_shim: r.guest.ours / r.guest.shim,
      fs_ops_us: r.guest.ours,
      fs_ops_shim_us: r.guest.shim,
      fs_ops_fast_glue_us: r.fast,
      fs_ops_deep_ratio_vs_shim: d.guest.ours / d.guest.shim,
      fs_ops_deep_us: d.guest.ours,
      fs_ops_deep_shim_us: d.guest.shim,
      fs_host_ratio_vs_shim: r.host.ours / r.host.shim,
      fs_host_us: r.host.ours,
      fs_host_shim_us: r.host.shim,
      fs_host_deep_us: d.host.ours,
      fs_host_deep_shim_us: d.host.shim,
    };
    const row = (name, ours, shim) => `${name.padEnd(44)} ${ours.toFixed(2).padStart(9)} ${shim.toFixed(2).padStart(9)} ${(ours / shim).toFixed(2).padStart(7)}`;
    const table = [
      `${'open-at + read 4 KiB + drop, µs per operation'.padEnd(44)} ${'ours'.padStart(9)} ${'shim'.padStart(9)} ${'ratio'.padStart(7)}`,
      row('guest (jco glue), file in the preopen', r.guest.ours, r.guest.shim),
      row('guest (jco glue), file 3 directories down', d.guest.ours, d.guest.shim),
      row('host calls, file in the preopen', r.host.ours, r.host.shim),
      row('host calls, file 3 directories down', d.host.ours, d.host.shim),
      `${'guest (our fast glue, runtime call), preopen'.padEnd(44)} ${r.fast.toFixed(2).padStart(9)}`,
    ].join('\n');
    const notes = [
      'the shim serves file I/O through its worker thread (a synchronous round trip per open, read and close); ours calls node:fs synchronously on the guest\'s thread, resolving every path component under held directory fds',
      `guest rows: ${PER_CALL} operations per call of fs-ops' run(); each figure is the median of ${rounds} alternating rounds`,
    ];
    return { metrics, table, notes, details: { rounds, perRound, perCall: PER_CALL, node: process.version } };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { table, metrics, notes } = await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) });
  console.log(table);
  for (const [k, v] of Object.entries(metrics)) console.log(`${k.padEnd(30)} ${+v.toPrecision(4)}`);
  for (const n of notes) console.log(`note: ${n}`);
}
