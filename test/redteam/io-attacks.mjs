// Red team probe: wasi:io, clocks and random through the hostile io-ops guest. Each attack prints
// what happened (result, error code and message, host time, host heap growth).
// Usage: node test/redteam/io-attacks.mjs [attack ...]   (default: all)
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';
import { Program, ref, run } from '../wasi/io-ops.mjs';

const MiB = 1024 * 1024;
const rt = createRuntime({ cacheDir: tempCache() });
const fn = await rt.load('io', guest('io-ops'), { limits: { timeoutMs: 200, memoryBytes: 16 * MiB }, wasi: { stdin: 'hello' } });
const attacks = {
  // stdout.write-zeroes(n) allocated n bytes on the host before capture cut them.
  'stdout-write-zeroes-1GiB': (p) => p.writeZeroes(ref(p.stdout()), 2 ** 30),
  'stdout-write-zeroes-2^60': (p) => p.writeZeroes(ref(p.stdout()), 2n ** 60n),
  // Made-up handles (never received) for each resource kind.
  'made-up-input-stream': (p) => p.read(4242, 10),
  'made-up-output-stream': (p) => p.write(4242, 'x'),
  'made-up-pollable-ready': (p) => p.ready(4242),
  'made-up-pollable-poll': (p) => p.poll([4242]),
  'made-up-splice-source': (p) => p.splice(ref(p.stdout()), 4242, 10),
  'poll-empty-list': (p) => p.poll([]),
  // A pollable for a far future blocks the thread past the call's deadline.
  'subscribe-duration-10s-block': (p) => p.block(ref(p.subscribeDuration(10_000_000_000n))),
  'subscribe-duration-10s-poll': (p) => p.poll([ref(p.subscribeDuration(10_000_000_000n))]),
  // Random bytes beyond what the guest's memory can hold.
  'random-1GiB': (p) => p.random(2 ** 30),
  'random-2^40': (p) => p.random(2 ** 40),
  'insecure-random-1GiB': (p) => p.insecureRandom(2 ** 30),
};
const wanted = process.argv.slice(2);
for (const [name, build] of Object.entries(attacks)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const p = new Program();
  build(p);
  const heap0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let outcome;
  try {
    outcome = JSON.stringify((await run(fn, p)).at(-1), (k, v) => (typeof v === 'bigint' ? String(v) : v));
  } catch (err) {
    outcome = `${err.code}${err.trapKind ? `/${err.trapKind}` : ''}: ${String(err.message).slice(0, 140)}`;
  }
  const ms = Math.round(performance.now() - t0);
  console.log(JSON.stringify({ attack: name, ms, rssGrowthMiB: Math.round((process.memoryUsage().rss - heap0) / MiB), outcome }));
}
rt.close();
