/**
 * Sending responses so that a client that does not read cannot hold the server's memory.
 *
 * When a request is done its response is usually with the kernel already (`res.writableLength`
 * is 0): that costs one property read. A response still buffered in this process has a client
 * that reads slowly or not at all (the "slow read" attack: ask for large responses, then keep the
 * TCP window shut; Node has no send timeout, so the bytes stay until the socket closes). It must
 * drain within `sendTimeoutMs`, extended by a second for every `minBytesPerSecond` bytes it held
 * when the request was done (a client reading at a fair rate may take a large response); past
 * that the connection is destroyed, which frees its buffered bytes. (Node cannot say how much of
 * one write the kernel took, so the allowance is fixed up front rather than renewed by progress.)
 * Node stops reading requests from a connection whose responses are not flushed, so each slow
 * connection holds about one response at a time.
 */
import type { ServerResponse } from 'node:http';
import { timerDelay } from '../timers.js';

export class SendWatch {
  /**
   * @param onTimeout called once per connection cut off (e.g. to count it).
   */
  constructor(readonly timeoutMs: number, readonly minBytesPerSecond: number, readonly onTimeout: () => void) {}

  /** Called when `res`'s request is done: bounds the time its remaining bytes may take. */
  watch(res: ServerResponse): void {
    const pending = res.writableLength;
    if (pending === 0 || res.destroyed || res.writableFinished) return;
    const extraMs = this.minBytesPerSecond > 0 ? (pending * 1000) / this.minBytesPerSecond : 0;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('finish', settle);
      res.off('close', settle);
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settle();
      this.onTimeout();
      // The socket, not just the response: its buffered bytes are what this frees.
      (res.socket ?? res).destroy();
    }, timerDelay(this.timeoutMs + extraMs));
    timer.unref();
    res.once('finish', settle);
    res.once('close', settle);
  }
}
