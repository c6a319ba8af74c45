// The parts of @bytecodealliance/preview2-shim we still build on: terminal getters, the monotonic
// clock's readings and sockets (all denied). `wasi:io` (streams, pollables, errors) is our own
// (`io/`), and so are the wasi:http types (`lib/http`).
import * as shim from '@bytecodealliance/preview2-shim';

export const cli = shim.cli as unknown as Record<string, unknown>;
export const clocks = shim.clocks as unknown as { monotonicClock: Record<string, unknown>; wallClock: Record<string, unknown> };
export const sockets = shim.sockets as unknown as Record<string, unknown>;

/** Kept for modules that import it from here: a pollable that is always ready (see `io/poll.ts`). */
export { readyPollable } from './io/poll.js';
