// The parts of @bytecodealliance/preview2-shim we still build on: terminal getters, the wall and
// monotonic clocks' readings, sockets (all denied) and the shim's wasi:http types for functions
// whose outgoing HTTP is denied. `wasi:io` (streams, pollables, errors) is our own (`io/`).
import * as shim from '@bytecodealliance/preview2-shim';

export const cli = shim.cli as unknown as Record<string, unknown>;
export const clocks = shim.clocks as unknown as { monotonicClock: Record<string, unknown>; wallClock: Record<string, unknown> };
export const sockets = shim.sockets as unknown as Record<string, unknown>;
export const http = shim.http as unknown as Record<string, unknown>;

/** Kept for modules that import it from here: a pollable that is always ready (see `io/poll.ts`). */
export { readyPollable } from './io/poll.js';
