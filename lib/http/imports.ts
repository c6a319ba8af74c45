import type { HostImports } from '../host/imports.js';
import { outgoingHandler, type OutgoingStats } from './outgoing-handler.js';
import type { OutgoingHttpPolicy } from './outgoing-policy.js';
import { prepareSyncFetch } from './sync-fetch.js';
import { wasiHttpTypes } from './types.js';
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
 * in-memory pollables) imports for `runtime.load(name, src,
 * { imports })`. Required for components served with `kind: 'wasi-http'` (the server builds its
 * requests from these very classes), and the way to grant outgoing HTTP.
 */
export function wasiHttpImports(options: WasiHttpOptions = {}): HostImports {
  if (options.outgoing) prepareSyncFetch();
  return {
    'wasi:http/types': wasiHttpTypes as unknown as Record<string, unknown>,
    'wasi:http/outgoing-handler': outgoingHandler(options.outgoing, options.stats),
    'wasi:io/poll': wasiIoPoll as unknown as Record<string, unknown>,
  };
}
