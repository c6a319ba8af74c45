/**
 * A hash of the rewriter's own code, so a rewritten core module kept in the precompile cache is used
 * only by the very code that wrote it. A version number would have to be bumped by hand on every
 * change to `lib/instrument/`, and a forgotten bump would hand a guest an old rewrite (one that a
 * later fix to metering closed). Read once per process: the ~25 compiled files of this folder
 * and the module that chains them (~1 ms). Undefined when they cannot be read (a bundled build): such a build does not cache rewrites.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { hash as oneShotHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const NUL = Buffer.from('\0');
const hashes = new Map<string, string | undefined>();

/**
 * SHA-256 (hex) over the names and bytes of every `.js` file beside this one and of `composer`
 * (the module that chains the rewrites: its order matters as much as theirs), or undefined.
 */
export function rewriterCodeHash(composer: string): string | undefined {
  if (hashes.has(composer)) return hashes.get(composer);
  let hash: string | undefined;
  try {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    // One buffer, one hash call: the same bytes a streaming hash would take in ~70 updates.
    const parts: Uint8Array[] = [];
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) parts.push(Buffer.from(`${name}\0`), readFileSync(dir + name), NUL);
    parts.push(readFileSync(fileURLToPath(composer)));
    hash = oneShotHash('sha256', Buffer.concat(parts), 'hex');
  } catch {
    hash = undefined;
  }
  hashes.set(composer, hash);
  return hash;
}
