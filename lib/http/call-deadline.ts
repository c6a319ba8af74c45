// The deadline of the guest call in progress on this thread, for host imports that block (an
// outgoing HTTP request must not outlive its caller's budget). Guest calls are synchronous, so
// one slot per thread is enough: whoever starts a call under a deadline sets it around the call.
// TODO(lead): the runtime knows each call's deadline (limits.timeoutMs); once it publishes it
// (e.g. on the call context), read it from there and drop this module.

let deadline: number | undefined;

/** Runs `fn` with `deadlineAt` (a `performance.now()` time) as the current call's deadline. */
export function withCallDeadline<T>(deadlineAt: number | undefined, fn: () => T): T {
  const outer = deadline;
  deadline = deadlineAt;
  try {
    return fn();
  } finally {
    deadline = outer;
  }
}

/** Milliseconds left before the current call's deadline, or undefined when none is known. */
export function remainingCallMs(): number | undefined {
  return deadline === undefined ? undefined : deadline - performance.now();
}
