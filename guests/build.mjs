#!/usr/bin/env node
// Builds every guest directory under guests/ into a component, guests/dist/<name>.wasm.
//   <dir>/world.wit + <dir>/index.ts  → AssemblyScript guest (asc → core module → component)
//   <dir>/component.wat               → WAT guest (jco parse)
// Incremental: a guest is rebuilt only when the hash of its inputs (its files; guests/_lib and
// guests/_wit for AssemblyScript guests; the build scripts; toolchain versions) differs from the one
// recorded in guests/dist/.hashes.json.
// See guests/README.md for the conventions. Usage: node guests/build.mjs [--force] [name ...]
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { composeWit } from './_build/wit-source.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const HASHES_FILE = '.hashes.json';

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** Hashes file paths (relative to `base`) and contents, so renames and edits both count. */
function hashFiles(hash, files, base) {
  for (const file of files) {
    hash.update(relative(base, file)).update('\0').update(readFileSync(file)).update('\0');
  }
}

function packageVersion(name) {
  // Walks up from the package's entry point: jco's `exports` map hides its package.json.
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  while (dir !== dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** What every guest depends on besides its own files: the build scripts and the toolchain. */
function toolchainHash() {
  const hash = createHash('sha256');
  hash.update(`asc ${packageVersion('assemblyscript')} jco-transpile ${packageVersion('@bytecodealliance/jco-transpile')}\0`);
  const pipeline = join(here, '..', 'dist', 'guest');
  hashFiles(hash, [fileURLToPath(import.meta.url), ...listFiles(join(here, '_build')), ...listFiles(pipeline).filter((f) => f.endsWith('.js'))], dirname(here));
  return hash.digest('hex');
}

/** Guest directories under `sourceDir`: not `dist`, not `_*` (shared code), not hidden. */
function discoverGuests(sourceDir, log) {
  const guests = [];
  for (const entry of readdirSync(sourceDir, { withFileTypes: true })) {
    const { name } = entry;
    if (!entry.isDirectory() || name === 'dist' || name === 'node_modules' || name.startsWith('_') || name.startsWith('.')) continue;
    const dir = join(sourceDir, name);
    if (existsSync(join(dir, 'component.wat'))) guests.push({ name, dir, kind: 'wat' });
    else if (existsSync(join(dir, 'world.wit')) && existsSync(join(dir, 'index.ts'))) guests.push({ name, dir, kind: 'as' });
    else if (existsSync(join(dir, 'world.wit'))) guests.push({ name, dir, kind: 'invalid', problem: 'world.wit without index.ts' });
    else log(`guests: skipping ${name}/ (no world.wit + index.ts, no component.wat)`);
  }
  return guests.sort((a, b) => a.name.localeCompare(b.name));
}

function guestHash(guest, base, sharedFiles, sourceDir) {
  const hash = createHash('sha256').update(base).update(`${guest.kind} ${guest.name}\0`);
  hashFiles(hash, listFiles(guest.dir), sourceDir);
  if (guest.kind === 'as') hashFiles(hash, sharedFiles, sourceDir);
  return hash.digest('hex');
}

/** The guest's world.wit followed by the shared WIT packages it does not define itself. */
function witSource(guest, witFiles) {
  return composeWit(readFileSync(join(guest.dir, 'world.wit'), 'utf8'), witFiles.map((f) => readFileSync(f, 'utf8')));
}

function readHashes(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

/** Writes via a temporary file and a rename, so a concurrent reader never sees half a file. */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * Builds the given guests; resolves to Map<name, { bytes?, error?, ms }> where `ms` is the time
 * spent on that guest (its asc compile, in a worker, plus its component steps).
 */
async function buildAll(guests, witFiles) {
  const { componentFromCore, componentFromWat } = await import('./_build/component.mjs');
  const asGuests = guests.filter((g) => g.kind === 'as');
  let cores = new Map();
  if (asGuests.length) {
    const { compileAllAssemblyScript } = await import('./_build/asc-workers.mjs');
    cores = await compileAllAssemblyScript(asGuests.map((g) => join(g.dir, 'index.ts')));
  }
  const results = new Map();
  for (const guest of guests) {
    const start = performance.now();
    const compiled = cores.get(join(guest.dir, 'index.ts'));
    const ms = () => performance.now() - start + (compiled?.ms ?? 0);
    try {
      if (guest.kind === 'invalid') throw new Error(guest.problem);
      let bytes;
      if (guest.kind === 'wat') bytes = await componentFromWat(readFileSync(join(guest.dir, 'component.wat'), 'utf8'));
      else if (compiled.error) throw compiled.error;
      else bytes = await componentFromCore(compiled.core, witSource(guest, witFiles), guest.name);
      results.set(guest.name, { bytes, ms: ms() });
    } catch (error) {
      if (process.env.SFIRT_DEBUG_GUESTS) console.error(error);
      results.set(guest.name, { error, ms: ms() });
    }
  }
  return results;
}

/**
 * Builds every guest whose inputs changed (all of them with `force`) into `<outDir>/<name>.wasm`,
 * printing one line per built guest to stderr: its size and the time spent on it (AssemblyScript
 * guests compile two at a time in worker threads; the first compile in each thread includes
 * loading asc). Resolves to `{ built, upToDate }` (guest names). When a guest fails, the others are
 * still built and recorded, then it rejects naming every failure; a failed guest's hash is not
 * recorded, so the next run retries it. Rejects at once if `only` names a guest that does not exist.
 * @param {{ force?: boolean, only?: string[], sourceDir?: string, outDir?: string, log?: (line: string) => void }} [options]
 *   `only`: build just these guest names; `sourceDir`/`outDir` default to guests/ and guests/dist/;
 *   `log` receives the progress lines (default: console.error).
 * @returns {Promise<{ built: string[], upToDate: string[] }>}
 */
export async function buildGuests({ force = false, only, sourceDir = here, outDir = join(sourceDir, 'dist'), log = console.error } = {}) {
  const t0 = performance.now();
  const base = toolchainHash();
  const dirFiles = (name) => (existsSync(join(sourceDir, name)) ? listFiles(join(sourceDir, name)) : []);
  const witFiles = dirFiles('_wit').filter((f) => f.endsWith('.wit'));
  // The kit in assembly/ is what guests/_lib re-exports.
  const kitFiles = listFiles(join(here, '..', 'assembly'));
  const sharedFiles = [...dirFiles('_lib'), ...witFiles, ...kitFiles];
  const all = discoverGuests(sourceDir, log);
  const unknown = (only ?? []).filter((name) => !all.some((g) => g.name === name));
  if (unknown.length) throw new Error(`no such guest: ${unknown.join(', ')} (have: ${all.map((g) => g.name).join(', ')})`);
  const guests = all.filter((g) => !only?.length || only.includes(g.name));
  const hashesFile = join(outDir, HASHES_FILE);
  const recorded = readHashes(hashesFile);
  const stale = [];
  const upToDate = [];
  for (const guest of guests) {
    guest.hash = guestHash(guest, base, sharedFiles, sourceDir);
    guest.out = join(outDir, `${guest.name}.wasm`);
    if (!force && recorded[guest.name] === guest.hash && existsSync(guest.out)) upToDate.push(guest.name);
    else stale.push(guest);
  }
  const built = [];
  const failures = [];
  if (stale.length) {
    mkdirSync(outDir, { recursive: true });
    const results = await buildAll(stale, witFiles);
    const hashes = {};
    for (const guest of stale) {
      const { bytes, error, ms } = results.get(guest.name);
      if (error) {
        failures.push(`guest ${guest.name}: ${error.message}`);
        continue;
      }
      writeAtomic(guest.out, bytes);
      hashes[guest.name] = guest.hash;
      built.push(guest.name);
      log(`built guest ${guest.name.padEnd(16)} ${(bytes.length / 1024).toFixed(1).padStart(6)} KiB ${ms.toFixed(0).padStart(6)} ms`);
    }
    // Re-read before writing: another process may have recorded other guests meanwhile.
    writeAtomic(hashesFile, JSON.stringify({ ...readHashes(hashesFile), ...hashes }, null, 2) + '\n');
  }
  const ms = (performance.now() - t0).toFixed(0);
  log(`guests: ${built.length} built, ${upToDate.length} up to date, ${failures.length} failed (${ms} ms)`);
  if (failures.length) throw new Error(`guest build failed:\n${failures.join('\n')}`);
  return { built, upToDate };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  try {
    await buildGuests({ force: args.includes('--force'), only: args.filter((a) => !a.startsWith('--')) });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
