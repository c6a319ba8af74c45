// Writers of the precompile cache that die or race: a process killed in the middle of writing an
// entry (mid-file, fully staged before the rename, or halfway through replacing a bad entry)
// leaves nothing a reader would use; the next load succeeds, sweeps the leftovers, and the one
// after is a hit. Several processes loading (or healing) the same entry at once all succeed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guest, root, tempCache } from '../helpers.mjs';
import { entries, leftovers, loadInChild } from './cache-helpers.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'sfirt-cache-crash-'));
const spec = (cacheDir) => ({ cacheDir, guest: guest('hello'), glue: 'jco', call: ['greet', 'crash'] });

// Preloaded into the writer: stops it for good at the point named by SFIRT_TEST_PAUSE, by wrapping
// node:fs/promises (the cache's only I/O), and says so on stdout, so the test can SIGKILL it there.
const pauseHook = join(scratch, 'pause-hook.mjs');
writeFileSync(pauseHook, `
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
const at = process.env.SFIRT_TEST_PAUSE;
const pause = (what) => { process.stdout.write('PAUSED ' + what + '\\n'); setInterval(() => {}, 1 << 30); return new Promise(() => {}); };
const { open, rename } = fsp;
let files = 0;
fsp.open = async function (path, flags, mode) {
  const fh = await open.call(this, path, flags, mode);
  if (flags === 'wx' && at === 'mid-file' && ++files === 2) {
    // The second staged file: write half of it, then stop.
    fh.writeFile = async (data) => { await fh.write(Buffer.from(data).subarray(0, data.length >> 1)); return pause(at); };
  }
  return fh;
};
fsp.rename = async function (from, to) {
  if (at === 'staged' && String(from).includes('.staging-')) return pause(at);
  const done = await rename.call(this, from, to);
  if (at === 'replacing' && String(to).includes('.trash-')) return pause(at);
  return done;
};
syncBuiltinESMExports();
`);

/** Runs a load that stops at `stage`, kills it with SIGKILL there, and resolves once it is dead. */
function killMidWrite(cacheDir, stage) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pauseHook, join(root, 'test/component/cache-child.mjs'), JSON.stringify([spec(cacheDir)])], {
      env: { ...process.env, SFIRT_TEST_PAUSE: stage },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(`PAUSED ${stage}`)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer was not stopped at ${stage} (exit ${code}): ${out}${err}`));
    });
  });
}

test.after(() => rmSync(scratch, { recursive: true, force: true }));

for (const stage of ['mid-file', 'staged']) {
  test(`a writer killed ${stage === 'mid-file' ? 'halfway through writing a file' : 'with the entry staged, before the rename'}: the next load recovers, the one after hits`, async () => {
    const dir = tempCache();
    await killMidWrite(dir, stage);
    assert.equal(entries(dir), [], 'a partial entry was installed');
    assert.is(leftovers(dir).length, 1);
    const [a] = await loadInChild([spec(dir)]);
    assert.ok(a.ok && a.value === 'Hello, crash!', a.message);
    assert.is(a.cacheHit, false);
    assert.equal(leftovers(dir), [], 'the dead writer\'s staging directory was not swept');
    const [b] = await loadInChild([spec(dir)]);
    assert.ok(b.ok && b.cacheHit, JSON.stringify(b));
    rmSync(dir, { recursive: true, force: true });
  });
}

test('a writer killed halfway through replacing a bad entry: the next load recovers, the one after hits', async () => {
  const dir = tempCache();
  await loadInChild([spec(dir)]);
  const [entry] = entries(dir);
  // A file every load reads (a warm load skips the core modules whose rewrites are cached).
  const wit = join(entry, 'world.wit');
  truncateSync(wit, statSync(wit).size >> 1);
  await killMidWrite(dir, 'replacing');
  assert.equal(entries(dir), [], 'the bad entry was still installed');
  const [a] = await loadInChild([spec(dir)]);
  assert.ok(a.ok && a.value === 'Hello, crash!', a.message);
  assert.equal(leftovers(dir), []);
  const [b] = await loadInChild([spec(dir)]);
  assert.ok(b.ok && b.cacheHit, JSON.stringify(b));
  rmSync(dir, { recursive: true, force: true });
});

test('a live writer\'s staging directory is left alone by others\' sweeps', async () => {
  const dir = tempCache();
  const live = join(dir, `.staging-${process.pid}-feedfacecafe`);
  mkdirSync(live);
  const [a] = await loadInChild([spec(dir)]);
  assert.ok(a.ok, a.message);
  assert.equal(leftovers(dir), [`.staging-${process.pid}-feedfacecafe`]);
  rmSync(dir, { recursive: true, force: true });
});

const PROCESSES = 4;

test(`${PROCESSES} processes loading a new component at once, twice over: all succeed, one whole entry, no leftovers`, async () => {
  for (let round = 0; round < 2; round++) {
    const dir = tempCache();
    const results = (await Promise.all(Array.from({ length: PROCESSES }, () => loadInChild([spec(dir)])))).flat();
    for (const r of results) assert.ok(r.ok && r.value === 'Hello, crash!', JSON.stringify(r));
    assert.is(entries(dir).length, 1);
    assert.equal(leftovers(dir), []);
    const [after] = await loadInChild([spec(dir)]);
    assert.ok(after.cacheHit, JSON.stringify(after));
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`${PROCESSES} processes meeting the same damaged entry at once: all succeed, it is healed once and for all`, async () => {
  const dir = tempCache();
  await loadInChild([spec(dir)]);
  const [entry] = entries(dir);
  writeFileSync(join(entry, 'glue.js'), 'throw new Error("damaged")');
  const results = (await Promise.all(Array.from({ length: PROCESSES }, () => loadInChild([spec(dir)])))).flat();
  for (const r of results) assert.ok(r.ok && r.value === 'Hello, crash!', JSON.stringify(r));
  assert.ok(results.some((r) => r.cacheRebuilt));
  assert.is(entries(dir).length, 1);
  assert.equal(leftovers(dir), []);
  const [after] = await loadInChild([spec(dir)]);
  assert.ok(after.cacheHit, JSON.stringify(after));
  rmSync(dir, { recursive: true, force: true });
});

test.run();
