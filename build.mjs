#!/usr/bin/env node
// Builds the library (esbuild per file → dist/*.js, tsc → dist/*.d.ts) and every guest under
// guests/ into a component (guests/build.mjs). `--if-needed` skips the library when dist/ is newer
// than every source; the guest build is always incremental (content hashes).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const ifNeeded = process.argv.includes('--if-needed');
const noTypes = process.argv.includes('--no-types');
const only = process.argv.includes('--lib-only') ? 'lib' : process.argv.includes('--guests-only') ? 'guests' : 'all';

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

async function buildLib() {
  const sources = walk(join(root, 'lib')).filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'));
  const stamp = join(root, 'dist', '.stamp');
  // Plain files shipped as they are (the CommonJS entry).
  const copies = walk(join(root, 'lib')).filter((p) => p.endsWith('.cjs'));
  const inputs = [...sources, ...copies, join(root, 'tsconfig.json'), join(root, 'build.mjs')];
  if (ifNeeded && existsSync(stamp)) {
    const built = statSync(stamp).mtimeMs;
    if (inputs.every((p) => statSync(p).mtimeMs <= built)) return false;
  }
  const t0 = performance.now();
  await build({
    entryPoints: sources,
    outdir: join(root, 'dist'),
    outbase: join(root, 'lib'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const file of copies) {
    const to = join(root, 'dist', file.slice(join(root, 'lib').length + 1));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(file, to);
  }
  if (!noTypes) execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (!noTypes) writeFileSync(stamp, new Date().toISOString());
  console.error(`built lib (${sources.length} files) in ${(performance.now() - t0).toFixed(0)} ms`);
  return true;
}

if (only !== 'guests') await buildLib();
if (only !== 'lib') {
  const { buildGuests } = await import('./guests/build.mjs');
  await buildGuests({ force: !ifNeeded && process.argv.includes('--force') });
}
