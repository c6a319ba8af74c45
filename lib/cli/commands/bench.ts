/** `sfirt bench <suite>`: runs one of the shipped benchmark suites (bench/run.mjs). */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../guest/wit-source.js';
import type { Command } from '../main.js';
import { flag, parse, str } from '../usage.js';

export const command: Command = {
  summary: 'run a benchmark suite (instantiate, limits, nn, http, wasi, isolation)',
  help: `Usage: sfirt bench <suite> [--quick] [--json] [--out dir]

Runs a benchmark suite of the installed sfirt on this machine: instantiate, limits, nn, http, wasi
or isolation. Every ratio is measured side by side in one run. Results (JSON, and charts for some
suites) are written to --out (default ./sfirt-bench/), never into the package.
Some suites compare against other engines and need their packages: nn and isolation need
onnxruntime-web and onnxruntime-node; instantiate, limits and wasi need @bytecodealliance/jco.

Options:
  --quick        a short run
  --json         also print the metrics as one JSON line
  --out <dir>    where results go (default ./sfirt-bench)`,
  async run(argv) {
    const p = parse(argv, { quick: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' } }, { min: 1, max: 1 });
    const args = [join(PACKAGE_ROOT, 'bench', 'run.mjs'), p.positionals[0]!, '--out', resolve(str(p, 'out') ?? 'sfirt-bench')];
    if (flag(p, 'quick')) args.push('--quick');
    if (flag(p, 'json')) args.push('--json');
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    return new Promise((done) => child.on('close', (code) => done(code ?? 1)));
  },
};
