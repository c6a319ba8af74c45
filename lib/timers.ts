/**
 * Node's timer bound, shared by every module that arms a deadline from a user's option or a
 * computed allowance (a leaf module: the HTTP layer, the host imports, the inference bridge and
 * the option checks all use it).
 */

/** Largest delay Node's timers accept (ms); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` as a `setTimeout` delay: whole, not negative, and at most {@link MAX_TIMER_MS} (a
 * deadline ~25 days away then fires at ~25 days instead of after 1 ms).
 */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, Math.ceil(ms)), MAX_TIMER_MS);
}
