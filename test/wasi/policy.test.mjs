import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';

const text = (b) => new TextDecoder().decode(b);
const rt = createRuntime({ cacheDir: tempCache() });

test('deny by default: no host env, no args, no preopens, /etc/passwd unreachable', async () => {
  process.env.SFIRT_SECRET_FOR_TEST = 'leak';
  const probe = await rt.load('probe', guest('wasi-probe'));
  assert.equal(await probe.call('env'), []);
  assert.equal(await probe.call('args'), []);
  assert.equal(await probe.call('preopens'), []);
  const read = await probe.call('read-file', '/etc/passwd');
  assert.is(read.tag, 'err', JSON.stringify(read));
  const list = await probe.call('list-dir', '/');
  assert.is(list.tag, 'err');
  const write = await probe.call('write-file', '/tmp/sfirt-probe-should-not-exist', 'x');
  assert.is(write.tag, 'err');
  assert.not.ok(existsSync('/tmp/sfirt-probe-should-not-exist'));
});

test('grants: exactly the env vars, args and directories given', async () => {
  const dir = tempCache('sfirt-preopen-');
  writeFileSync(join(dir, 'hello.txt'), 'hi from host');
  mkdirSync(join(dir, 'sub'));
  const probe = await rt.load('probe-granted', guest('wasi-probe'), {
    wasi: { env: { GREETING: 'hej' }, args: ['prog', '--flag'], preopens: { '/data': dir } },
  });
  assert.equal(await probe.call('env'), [['GREETING', 'hej']]);
  assert.equal(await probe.call('args'), ['prog', '--flag']);
  assert.equal(await probe.call('preopens'), ['/data']);
  assert.equal(await probe.call('read-file', '/data/hello.txt'), { tag: 'ok', val: 'hi from host' });
  const list = await probe.call('list-dir', '/data');
  assert.is(list.tag, 'ok');
  assert.equal([...list.val].sort(), ['hello.txt', 'sub']);
  // Escapes stay inside the preopen.
  assert.is((await probe.call('read-file', '/data/../../etc/passwd')).tag, 'err');
  // Read-only by default.
  const w = await probe.call('write-file', '/data/new.txt', 'nope');
  assert.is(w.tag, 'err');
  assert.not.ok(existsSync(join(dir, 'new.txt')));
});

for (const glue of ['jco', 'fast']) {
  test(`wasi-probe on ${glue} glue: read, list, write, escape refused, read-only by default`, async () => {
    const dir = tempCache('sfirt-preopen-glue-');
    writeFileSync(join(dir, 'hello.txt'), 'hi');
    mkdirSync(join(dir, 'sub'));
    const ro = await rt.load(`probe-ro-${glue}`, guest('wasi-probe'), { glue, wasi: { preopens: { '/data': dir } } });
    const rw = await rt.load(`probe-rw-${glue}`, guest('wasi-probe'), { glue, wasi: { preopens: { '/out': { hostPath: dir, readOnly: false } } } });
    assert.is(ro.glue.kind, glue);
    assert.equal(await ro.call('read-file', '/data/hello.txt'), { tag: 'ok', val: 'hi' });
    assert.equal([...(await ro.call('list-dir', '/data')).val].sort(), ['hello.txt', 'sub']);
    assert.equal(await ro.call('read-file', '/data/../../etc/passwd'), { tag: 'err', val: 'not-permitted' });
    assert.equal(await ro.call('write-file', '/data/new.txt', 'x'), { tag: 'err', val: 'read-only' });
    assert.equal(await ro.call('read-file', '/data/sub'), { tag: 'err', val: 'is-directory' });
    assert.equal(await rw.call('write-file', '/out/new.txt', 'written'), { tag: 'ok', val: undefined });
    assert.is(readFileSync(join(dir, 'new.txt'), 'utf8'), 'written');
  });
}

test('read-write preopen lets the guest write', async () => {
  const dir = tempCache('sfirt-preopen-rw-');
  const probe = await rt.load('probe-rw', guest('wasi-probe'), {
    wasi: { preopens: { '/out': { hostPath: dir, readOnly: false } } },
  });
  const w = await probe.call('write-file', '/out/result.txt', 'written by guest');
  assert.is(w.tag, 'ok', JSON.stringify(w));
  assert.is(readFileSync(join(dir, 'result.txt'), 'utf8'), 'written by guest');
});

test('stdout/stderr are captured per call, and concurrent calls do not mix', async () => {
  const probe = await rt.load('probe-io', guest('wasi-probe'));
  const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => probe.invoke('print', [`out-${i}`, `err-${i}`])));
  calls.forEach((inv, i) => {
    assert.is(text(inv.stdout), `out-${i}`);
    assert.is(text(inv.stderr), `err-${i}`);
  });
});

test('stdout discard and capture limit', async () => {
  const probe = await rt.load('probe-discard', guest('wasi-probe'), { wasi: { stdout: 'discard' } });
  const inv = await probe.invoke('print', ['dropped', 'kept']);
  assert.is(inv.stdout.byteLength, 0);
  assert.is(text(inv.stderr), 'kept');
  const limited = await rt.load('probe-limit', guest('wasi-probe'), { captureLimitBytes: 4 });
  const big = await limited.invoke('print', ['123456789', '']);
  assert.is(text(big.stdout), '1234');
  assert.ok(big.truncated);
});

test('clocks and random are real by default, reproducible when deterministic', async () => {
  const real = await rt.load('probe-real', guest('wasi-probe'));
  const wall = Number((await real.call('wall-clock')) / 1_000_000n);
  assert.ok(Math.abs(wall - Date.now()) < 60_000, `wall clock ${wall}`);
  const r1 = await real.call('random', 32);
  const r2 = await real.call('random', 32);
  assert.is(r1.byteLength, 32);
  assert.not.equal([...r1], [...r2]);

  const det = { deterministic: { seed: 42 } };
  const a = await rt.load('probe-det-a', guest('wasi-probe'), { wasi: det });
  const b = await rt.load('probe-det-b', guest('wasi-probe'), { wasi: det });
  assert.equal([...(await a.call('random', 16))], [...(await b.call('random', 16))]);
  assert.is(await a.call('wall-clock'), await b.call('wall-clock'));
  // Per instance: every call of the default mode (reset) starts the streams from the seed again...
  assert.is(await a.call('monotonic'), await a.call('monotonic'));
  assert.equal([...(await a.call('random', 16))], [...(await b.call('random', 16))]);
  // ...and `reuse` continues them.
  const kept = await rt.load('probe-det-reuse', guest('wasi-probe'), { wasi: det, pool: { mode: 'reuse' } });
  const m1 = await kept.call('monotonic');
  const m2 = await kept.call('monotonic');
  assert.ok(m2 > m1);
});

test.run();
