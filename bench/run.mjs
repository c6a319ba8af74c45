#!/usr/bin/env node
// `npm run bench -- <suite> [--quick] [--json]`: runs one benchmark suite (bench/<suite>.mjs,
// exporting `run({ quick })` → { metrics, table?, notes? }). Prints a readable table; with
// --json the last stdout line is {"suite","metrics","env"}. Results are also saved under
// bench/results/<suite>.json.
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const suites = readdirSync(here).filter((f) => f.endsWith('.mjs') && !['run.mjs', 'demo.mjs', 'limits-rewrite.mjs'].includes(f)).map((f) => f.slice(0, -4));
const suite = args.find((a) => !a.startsWith('--'));
if (!suite || !suites.includes(suite)) {
  console.error(`usage: npm run bench -- <suite> [--quick] [--json]\nsuites: ${suites.join(', ')}`);
  process.exit(2);
}

const env = {
  node: process.version, v8: process.versions.v8, platform: `${process.platform} ${release()}`,
  cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), quick,
  date: new Date().toISOString(),
};
const mod = await import(pathToFileURL(join(here, `${suite}.mjs`)).href);
const out = await mod.run({ quick, log: (msg) => process.stderr.write(`${msg}\n`) });
const record = { suite, metrics: out.metrics, env };
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', `${suite}${quick ? '-quick' : ''}.json`), `${JSON.stringify({ ...record, details: out.details }, null, 2)}\n`);
if (out.table) console.log(out.table);
console.log('\nmetric'.padEnd(40) + 'value');
for (const [k, v] of Object.entries(out.metrics)) console.log(`${k.padEnd(39)} ${typeof v === 'number' ? +v.toPrecision(4) : v}`);
for (const note of out.notes ?? []) console.log(`note: ${note}`);
if (json) console.log(JSON.stringify(record));
