/**
 * `sfirt` exit statuses: 0 success, 1 an unexpected failure, 2 a usage error, and one status per
 * error code so scripts can branch on why a call failed (`sfirt call … || case $? in 30) …`).
 * Every `SfiErrorCode` must have one (the `Record` type enforces it).
 */
import type { SfiErrorCode } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const EXIT_CODES: Record<SfiErrorCode, number> = {
  INTERNAL: 1,
  NOT_A_COMPONENT: 10,
  INVALID_COMPONENT: 11,
  INVALID_MODULE: 12,
  MISSING_IMPORT: 13,
  UNKNOWN_EXPORT: 14,
  INVALID_HANDLE: 24,
  INVALID_ARGUMENT: 15,
  LIMIT_TOO_LOW: 16,
  INVALID_MANIFEST: 17,
  INVALID_ROUTE: 18,
  UNKNOWN_FUNCTION: 19,
  TRAP: 20,
  HOST_FUNCTION_ERROR: 21,
  GUEST_EXIT: 22,
  INVALID_RESPONSE: 23,
  FUEL_EXHAUSTED: 30,
  DEADLINE_EXCEEDED: 31,
  MEMORY_LIMIT_EXCEEDED: 32,
  RESULT_LIMIT_EXCEEDED: 33,
  OVERLOADED: 40,
  WORKER_CRASHED: 41,
  CLOSED: 42,
  BACKEND_UNAVAILABLE: 43,
  NN_ERROR: 44,
  ASYNC_UNSUPPORTED: 25,
  BIND_FAILED: 45,
};
