// Nothing of one caller reaches the next (issue 16), attacked with the hostile `handle-probe`
// guest: caller A leaves a secret file open in a preopen (plus a stream on it, a directory
// listing and a pollable) and returns; caller B names every handle number 1..64 as a descriptor,
// an input stream and a listing. In `reset`, `fresh` and the default mode B gets nothing, and the
// handle numbers restart; in `reuse` (state shared on purpose) B reads A's file, which shows the
// probe can see a leak when there is one. Also: host fds stay bounded, guest state and seeded
// random streams restart per instance.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';
import { decodeDraw, decodeProbe } from './handle-probe.mjs';

const SECRET = "alice's medical record";
const dir = mkdtempSync(join(tmpdir(), 'sfirt-isolation-'));
writeFileSync(join(dir, 'alice.txt'), SECRET);
writeFileSync(join(dir, 'listed-only-by-a.txt'), 'x');
const rt = createRuntime({ cacheDir: tempCache() });
const fds = () => readdirSync('/proc/self/fd').length;
const wasi = { preopens: { '/data': dir } };
const MODES = ['reset', 'fresh', undefined]; // undefined: the default mode

const load = (name, pool, extra = {}) => rt.load(name, guest('handle-probe'), { wasi, ...(pool ? { pool } : {}), ...extra, replace: true });

for (const glue of ['fast', 'jco']) {
  for (const mode of MODES) {
    const label = `${glue}/${mode ?? 'default'}`;
    test(`${label}: caller B probes every handle number and gets nothing of caller A's`, async () => {
      const fn = await load(`probe-${label}`, mode ? { mode, max: 1 } : { max: 1 }, { glue });
      assert.is(fn.glue.kind, glue);
      const a = [...await fn.call('leave-open', 'alice.txt')];
      assert.ok(a.every((h) => h > 0), `A got every resource: ${a}`);
      const found = decodeProbe(await fn.call('probe', 64));
      assert.equal(found, [], `B got: ${JSON.stringify(found)}`);
      // The tables restarted: B opening the same things gets the very numbers A got.
      assert.equal([...await fn.call('leave-open', 'alice.txt')], a);
      if (mode !== 'fresh') {
        const inv = await fn.invoke('probe', [64]);
        assert.equal([inv.stats.coldStart, fn.pool.size], [false, 1], 'the same instance was reset, not replaced');
      }
      // A's stream and pollable numbers name nothing any more: the host traps the made-up handle.
      const stream = await rejection(fn.call('read-stream', a[1]));
      assert.is(stream.code, 'TRAP', String(stream));
      const pollable = await rejection(fn.call('ready', a[3]));
      assert.is(pollable.code, 'TRAP', String(pollable));
    });
  }
  test(`${glue}/reuse: the probe does see what a kept instance holds (state shared on purpose)`, async () => {
    const fn = await load(`probe-${glue}-reuse`, { mode: 'reuse', max: 1 }, { glue });
    const a = [...await fn.call('leave-open', 'alice.txt')];
    const found = decodeProbe(await fn.call('probe', 64));
    assert.ok(found.some((f) => f.kind === 'descriptor' && f.handle === a[0] && f.text === SECRET), JSON.stringify(found));
    assert.ok(found.some((f) => f.kind === 'directory-entry-stream' && f.handle === a[2]), 'A\'s listing answers too');
    assert.is(new TextDecoder().decode(await fn.call('read-stream', a[1])), SECRET, 'and A\'s stream');
    assert.is(await fn.call('ready', a[3]), false, 'and A\'s pollable');
    const again = await fn.call('leave-open', 'alice.txt');
    assert.ok(again[0] > a[0], 'handle numbers continue');
  });
}

test('reset: 3,000 calls that each leave a file, a stream and a listing open hold no host fds', async () => {
  const fn = await load('probe-leak', { mode: 'reset', max: 1 });
  await fn.call('leave-open', 'alice.txt'); // warm-up: the first call opens the preopen's root lazily
  const before = fds();
  for (let i = 0; i < 3000; i++) await fn.call('leave-open', 'alice.txt');
  const grown = fds() - before;
  assert.ok(grown <= 64, `fd count grew by ${grown}`);
  assert.is(fn.pool.size, 1, 'one instance served every call (reset, not replaced)');
});

test('openFiles caps what one call can hold; the next call starts from zero again', async () => {
  const fn = await load('probe-cap', { mode: 'reset', max: 1 }, { limits: { openFiles: 3 } });
  // preopen + file + stream = 3: the listing is refused (0); the pollable is not a file.
  const [file, stream, listing, pollable] = [...await fn.call('leave-open', 'alice.txt')];
  assert.ok(file > 0 && stream > 0 && pollable > 0);
  assert.is(listing, 0, 'the fourth filesystem resource is refused');
  assert.equal([...await fn.call('leave-open', 'alice.txt')], [file, stream, listing, pollable], 'reset released them');
});

test('discarded instances release what they held (fresh: 500 callers, fds flat)', async () => {
  const fn = await load('probe-fresh-fds', { mode: 'fresh', min: 0, max: 1 });
  await fn.call('leave-open', 'alice.txt');
  const before = fds();
  for (let i = 0; i < 500; i++) await fn.call('leave-open', 'alice.txt');
  const grown = fds() - before;
  assert.ok(grown <= 16, `fd count grew by ${grown}`);
});

test('the default mode is reset: the second caller never sees the first\'s state', async () => {
  const fn = await rt.load('state-default', guest('state'), { replace: true });
  assert.is(fn.pool.options.mode, 'reset');
  await fn.call('put', 'alice-secret');
  assert.is(await fn.call('get'), '');
  assert.is(await fn.call('incr'), 1);
  assert.is(await fn.call('incr'), 1);
});

for (const mode of ['reset', 'fresh']) {
  test(`deterministic (${mode}): consecutive calls draw the same random bytes and read the same clock`, async () => {
    const fn = await load(`draw-${mode}`, { mode, max: 1 }, { wasi: { ...wasi, deterministic: { seed: 42 } } });
    const first = decodeDraw(await fn.call('draw', 16));
    const second = decodeDraw(await fn.call('draw', 16));
    assert.equal(second, first);
    const other = await load(`draw-${mode}-seed`, { mode, max: 1 }, { wasi: { ...wasi, deterministic: { seed: 43 } } });
    assert.is.not(decodeDraw(await other.call('draw', 16)).random, first.random, 'the seed decides');
  });
}

test('deterministic (reuse): the streams continue across calls', async () => {
  const fn = await load('draw-reuse', { mode: 'reuse', max: 1 }, { wasi: { ...wasi, deterministic: { seed: 42 } } });
  const first = decodeDraw(await fn.call('draw', 16));
  const second = decodeDraw(await fn.call('draw', 16));
  assert.is.not(second.random, first.random);
  assert.ok(second.clock > first.clock);
  const reset = await load('draw-reuse-vs-reset', { mode: 'reset', max: 1 }, { wasi: { ...wasi, deterministic: { seed: 42 } } });
  assert.equal(decodeDraw(await reset.call('draw', 16)), first, 'the first call of any mode starts from the seed');
});

test.after(() => {
  rt.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
