// Shared by the runtime tests: where the built guests and ../shared live, and a throwaway cache.
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

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
