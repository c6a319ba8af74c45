/**
 * `wasi:io` (error, poll, streams) for every interface of this runtime that hands a guest streams
 * or pollables: stdio (`../stdio.ts`), files (`../filesystem/streams.ts`), HTTP bodies
 * (`lib/http`), clock subscriptions (`../clocks-random.ts`). One set of classes per process: jco's
 * glue and ours check handles with `instanceof` against the import object's classes, so every
 * stream or pollable handed to a guest must be an instance of these.
 */
import { IoError } from './error.js';
import { Pollable, poll } from './poll.js';
import { InputStream, OutputStream } from './streams.js';

export { IoError } from './error.js';
export { FUEL_PER_MS, Pollable, poll, readyPollable, waitUntil } from './poll.js';
export {
  BytesInputStream, CLOSED, failed, InputStream, MAX_READ_BYTES, OutputStream, SinkOutputStream, WRITE_PERMIT,
} from './streams.js';

/** The `wasi:io/*` import-object entries (the same objects for every function). */
export const wasiIo: Readonly<Record<string, object>> = Object.freeze({
  'wasi:io/error': Object.freeze({ Error: IoError }),
  'wasi:io/poll': Object.freeze({ Pollable, poll }),
  'wasi:io/streams': Object.freeze({ InputStream, OutputStream }),
});
