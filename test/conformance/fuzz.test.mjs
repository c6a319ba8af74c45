// The quick run of the differential fuzzer (test/conformance/fuzz.mjs): at least 10,000 calls, each
// through plain jco and our runtime with both glues, seeded (SFIRT_FUZZ_SEED to vary it;
// SFIRT_FUZZ_CALLS to run more). `npm run fuzz` is the long run. A divergence fails with its
// shrunk WIT and value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatReport, runFuzz } from './fuzz.mjs';

test('differential fuzz: plain jco and our runtime (both glues, limits on) answer alike', async () => {
  const seed = Number(process.env.SFIRT_FUZZ_SEED ?? 20261202);
  const calls = Number(process.env.SFIRT_FUZZ_CALLS ?? 10_000);
  const res = await runFuzz({ seed, calls });
  console.log(`conformance fuzz: seed ${seed}, ${res.checks} calls over ${res.components} components in ${(res.ms / 1000).toFixed(1)} s, ${res.divergences.length} divergences`);
  console.log(`covered: ${res.coverage}`);
  assert.equal(res.divergences.length, 0, res.divergences.map(formatReport).join('\n\n'));
  assert.ok(res.checks >= calls, `only ${res.checks} calls`);
});

test.run();
