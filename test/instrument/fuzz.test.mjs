// Differential fuzzing (≤ 50 s): random modules from binaryen's `wasm-opt -ttf`, original vs
// instrumented (see test/instrument/fuzz.mjs for what is compared). `node test/instrument/fuzz.mjs 10000` is the long run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { fuzz, WASM_OPT } from './fuzz.mjs';
import { testUnless } from '../helpers.mjs';

testUnless(existsSync(WASM_OPT) ? undefined : `${WASM_OPT} not found; apt-get install binaryen`)('instrumented modules behave like the originals (differential fuzzing)', () => {
  const seed = Number(process.env.SFIRT_FUZZ_SEED ?? 1);
  // Same seeds every run; stops after 200 modules or the time budget (~150 modules/min on an idle 2-core box).
  const stats = fuzz({ count: 200, seed, budgetMs: Number(process.env.SFIRT_FUZZ_MS ?? 50_000) });
  console.log(`  fuzz: ${stats.checked} modules from seed ${seed}, ${stats.calls} little-fuel calls (${stats.fuelStops} FUEL_EXHAUSTED), ${stats.divergences.length} divergences`);
  assert.ok(stats.checked >= 10, `only ${stats.checked} modules checked`);
  assert.ok(stats.fuelStops > 0, 'the little-fuel runs must hit the limit sometimes');
  assert.equal(stats.divergences, []);
});

test.run();
