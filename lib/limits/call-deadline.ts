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

/** What host imports may charge to the guest call running on this thread: its fuel meter. */
export interface CallFuel {
  /** Fuel the call may still use (Infinity without a fuel limit). */
  readonly fuelLeft: number;
  /** Charges fuel for host work done for the guest; false once the call's fuel is exhausted. */
  charge(units: number): boolean;
  /** The deadline passed during host work: stop the guest at its next fuel check. */
  expire(): void;
}

/**
 * Called when a host import returns to the guest: past the call's deadline, the guest is stopped
 * at its next fuel check (DEADLINE_EXCEEDED) instead of running on until it next asks for fuel.
 */
export function checkDeadlineAfterHostWork(): void {
  const at = callDeadline.at;
  if (at !== undefined && performance.now() >= at) callFuel.meter?.expire();
}

/** The fuel meter of the guest call running on this thread, set and cleared with {@link callDeadline}. */
export const callFuel: { meter: CallFuel | undefined } = { meter: undefined };
