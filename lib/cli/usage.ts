/** Command-line parsing on `node:util`'s `parseArgs`, with a usage error that prints the command's help. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A wrong invocation: `main` prints the message and the command's help, and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed command line: option values by name, positionals, and whether `--help` was asked. */
export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  help: boolean;
}

/** Parses `argv` for one command; unknown options and a wrong positional count are usage errors. */
export function parse(argv: string[], options: Options, positionals: { min: number; max: number }): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Parsed['values'];
  const help = values.help === true;
  const n = parsed.positionals.length;
  if (!help && (n < positionals.min || n > positionals.max)) {
    throw new UsageError(n < positionals.min ? 'missing argument' : `unexpected argument: ${parsed.positionals[positionals.max]}`);
  }
  return { values, positionals: parsed.positionals, help };
}

/** A string option. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option. */
export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

/** A boolean flag. */
export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A non-negative integer option (`--fuel 10`), or undefined. */
export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/** A byte size: `65536`, `64k`, `16m`, `1g` (binary units). */
export function bytesOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)([kmg]i?b?)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--${name} must be a byte count such as 65536, 64k or 16m, got ${JSON.stringify(value)}`);
  const unit = (m[2] ?? '').toLowerCase()[0];
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

/** `NAME=value` pairs (repeatable option) → object. */
export function pairs(name: string, values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name} takes NAME=VALUE, got ${JSON.stringify(v)}`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Progress for long steps, on stderr (stdout carries results). */
export function progress(line: string): void {
  process.stderr.write(`sfirt: ${line}\n`);
}

/**
 * Text from a component (doc comments, names) made safe for a terminal: control characters other
 * than newline and tab, and the Unicode bidirectional overrides, become visible `\u{…}` escapes. A
 * component's docs once moved the cursor and rewrote lines of `sfirt inspect --wit` (hiding an
 * import from the reader deciding what to grant it).
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
