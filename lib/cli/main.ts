#!/usr/bin/env node
/**
 * `sfirt`: make, inspect, call and serve WebAssembly components with sfirt. Each command is a
 * module under `commands/` exporting `help` (its usage text) and `run(argv)` → exit status.
 */
import { readFileSync } from 'node:fs';
import { SfiError } from '../errors.js';
import { EXIT_CODES, EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';
import { terminalSafe, UsageError } from './usage.js';

/** A command: its one-line summary, its full help, and what it does. */
export interface Command {
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  new: () => import('./commands/new.js').then((m) => m.command),
  build: () => import('./commands/build.js').then((m) => m.command),
  inspect: () => import('./commands/inspect.js').then((m) => m.command),
  types: () => import('./commands/types.js').then((m) => m.command),
  call: () => import('./commands/call.js').then((m) => m.command),
  serve: () => import('./commands/serve.js').then((m) => m.command),
  bench: () => import('./commands/bench.js').then((m) => m.command),
};

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

async function usage(): Promise<string> {
  const lines = [
    `sfirt ${version()}: WebAssembly components as isolated functions (memory, fuel and deadline limits; deny-by-default WASI)`,
    '',
    'Usage: sfirt <command> [options]',
    '',
    'Commands:',
  ];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${(await load()).summary}`);
  lines.push('', 'Run `sfirt <command> --help` for a command\'s options.', 'Exit status: 0 ok, 1 failure, 2 usage, or the error code\'s status (see `sfirt call --help`).');
  return lines.join('\n');
}

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : EXIT_USAGE;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`sfirt: unknown command ${JSON.stringify(name)}\n\n${await usage()}`);
    return EXIT_USAGE;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sfirt ${name}: ${err.message}\n\n${command.help}`);
      return EXIT_USAGE;
    }
    if (err instanceof SfiError) {
      // A failure's message may quote the component (an export it names, a trap text).
      console.error(`sfirt ${name}: ${err.code}: ${terminalSafe(err.message)}`);
      if (err.code === 'MISSING_IMPORT') console.error('(`sfirt inspect <component>` lists the imports it needs, with their signatures)');
      return EXIT_CODES[err.code] ?? EXIT_FAILURE;
    }
    const e = err as Error;
    console.error(`sfirt ${name}: ${terminalSafe(e?.message ?? String(err))}`);
    if (process.env.SFIRT_DEBUG) console.error(e?.stack);
    return EXIT_FAILURE;
  }
}

const status = await main(process.argv.slice(2));
// Pools, idle timers and the transpiler keep the event loop alive: end with the command's status
// (stdout and stderr are synchronous for files and pipes on Linux, so nothing written is lost).
process.exit(status);
