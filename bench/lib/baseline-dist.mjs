// The library of another commit, built into a temporary directory, so a suite can time it side by
// side with this checkout's (SFIRT_BASELINE_REF=<commit or branch>; e.g. the commit before a
// change, to check it did not slow loads down). Only a git checkout can do this.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const checkout = fileURLToPath(new URL('../../', import.meta.url));

/** Builds `ref`'s lib (no types, no guests); resolves to `{ dist, ref, cleanup }`. */
export function buildBaselineDist(ref, log) {
  const commit = execFileSync('git', ['-C', checkout, 'rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-baseline-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    log(`baseline: building ${ref} (${commit.slice(0, 10)}) in ${dir}…`);
    const tar = spawnSync('git', ['-C', checkout, 'archive', '--format=tar', commit], { maxBuffer: 1 << 30 });
    if (tar.status !== 0) throw new Error(`git archive ${ref}: ${tar.stderr}`);
    execFileSync('tar', ['-x', '-C', dir], { input: tar.stdout });
    // The same dependencies as this checkout: only the library's own code differs.
    symlinkSync(realpathSync(join(checkout, 'node_modules')), join(dir, 'node_modules'));
    execFileSync(process.execPath, ['build.mjs', '--lib-only', '--no-types'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    return { dist: join(dir, 'dist'), ref: `${ref} (${commit.slice(0, 10)})`, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
