// The deadline of the guest call running on this thread, published for host imports that block or
// do long work (wasi:nn inference, outgoing HTTP): they must not outlive their caller's budget.
// Guest calls are synchronous and one at a time per thread, so one slot per thread serves them
// all; `callLimits` sets it when a call starts and clears it when the call returns.

/** The current call's deadline (`performance.now()` ms), or undefined when it has none. */
export const callDeadline: { at: number | undefined } = { at: undefined };

/** Milliseconds left before the current call's deadline, or undefined when none is known. */
export function remainingCallMs(): number | undefined {
  return callDeadline.at === undefined ? undefined : callDeadline.at - performance.now();
}
