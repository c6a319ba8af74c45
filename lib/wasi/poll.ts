import { io } from './shim.js';

interface PollableLike { ready(): boolean; block(): void }

/**
 * `wasi:io/poll` for functions that use wasi:http. The shim's own `poll` sends every pollable to
 * its I/O worker by id, which fails for the always-ready pollables of our in-memory streams and
 * futures (StarlingMonkey's event loop polls those). This one asks each pollable itself, so it
 * serves ours and the shim's (clocks) alike; it blocks on the first when none is ready.
 */
export const wasiIoPoll = {
  Pollable: io.poll.Pollable,
  poll(list: PollableLike[]): Uint32Array {
    if (list.length === 0) throw new Error('poll: empty list');
    for (;;) {
      const ready: number[] = [];
      for (let i = 0; i < list.length; i++) if (list[i]!.ready()) ready.push(i);
      if (ready.length) return Uint32Array.from(ready);
      list[0]!.block();
    }
  },
};
