// Shared by the runtime tests: where the built guests and ../shared live, and a throwaway cache.
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as uvuTest } from 'uvu';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** `../shared` (wasm spec suite, third-party components); `SFIRT_SHARED_DIR` overrides it (worktrees). */
export const sharedDir = process.env.SFIRT_SHARED_DIR ?? join(root, '..', 'shared');
export const hasShared = existsSync(join(sharedDir, 'components'));

/** Path of a built guest component. */
export function guest(name) {
  return join(root, 'guests', 'dist', `${name}.wasm`);
}

/** A fresh cache directory, so a test sees its own cold/warm transpiles. */
export function tempCache(prefix = 'sfirt-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Resolves to the error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/**
 * `t` (uvu's `test` by default), or — when `missing` says what is absent — a stand-in with the same
 * call shape that registers each test with uvu's own skip (counted under "Skipped", by uvu and by
 * test/run.mjs, never as a pass) and prints why.
 */
export function testUnless(missing, t = uvuTest) {
  if (!missing) return t;
  return (name) => {
    console.log(`  SKIP ${name}: ${missing}`);
    t.skip(name);
  };
}

/**
 * For a condition only a running test can discover (e.g. a trace this Node does not print): prints
 * a line test/run.mjs counts, moving the test from passed to skipped. Call it right before the
 * test returns without asserting anything.
 */
export function skippedAtRunTime(name, reason) {
  console.log(`  SKIP (run time) ${name}: ${reason}`);
}
