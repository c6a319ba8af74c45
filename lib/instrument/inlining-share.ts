/**
 * V8 (12.x+, Node >= 22) sizes every function's inlining budget by the module's share of small
 * function bodies (under 50 bytes): at most 25% small means "the toolchain already inlined", and
 * each function may grow only 2× by inlining (capped at 600 bytes); at 50% and more, 5× (6,000),
 * linear in between. Metering makes every body bigger, so a metered module lands in the low bucket
 * even when the original did not, and its hot small functions (a recursive `fib`) stop being inlined:
 * measured 1.3–1.4× slower than with the original's budget on Node 24. {@link fillerCount} says how
 * many tiny never-called functions (`(func (param i32))`, 2 bytes) bring the share back to the
 * original's. They are appended after every other function, so no index moves, and nothing refers to
 * them. Node 20's V8 (11.3) does not inline wasm by default; there they cost 4 bytes each.
 */

/** V8's `kSmallFunctionThreshold` (body bytes, locals included). */
export const SMALL_BODY_BYTES = 50;
/** V8's limit on functions per module (`kV8MaxWasmFunctions`): fillers never push a module past it. */
export const MAX_FUNCTIONS = 1_000_000;
/** Above this share V8 gives the highest budget: no point in going further. */
const FULL_BUDGET_SHARE = 0.5;

/**
 * Fillers needed so that `(small + k) / (total + k)` is at least the original module's share
 * `originalSmall / originalTotal` (at most 50%), never more than `originalTotal` of them nor more than
 * `room` (functions the module may still add under {@link MAX_FUNCTIONS}).
 */
export function fillerCount(originalSmall: number, originalTotal: number, small: number, total: number, room = MAX_FUNCTIONS): number {
  if (originalTotal === 0 || originalSmall === 0) return 0;
  const target = Math.min(originalSmall / originalTotal, FULL_BUDGET_SHARE);
  if (total === 0 || small / total >= target) return 0;
  const k = Math.ceil((target * total - small) / (1 - target));
  return Math.max(0, Math.min(k, originalTotal, room));
}

/** The body of one filler: no locals, `end` (size-prefixed, as in the code section). */
export const FILLER_BODY = [2, 0, 0x0b] as const;
