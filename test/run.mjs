#!/usr/bin/env node
// Runs every `test/**/*.test.mjs` (uvu suites) in its own Node process, two at a time, so that
// per-process singletons (onnxruntime-web's engine, V8 flags) never leak between files and a
// crash fails one file instead of the whole run. Prints each file's output, then one summary line
// `N passed, M failed, K skipped` (skipped: uvu's `test.skip`, plus tests that reported a skip at
// run time through helpers.mjs `skippedAtRunTime`). A file still running after
// SFIRT_TEST_TIMEOUT_S seconds (default 600) is killed and fails, so a hang cannot eat CI's time. Usage: node test/run.mjs [filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const filters = process.argv.slice(2);
const timeoutMs = Number(process.env.SFIRT_TEST_TIMEOUT_S ?? 600) * 1000;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.mjs') ? [p] : [];
  });
}

const files = walk(here).sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedFiles = [];

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) out += `\n(killed: still running after ${timeoutMs / 1000} s)`;
      const num = (label) => Number(out.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
      // uvu's Total counts the tests that ran; its Skipped, those registered with `test.skip`.
      const total = num('Total'), skipped = num('Skipped');
      // Tests that found out while running that they cannot run here (helpers.mjs `skippedAtRunTime`).
      const skippedAtRunTime = Math.min(out.match(/^\s*SKIP \(run time\) /gm)?.length ?? 0, num('Passed'));
      const passed = num('Passed') - skippedAtRunTime;
      // uvu prints one summary per run of its queue; two mean a suite was registered after the
      // queue started (a top-level await between suites): its tests ran beside the others and
      // only the first summary would be counted. The file fails until its suites are fixed.
      const summaries = out.match(/^\s*Total:\s+\d+/gm)?.length ?? 0;
      if (summaries > 1) out += `\n(${summaries} uvu summaries: suites ran concurrently; register every suite before any top-level await)`;
      const ok = code === 0 && summaries <= 1;
      totals.passed += passed;
      // A file that registers no test at all, not even a skipped one, counts as one skip.
      totals.skipped += skipped + skippedAtRunTime + (ok && total === 0 && skipped === 0 ? 1 : 0);
      totals.failed += Math.max(total - passed - skippedAtRunTime, ok ? 0 : 1);
      if (!ok) failedFiles.push(relative(root, file));
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      process.stdout.write(`\n=== ${relative(root, file)} (${secs} s, exit ${signal ?? code})\n${out.trimEnd()}\n`);
      resolve();
    });
  });
}

const queue = [...files];
const workers = Array.from({ length: Math.min(2, availableParallelism()) }, async () => {
  while (queue.length) await runFile(queue.shift());
});
await Promise.all(workers);
if (failedFiles.length) console.log(`\nfailed files: ${failedFiles.join(', ')}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedFiles.length || files.length === 0 ? 1 : 0);
