// Runs the WebAssembly core spec suite (../shared/wasm-spec) with every module passed through the
// instrumenter (memory capped, metering on; see fixtures/spec-transform.mjs) and requires 0 new failures.
// "New" is relative to this Node's own V8 run without the transform: the suite dates from 2022, and
// newer V8s accept modules it calls invalid (multi-memory, extended constant expressions, ...).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { testUnless } from '../helpers.mjs';
import { MULTI_MEMORY } from '../../dist/instrument/dirty-pages.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const specDir = join(root, '..', 'shared', 'wasm-spec');
const transform = fileURLToPath(new URL('./fixtures/spec-transform.mjs', import.meta.url));

// Without ../shared both tests are registered as skipped, so a missing suite can never pass.
if (!existsSync(join(specDir, 'run-spec.mjs'))) {
  for (const fuel of ['imported', 'own', 'own+dirty']) testUnless(`${specDir} not found; the spec suite lives in ../shared/wasm-spec`)(`spec suite passes through the instrumenter with no new failures (${fuel} fuel global)`);
} else {
let baseline;
/** The assertions this Node fails without any transform (computed once per file). */
function baselineFailures() {
  if (!baseline) {
    const r = spawnSync(process.execPath, [join(specDir, 'run-spec.mjs'), '--known', join(specDir, 'KNOWN-FAILURES.txt')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    baseline = new Set(r.stdout.split('\n').filter((l) => /^\s{2}\S+:\d+ /.test(l)).map((l) => l.trim()));
    console.log(`  spec suite without transform on Node ${process.versions.node}: ${r.stdout.trim().split('\n').at(-1)}`);
  }
  return baseline;
}
// `own+dirty`: a `reset` pool's build (own fuel global, state exports, dirty-page tracking), where
// the engine has multi-memory.
const VARIANTS = ['imported', 'own', 'own+dirty'];
const canRun = (fuel) => (fuel.endsWith('+dirty') && !MULTI_MEMORY ? `no multi-memory on Node ${process.versions.node}: no dirty-page tracking` : undefined);
for (const fuel of VARIANTS) testUnless(canRun(fuel))(`spec suite passes through the instrumenter with no new failures (${fuel} fuel global)`, () => {
  const env = { ...process.env, SFIRT_SPEC_FUEL: fuel.replace('+dirty', ''), SFIRT_SPEC_DIRTY: fuel.endsWith('+dirty') ? '1' : '0' };
  const r = spawnSync(process.execPath, [join(specDir, 'run-spec.mjs'), '--transform', transform, '--known', join(specDir, 'KNOWN-FAILURES.txt')], { encoding: 'utf8', maxBuffer: 64 << 20, env });
  const lines = r.stdout.trim().split('\n');
  const summary = lines.at(-1) ?? '';
  console.log(`  spec suite (instrumented, ${fuel} fuel global): ${summary}`);
  const m = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(summary);
  assert.ok(m, `unexpected runner output:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  const failures = lines.filter((l) => /^\s{2}\S+:\d+ /.test(l));
  const known = failures.length ? baselineFailures() : new Set();
  const newFailures = failures.filter((l) => !known.has(l.trim()));
  assert.equal(newFailures, [], 'failures neither in KNOWN-FAILURES.txt nor failed by this V8 without the transform');
  assert.ok(Number(m[1]) > 50_000, 'the suite really ran');
});
}

test.run();
