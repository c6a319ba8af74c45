import { DeadlineExceededError, FuelExhaustedError, MemoryLimitExceededError, type SfiError } from '../errors.js';
import type { Meter } from './meter.js';

/** The limits a call ran under, for the error messages. */
export interface CallLimits {
  fuel?: number;
  /** Wall-clock budget in ms (for DeadlineExceededError). */
  timeoutMs?: number;
  /** `performance.now()` when the call started (to report elapsed time). */
  startedAt?: number;
  /** Memory cap in bytes (for MemoryLimitExceededError). */
  memoryBytes?: number;
}

/**
 * Turns an error thrown by a metered guest call into the limit error it really is: a wasm trap after
 * the meter refused fuel → {@link FuelExhaustedError}, after a passed deadline →
 * {@link DeadlineExceededError}, after a refused capped `memory.grow` → {@link MemoryLimitExceededError}.
 * Returns undefined when the error is not explained by a limit (map it as a plain trap).
 */
export function classifyTrap(meter: Meter, error: unknown, limits: CallLimits = {}): SfiError | undefined {
  const reason = meter.stopReason;
  if (reason === undefined) return undefined;
  // Only a trap (or a stack overflow while unwinding one) can come from our stop; a host function's
  // own exception is not ours to relabel.
  const isTrap = error instanceof WebAssembly.RuntimeError || (error instanceof RangeError && /call stack/i.test(error.message));
  if (!isTrap) return undefined;
  switch (reason) {
    case 'fuel':
      return new FuelExhaustedError(limits.fuel ?? meter.fuelUsed);
    case 'deadline': {
      const elapsed = limits.startedAt === undefined ? NaN : performance.now() - limits.startedAt;
      return new DeadlineExceededError(limits.timeoutMs ?? NaN, elapsed);
    }
    case 'memory':
      return new MemoryLimitExceededError(limits.memoryBytes ?? NaN, { cause: error });
  }
}
