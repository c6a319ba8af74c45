import type { HostImports } from '../host/imports.js';
import type { InstanceImports } from '../host/scope.js';
import { outgoingHandler, type OutgoingStats } from './outgoing-handler.js';
import type { OutgoingHttpPolicy } from './outgoing-policy.js';
import { instanceHttpTypes, sharedHttpTypes } from './instance-types.js';
import { prepareSyncFetch } from './sync-fetch.js';
import { HAS_JSPI } from '../host/async.js';
import { wasiIoPoll } from '../wasi/poll.js';

/** Options of `wasiHttpImports()`. */
export interface WasiHttpOptions {
  /** Outgoing requests the function may make; omitted = every request is `HTTP-request-denied`. */
  outgoing?: OutgoingHttpPolicy;
  /** Counters to update (allowed, denied, failed, blocked time). */
  stats?: OutgoingStats;
}

/**
 * The `wasi:http/types`, `wasi:http/outgoing-handler` (and a `wasi:io/poll` that understands our
 * in-memory pollables) imports for `runtime.load(name, src, { imports })`. Required for components
 * served with `kind: 'wasi-http'` (the server builds its requests from these very classes), and
 * the way to grant outgoing HTTP. Shared by every instance of the function; see
 * `wasiHttpInstanceImports` for imports built per instance.
 */
export function wasiHttpImports(options: WasiHttpOptions = {}): HostImports {
  if (options.outgoing && !HAS_JSPI) prepareSyncFetch(); // the guest suspends instead (JSPI)
  return {
    'wasi:http/types': sharedHttpTypes as unknown as Record<string, unknown>,
    'wasi:http/outgoing-handler': outgoingHandler(options.outgoing, options.stats),
    'wasi:io/poll': wasiIoPoll as unknown as Record<string, unknown>,
  };
}

/**
 * The same imports built per instance (the `InstanceImports` contract of lib/host/scope.ts): every
 * resource the guest constructs is tracked by the instance's scope (released on reset or discard,
 * at most `MAX_LIVE_HTTP_RESOURCES` live). The policy and handler are compiled once and shared.
 */
export function wasiHttpInstanceImports(options: WasiHttpOptions = {}): InstanceImports {
  if (options.outgoing && !HAS_JSPI) prepareSyncFetch(); // the guest suspends instead (JSPI)
  const handler = outgoingHandler(options.outgoing, options.stats);
  return (scope) => ({
    'wasi:http/types': instanceHttpTypes(scope),
    'wasi:http/outgoing-handler': handler,
    'wasi:io/poll': wasiIoPoll,
  });
}

/**
 * wasi:http for a function granted none: this runtime's own types (as `wasiHttpImports` gives:
 * their bodies are this runtime's wasi:io streams) and an outgoing handler that refuses every
 * request (`HTTP-request-denied`). The runtime puts these under the app's imports, so a
 * `wasiHttpImports()` grant replaces them.
 */
export function deniedHttpImports(): Record<string, object> {
  return DENIED_HTTP;
}

const DENIED_HTTP: Record<string, object> = {
  'wasi:http/types': sharedHttpTypes,
  'wasi:http/outgoing-handler': { handle() { throw { tag: 'HTTP-request-denied' }; } },
};
