/**
 * Whose call the per-thread call state belongs to, when calls can suspend (JSPI).
 *
 * Several pieces of state describe "the guest call running on this thread": its deadline and fuel
 * meter for host imports (`callDeadline`, `callFuel`), its lift budget (lib/limits/lift.ts), and,
 * per function, its host-failure slots, captured output and limit bookkeeping. They assume one
 * call at a time, which holds for synchronous calls. A call suspended on an async host import
 * lets other calls run (and arm their own state) before it resumes.
 *
 * So the state has an owner. A call that may suspend runs in a {@link CallFrame}; whenever its
 * code is about to run again (it starts, a host promise settled, its export returned) it calls
 * {@link enterFrame}: the owner saves the state into its own frame, then this frame restores its
 * copy. Saving is lazy (at displacement, not at every suspension), so a call that suspends and
 * resumes with nothing in between pays nothing. A synchronous call only has to
 * {@link takeThread} before it arms, one comparison when no call is suspended.
 */
import { callDeadline, callFuel, type CallFuel } from './call-deadline.js';
import { restoreLiftBudget, saveLiftBudget, type SavedLiftBudget } from './lift.js';

/** One call's claim on the per-thread call state. */
export interface CallFrame {
  /** Copies the thread's call state into the frame (another call takes the thread). */
  save(): void;
  /** Puts the frame's copy back (the call runs again). */
  restore(): void;
}

let owner: CallFrame | undefined;

/** A synchronous call is about to arm the thread's state: a suspended call that owns it keeps a copy. */
export function takeThread(): void {
  if (owner !== undefined) {
    owner.save();
    owner = undefined;
  }
}

/**
 * `frame`'s code runs (again): the state becomes its own. A frame entered for the first time
 * restores nothing (the caller arms it next).
 */
export function enterFrame(frame: CallFrame, fresh = false): void {
  if (owner === frame) return;
  owner?.save();
  owner = frame;
  if (!fresh) frame.restore();
}

/** `frame`'s call is over: the thread's state belongs to no one. */
export function leaveFrame(frame: CallFrame): void {
  if (owner === frame) owner = undefined;
}

/**
 * Called where a call is about to suspend (the glue awaits a host promise or a promising export):
 * returns the function that re-enters that call's frame when it resumes. A no-op outside frames.
 */
export function suspendCall(): () => void {
  const frame = owner;
  return frame === undefined ? NOOP : () => enterFrame(frame);
}

const NOOP = (): void => {};

/** The module-level part of the call state (the per-function part is the frame's own business). */
export interface ThreadCallState {
  deadlineAt: number | undefined;
  budgetMs: number;
  startedAt: number;
  fuel: CallFuel | undefined;
  lift: SavedLiftBudget;
}

/** Copies `callDeadline`, `callFuel` and the lift budget. */
export function saveThreadState(): ThreadCallState {
  return { deadlineAt: callDeadline.at, budgetMs: callDeadline.budgetMs, startedAt: callDeadline.startedAt, fuel: callFuel.meter, lift: saveLiftBudget() };
}

/** Puts a copy made by {@link saveThreadState} back. */
export function restoreThreadState(s: ThreadCallState): void {
  callDeadline.at = s.deadlineAt;
  callDeadline.budgetMs = s.budgetMs;
  callDeadline.startedAt = s.startedAt;
  callFuel.meter = s.fuel;
  restoreLiftBudget(s.lift);
}
