// Shared by the precompile-cache tests: run loads in a new process, find and edit cache entries.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { root } from '../helpers.mjs';

const child = join(root, 'test', 'component', 'cache-child.mjs');

/**
 * Loads each spec in one new Node process (see cache-child.mjs) and resolves to its results.
 * `options`: `uid`/`gid` to run as another user, `env`, `execArgv` (Node flags).
 */
export function loadInChild(specs, { uid, gid, env = process.env, execArgv = [] } = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...execArgv, child, JSON.stringify(specs)], { uid, gid, env, encoding: 'utf8', maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`cache child failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)).results);
    });
  });
}

/** The component entry directories of a cache (not rewritten core modules, nor staging/set-aside leftovers). */
export function entries(cacheDir) {
  return readdirSync(cacheDir).filter((n) => !n.startsWith('.') && !n.startsWith('r')).map((n) => join(cacheDir, n));
}

/** The entries holding a rewritten (limits-instrumented) core module: `r` + hex (lib/component/loader.ts). */
export function rewrites(cacheDir) {
  return readdirSync(cacheDir).filter((n) => n.startsWith('r')).map((n) => join(cacheDir, n));
}

/** Names in a cache directory left by writers (staging or set-aside directories). */
export function leftovers(cacheDir) {
  return readdirSync(cacheDir).filter((n) => n.startsWith('.'));
}

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Reads an entry's manifest body (after the checksum line). */
export function readManifest(entry) {
  const text = readFileSync(join(entry, 'manifest.json'), 'utf8');
  return JSON.parse(text.slice(text.indexOf('\n') + 1));
}

/** Rewrites an entry's manifest with a valid checksum, as only someone running as this user could. */
export function writeManifest(entry, body) {
  const json = JSON.stringify(body);
  writeFileSync(join(entry, 'manifest.json'), `${sha256(json)}\n${json}`);
}
