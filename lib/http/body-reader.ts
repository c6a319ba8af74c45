/**
 * Reading request bodies so that slow clients cannot hold the server.
 *
 * A body that has fully arrived by the end of the event-loop turn its headers arrived in (every
 * small request from a client that is not trickling) costs nothing extra. A body still arriving
 * then is *stalled*, and from that moment:
 * - it must finish within `bodyTimeoutMs`, extended by one second for every `minBodyBytesPerSecond`
 *   bytes received (Apache's `mod_reqtimeout` rule: a client that keeps sending at a fair rate
 *   may send a large body; one that trickles is cut off), and within the request's own budget;
 *   past that, 408 and the connection closes;
 * - stalled requests may hold at most `maxStalled` of the server's in-flight slots: a request that
 *   stalls when they are all taken is refused (503, connection closed), so a few hundred sockets
 *   sending one byte a second leave the other slots to requests that arrive whole.
 */
import type { IncomingMessage } from 'node:http';
import { timerDelay } from '../timers.js';

/** Limits on one body. */
export interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
  minBytesPerSecond: number;
  /** Absolute `performance.now()` time the body must be in by (the request's budget), if any. */
  deadlineAt: number | undefined;
}

/** How a body read ends. */
export type BodyOutcome =
  | { body: Uint8Array; receivedAt: number; refused?: undefined; aborted?: undefined }
  | { refused: 'PAYLOAD_TOO_LARGE' | 'REQUEST_TIMEOUT' | 'OVERLOADED'; body?: undefined; aborted?: undefined }
  | { aborted: true; body?: undefined; refused?: undefined };

const EMPTY = new Uint8Array(0);

class Reader {
  chunks: Buffer[] = [];
  size = 0;
  settled = false;
  stalled = false;
  timer: NodeJS.Timeout | undefined;
  receivedAt = performance.now();
  readonly startedAt = this.receivedAt;
  constructor(readonly req: IncomingMessage, readonly limits: BodyLimits, readonly done: (outcome: BodyOutcome) => void) {}

  deadline(): number {
    const { timeoutMs, minBytesPerSecond, deadlineAt } = this.limits;
    const byRate = this.startedAt + timeoutMs + (minBytesPerSecond > 0 ? (this.size * 1000) / minBytesPerSecond : Infinity);
    return deadlineAt === undefined ? byRate : Math.min(byRate, deadlineAt);
  }
}

/** The body readers of one handler: counts stalled bodies against their share of slots. */
export class BodyReaders {
  #stalled = 0;
  #pending: Reader[] = [];
  #checkScheduled = false;

  constructor(readonly maxStalled: number) {}

  /** Bodies still arriving after the turn their headers came in. */
  get stalled(): number { return this.#stalled; }

  /** Reads `req`'s body under `limits`; calls `done` exactly once. */
  read(req: IncomingMessage, limits: BodyLimits, done: (outcome: BodyOutcome) => void): void {
    const declared = Number(req.headers['content-length']);
    if (declared > limits.maxBytes) { done({ refused: 'PAYLOAD_TOO_LARGE' }); return; }
    const r = new Reader(req, limits, done);
    req.on('data', (c: Buffer) => {
      if (r.settled) return;
      r.receivedAt = performance.now();
      r.size += c.byteLength;
      if (r.size > limits.maxBytes) { req.pause(); this.#settle(r, { refused: 'PAYLOAD_TOO_LARGE' }); return; }
      r.chunks.push(c);
    });
    req.on('end', () => {
      if (r.settled) return;
      const body = r.chunks.length === 0 ? EMPTY : r.chunks.length === 1 ? r.chunks[0]! : Buffer.concat(r.chunks);
      this.#settle(r, { body, receivedAt: r.receivedAt });
    });
    // The client went away before the end (a reset, or `close` without `end`).
    req.on('error', () => { if (!r.settled) this.#settle(r, { aborted: true }); });
    req.on('close', () => { if (!r.settled) this.#settle(r, { aborted: true }); });
    this.#pending.push(r);
    if (!this.#checkScheduled) {
      this.#checkScheduled = true;
      setImmediate(() => this.#checkStalled());
    }
  }

  /** After the turn: every body not yet complete is stalled. */
  #checkStalled(): void {
    this.#checkScheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    for (const r of pending) {
      if (r.settled) continue;
      if (this.#stalled >= this.maxStalled) {
        r.req.pause();
        this.#settle(r, { refused: 'OVERLOADED' });
        continue;
      }
      r.stalled = true;
      this.#stalled++;
      this.#arm(r);
    }
  }

  #arm(r: Reader): void {
    const left = r.deadline() - performance.now();
    if (left <= 0) {
      r.req.pause();
      this.#settle(r, { refused: 'REQUEST_TIMEOUT' });
      return;
    }
    // Re-armed on expiry rather than on every chunk: bytes received meanwhile extend the deadline.
    r.timer = setTimeout(() => { r.timer = undefined; if (!r.settled) this.#arm(r); }, timerDelay(left));
  }

  #settle(r: Reader, outcome: BodyOutcome): void {
    r.settled = true;
    if (r.stalled) this.#stalled--;
    if (r.timer) clearTimeout(r.timer);
    r.chunks = [];
    r.done(outcome);
  }
}
