/** `sfirt call <component> <export> [args…]`: one call under limits, result as JSON. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeComponent } from '../../component/describe.js';
import { createRuntime } from '../../runtime.js';
import { UnknownExportError } from '../../errors.js';
import type { Limits } from '../../invoke/limits.js';
import type { Command } from '../main.js';
import { EXIT_CODES } from '../exit-codes.js';
import { bytesOption, flag, intOption, pairs, parse, str, strs, UsageError } from '../usage.js';
import { fromJson, parseArgument, toJson } from '../values.js';

const exitTable = Object.entries(EXIT_CODES).filter(([, n]) => n > 1).map(([c, n]) => `${n} ${c}`).join(', ');

export const command: Command = {
  summary: 'call an export once, under limits, and print the result as JSON',
  help: `Usage: sfirt call <component.wasm> <export> [args...] [options]

Arguments are JSON (a word that is not JSON is a string): sfirt call hello.wasm greet '"world"'.
They are shaped by the export's WIT types: u64 from a number or a digit string, list<u8> from an
array or a string (UTF-8), records from objects. The result is printed as JSON on stdout (u64 as
an exact number, lists as arrays); the guest's stdout and stderr go to stderr.

Options:
  --fuel <n>          fuel for the call (≈ wasm instructions): FUEL_EXHAUSTED beyond it
  --memory <bytes>    memory cap, e.g. 16m (default 256m)
  --timeout <ms>      deadline (default 10000)
  --dir <guest=host>  preopen a host directory read-only (repeatable); guest=host:rw for read-write
  --env <NAME=value>  environment variable the guest sees (repeatable; none by default)
  --model <name=file> a wasi:nn model the guest can load by name (repeatable)
  --stats             print the call's stats (cold start, run time, fuel used) to stderr

Exit status: 0 ok, 1 failure, 2 usage; by error code: ${exitTable}.`,
  async run(argv) {
    const p = parse(argv, {
      fuel: { type: 'string' }, memory: { type: 'string' }, timeout: { type: 'string' },
      dir: { type: 'string', multiple: true }, env: { type: 'string', multiple: true },
      model: { type: 'string', multiple: true }, stats: { type: 'boolean' },
    }, { min: 2, max: Infinity });
    const [path, exportName, ...rawArgs] = p.positionals as [string, string, ...string[]];
    const limits: Limits = {};
    const fuel = intOption('fuel', str(p, 'fuel'));
    const memoryBytes = bytesOption('memory', str(p, 'memory'));
    const timeoutMs = intOption('timeout', str(p, 'timeout'));
    if (fuel !== undefined) limits.fuel = fuel;
    if (memoryBytes !== undefined) limits.memoryBytes = memoryBytes;
    if (timeoutMs !== undefined) limits.timeoutMs = timeoutMs;
    const preopens = Object.fromEntries(Object.entries(pairs('dir', strs(p, 'dir'))).map(([guest, host]) => {
      const rw = host.endsWith(':rw');
      return [guest, { hostPath: resolve(rw ? host.slice(0, -3) : host), readOnly: !rw }];
    }));
    const models = Object.fromEntries(Object.entries(pairs('model', strs(p, 'model'))).map(([k, v]) => [k, resolve(v)]));

    const bytes = new Uint8Array(await readFile(path));
    const description = await describeComponent(bytes, path);
    const target = description.exports.find((e) => e.name === exportName);
    if (!target) throw new UnknownExportError(exportName, description.exports.map((e) => e.name));
    const { params } = target.resolved;
    if (rawArgs.length !== params.length) {
      throw new UsageError(`${exportName} takes ${params.length} argument(s) (${target.signature}), got ${rawArgs.length}`);
    }
    const args = rawArgs.map((a, i) => fromJson(parseArgument(a), params[i]!.type, params[i]!.name));

    const rt = createRuntime(Object.keys(models).length ? { nn: { models } } : {});
    try {
      const fn = await rt.load('cli', bytes, {
        limits, pool: { mode: 'fresh', min: 0, max: 1 },
        wasi: { env: pairs('env', strs(p, 'env')), preopens },
      });
      const inv = await fn.invoke(exportName, args);
      if (inv.stdout.length) process.stderr.write(inv.stdout);
      if (inv.stderr.length) process.stderr.write(inv.stderr);
      if (flag(p, 'stats')) process.stderr.write(`stats: ${toJson(inv.stats)}\n`);
      console.log(toJson(inv.value));
      return 0;
    } finally {
      rt.close();
    }
  },
};
