// Runs the WebAssembly core spec suite (../shared/wasm-spec) with every module passed through the
// instrumenter (memory capped, metering on; see fixtures/spec-transform.mjs) and requires 0 new failures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const specDir = join(root, '..', 'shared', 'wasm-spec');
const transform = fileURLToPath(new URL('./fixtures/spec-transform.mjs', import.meta.url));

// Without ../shared no test is registered (the runner counts the file as skipped), so a missing
// suite can never pass for a real run.
if (!existsSync(join(specDir, 'run-spec.mjs'))) {
  console.log(`  SKIP: ${specDir} not found; the spec suite lives in ../shared/wasm-spec`);
} else for (const fuel of ['imported', 'own']) test(`spec suite passes through the instrumenter with no new failures (${fuel} fuel global)`, () => {
  const r = spawnSync(process.execPath, [join(specDir, 'run-spec.mjs'), '--transform', transform, '--known', join(specDir, 'KNOWN-FAILURES.txt')], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, SFIRT_SPEC_FUEL: fuel } });
  const lines = r.stdout.trim().split('\n');
  const summary = lines.at(-1) ?? '';
  console.log(`  spec suite (instrumented, ${fuel} fuel global): ${summary}`);
  const m = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(summary);
  assert.ok(m, `unexpected runner output:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  const newFailures = lines.filter((l) => /^\s{2}\S+:\d+ /.test(l));
  assert.equal(newFailures, [], 'failures not in KNOWN-FAILURES.txt');
  assert.is(r.status, 0, r.stdout.slice(-3000));
  assert.ok(Number(m[1]) > 50_000, 'the suite really ran');
});

test.run();
