import { GuestExitError, InvalidArgumentError } from '../errors.js';
import type { InstanceImports } from '../host/scope.js';
import { clocksAndRandom, type DeterminismOptions } from './clocks-random.js';
import { filesystemImports, type PreopenGrant } from './filesystem/index.js';
import { wasiIo } from './io/index.js';
import { cli, sockets } from './shim.js';
import { inheritSink, inputStream, outputStream, type StdioCapture, type StdioMode } from './stdio.js';

/**
 * What a function may see of the host through WASI. Everything is denied unless granted:
 * no host environment or argv, no directories, no network.
 */
export interface WasiOptions {
  /** Environment variables the guest sees (default: none). */
  env?: Record<string, string>;
  /** Arguments the guest sees (default: none). */
  args?: string[];
  /** Guest path → host directory (read-only), or a grant with `readOnly: false` for read-write. */
  preopens?: Record<string, string | PreopenGrant>;
  /** Bytes the guest reads from stdin (default: empty, closed). */
  stdin?: Uint8Array | string;
  /** stdout handling (default `capture`: returned with each call's result). */
  stdout?: StdioMode;
  /** stderr handling (default `capture`). */
  stderr?: StdioMode;
  /** Seeded clocks and random for reproducible runs; `true` for the default seed. */
  deterministic?: boolean | DeterminismOptions;
}

export { GuestExitError } from '../errors.js';

/** The per-function limits WASI applies (see `Limits`). */
export interface WasiLimits {
  /** Cap on the filesystem resources one instance holds at once; undefined for none. */
  openFiles?: number;
  /** The guest's memory limit (`limits.memoryBytes`): no single WASI result may be larger. */
  memoryBytes?: number;
  /** Host directories no read-write preopen may overlap: the runtime's precompile caches. */
  protectedDirs?: readonly string[];
}

/**
 * `wasi:filesystem` for a function: a factory called once per instance (its preopen descriptors
 * and open-file count live in that instance's scope). Throws `InvalidArgumentError` for a preopen
 * that is not a host directory, or a read-write one overlapping `limits.protectedDirs`.
 */
export function wasiFilesystem(options: WasiOptions = {}, limits: WasiLimits = {}): InstanceImports {
  const grants = Object.fromEntries(Object.entries(options.preopens ?? {}).map(([guest, g]) =>
    [guest, typeof g === 'string' ? { hostPath: g, readOnly: true } : g]));
  return filesystemImports(grants, { openFiles: limits.openFiles ?? Infinity, protectedDirs: limits.protectedDirs ?? [] });
}

/**
 * The WASI part of a function's import object, keyed as jco keys imports, as a factory called
 * once per instance: the filesystem (preopens, open-file count) and deterministic clocks and
 * random are instance state in its scope; the rest is built here once and shared. Throws
 * `InvalidArgumentError` for bad options (checked here, at load). For the pool's hot path see
 * {@link wasiImportParts}, which keeps the two parts apart.
 */
export function wasiImports(options: WasiOptions = {}, capture: StdioCapture, onExit: (e: GuestExitError) => void, limits: WasiLimits = {}): InstanceImports {
  const { shared, forInstance } = wasiImportParts(options, capture, onExit, limits);
  return (scope) => ({ ...shared, ...forInstance(scope) });
}

/**
 * `wasiImports` in two parts: `shared`, the entries that are the same for every instance (built
 * once), and `forInstance(scope)`, the few that hold instance state. The runtime layers the
 * second over the first per instance (lib/host/scope.ts `layeredImports`) instead of copying ~30
 * entries into a new object at every instantiation (~6 µs each).
 */
export function wasiImportParts(options: WasiOptions = {}, capture: StdioCapture, onExit: (e: GuestExitError) => void, limits: WasiLimits = {}): { shared: Record<string, object>; forInstance: InstanceImports } {
  const env = Object.entries(options.env ?? {});
  for (const [k, v] of env) {
    if (typeof v !== 'string') throw new InvalidArgumentError(`wasi.env.${k} must be a string`);
  }
  const args = [...(options.args ?? [])];
  const sink = (mode: StdioMode | undefined, fd: 1 | 2) =>
    mode === 'inherit' ? inheritSink(fd) : mode === 'discard' ? () => {} : (buf: Uint8Array) => capture.write(fd, buf);
  const stdout = sink(options.stdout, 1);
  const stderr = sink(options.stderr, 2);
  const stdinBytes = typeof options.stdin === 'string' ? new TextEncoder().encode(options.stdin) : options.stdin ?? new Uint8Array();
  const det = options.deterministic === true ? {} : options.deterministic || undefined;
  const exit = (code: number) => { const e = new GuestExitError(code); onExit(e); throw e; };

  const shared: Record<string, object> = {
    'wasi:cli/environment': {
      getEnvironment: () => env.map(([k, v]) => [k, v]),
      getArguments: () => [...args],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: string }) => exit(status.tag === 'ok' ? 0 : 1),
      exitWithCode: (code: number) => exit(code),
    },
    'wasi:cli/stdin': { getStdin: () => inputStream(stdinBytes) },
    // A stream per handle (dropping one closes that one), all writing to the function's sinks.
    'wasi:cli/stdout': { getStdout: () => outputStream(stdout) },
    'wasi:cli/stderr': { getStderr: () => outputStream(stderr) },
    // Not a terminal: the getters return `none`.
    'wasi:cli/terminal-input': cli.terminalInput as object,
    'wasi:cli/terminal-output': cli.terminalOutput as object,
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    ...wasiIo,
    ...(det ? {} : clocksAndRandom(undefined, limits.memoryBytes)),
    ...deniedNetwork(),
  };
  const filesystem = wasiFilesystem(options, limits);
  const forInstance: InstanceImports = det
    ? (scope) => ({ ...clocksAndRandom(det, limits.memoryBytes, scope), ...filesystem(scope) })
    : filesystem;
  return { shared, forInstance };
}

let denied: Record<string, object> | undefined;
/** Sockets, with every operation refused (`access-denied`); outgoing HTTP is denied by lib/http (`deniedHttpImports`). */
function deniedNetwork(): Record<string, object> {
  if (denied) return denied;
  const create = sockets.createSockets as ((o: { enableNetwork: boolean }) => Record<string, object>) | undefined;
  const s = create ? create({ enableNetwork: false }) : (sockets as Record<string, object>);
  denied = {
    'wasi:sockets/instance-network': s.instanceNetwork!,
    'wasi:sockets/ip-name-lookup': s.ipNameLookup!,
    'wasi:sockets/network': s.network!,
    'wasi:sockets/tcp': s.tcp!,
    'wasi:sockets/tcp-create-socket': s.tcpCreateSocket!,
    'wasi:sockets/udp': s.udp!,
    'wasi:sockets/udp-create-socket': s.udpCreateSocket!,
  };
  return denied;
}
