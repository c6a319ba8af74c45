/**
 * Node's timer bound, shared by every module that arms a deadline from a user's option or a
 * computed allowance (a leaf module: the HTTP layer and the option checks both use it).
 */

/** Largest delay Node's timers accept (ms); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
