#!/usr/bin/env node
// `npm run bench -- <suite> [--quick] [--json] [--out dir]` (or `sfirt bench`): runs one benchmark
// suite (bench/<suite>.mjs, exporting `run({ quick, log, outDir })` → { metrics, table?, notes? }).
// Prints a readable table; with --json the last stdout line is {"suite","metrics","env"}. Results
// are saved under --out (default ./sfirt-bench/ of the current directory, never inside the package:
// an installed package must not write into node_modules, and a checkout's bench/results/ is
// tracked; pass `--out bench/results` to update those).
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const suites = readdirSync(here).filter((f) => f.endsWith('.mjs') && !['run.mjs', 'demo.mjs', 'limits-rewrite.mjs'].includes(f)).map((f) => f.slice(0, -4));
const outAt = args.indexOf('--out');
const outDir = resolve(outAt >= 0 && args[outAt + 1] ? args[outAt + 1] : 'sfirt-bench');
const suite = args.find((a, i) => !a.startsWith('--') && (outAt < 0 || i !== outAt + 1));
if (!suite || !suites.includes(suite)) {
  console.error(`usage: npm run bench -- <suite> [--quick] [--json] [--out dir]\nsuites: ${suites.join(', ')}`);
  process.exit(2);
}

const env = {
  node: process.version, v8: process.versions.v8, platform: `${process.platform} ${release()}`,
  cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), quick,
  date: new Date().toISOString(),
};
let mod;
try {
  mod = await import(pathToFileURL(join(here, `${suite}.mjs`)).href);
} catch (err) {
  const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package '([^']+)'/.exec(err.message)?.[1];
  if (!missing) throw err;
  console.error(`the ${suite} suite compares against ${missing}, which is not installed: npm install --save-dev ${missing}`);
  process.exit(1);
}
const out = await mod.run({ quick, log: (msg) => process.stderr.write(`${msg}\n`), outDir });
const record = { suite, metrics: out.metrics, env };
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${suite}${quick ? '-quick' : ''}.json`), `${JSON.stringify({ ...record, details: out.details }, null, 2)}\n`);
process.stderr.write(`results: ${outDir}\n`);
if (out.table) console.log(out.table);
console.log('\nmetric'.padEnd(40) + 'value');
for (const [k, v] of Object.entries(out.metrics)) console.log(`${k.padEnd(39)} ${typeof v === 'number' ? +v.toPrecision(4) : v}`);
for (const note of out.notes ?? []) console.log(`note: ${note}`);
if (json) console.log(JSON.stringify(record));
