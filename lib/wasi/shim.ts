// The parts of @bytecodealliance/preview2-shim we build on. Its classes are what jco's glue checks
// handles against (`instanceof`), so our own stream and pollable objects inherit their prototypes.
import * as shim from '@bytecodealliance/preview2-shim';

type Ctor = { prototype: object };
export const io = shim.io as unknown as {
  streams: { InputStream: Ctor; OutputStream: Ctor };
  poll: { Pollable: Ctor; poll: unknown };
  error: { Error: Ctor };
};
export const cli = shim.cli as unknown as Record<string, unknown>;
export const clocks = shim.clocks as unknown as { monotonicClock: Record<string, unknown>; wallClock: Record<string, unknown> };
export const sockets = shim.sockets as unknown as Record<string, unknown>;
export const http = shim.http as unknown as Record<string, unknown>;

/** A pollable that is always ready (our in-memory streams never block). */
export function readyPollable(): object {
  const p = Object.create(io.poll.Pollable.prototype) as Record<string | symbol, unknown>;
  p.ready = () => true;
  p.block = () => {};
  p[Symbol.dispose] = () => {};
  return p;
}
