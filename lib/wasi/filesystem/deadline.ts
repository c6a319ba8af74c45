/**
 * Filesystem calls do no host work past the calling guest's deadline (they answer `interrupted`).
 * The runtime checks the clock only when a guest asks for more fuel, and a guest that spends its
 * time in host calls burns almost none: 300 `stat-at`s through a 1,000-level chain ran 1.5 s under
 * a 100 ms deadline. With this check, past the deadline each call costs microseconds, so the
 * guest soon asks for fuel and is stopped.
 */
import { callDeadline } from '../../limits/call-deadline.js';

/** True once the calling guest's deadline has passed. */
export function pastDeadline(): boolean {
  const at = callDeadline.at;
  return at !== undefined && performance.now() > at;
}
