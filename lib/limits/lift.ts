/**
 * The lift budget, and the checked reads both glues lift guest values with.
 *
 * Every byte the host lifts out of a guest during a call — the export's result, and the arguments
 * of host imports the guest calls — is charged here *before* the host allocates for it, each
 * aliased element in full (a guest can point 20,000 list elements at the same 1 MiB: that is
 * 20,000 MiB for the host). Past `limits.resultBytes` the lift stops with
 * {@link ResultLimitExceededError}; every {@link LIFT_CLOCK_BYTES} charged it checks the call's
 * deadline. One guest stack runs at a time per thread, so one budget per thread serves every call
 * (as `callDeadline` does); `armLiftBudget` starts it when a call starts, and a call suspended on
 * an async host import keeps a copy meanwhile (`saveLiftBudget`, lib/limits/call-frame.ts).
 *
 * Cost model (bytes): a string or typed list counts its bytes in guest memory; every element of a
 * list lifted into a JS array counts max(element size, {@link LIFT_ELEMENT_BYTES}) (what a JS value
 * costs the host at least), on top of whatever its own strings and lists count.
 *
 * Host code that lifts guest data itself (wasi:nn tensors, say) can charge it with
 * {@link chargeLift}. jco's generated glue reaches these functions through
 * `globalThis[Symbol.for('sfirt.lift')]` (see `patchGlue` in lib/component/transpile.ts).
 */
import { getHeapStatistics } from 'node:v8';
import { resourceLimits } from 'node:worker_threads';
import { DeadlineExceededError, ResultLimitExceededError, TrapError } from '../errors.js';

/** Bytes lifted between two checks of the call's deadline. */
export const LIFT_CLOCK_BYTES = 1024 * 1024;
/**
 * Bytes charged in one call at which the thread's V8 heap is first consulted, and again at every
 * doubling. Whatever `limits.resultBytes` says (`null` included), a call may go on lifting at most a
 * quarter of the heap still free then ({@link HEAP_ROOM_SHARE}: UTF-8 can double as a JS string):
 * lifting past the heap ends the whole process, and V8 does not always contain a worker's
 * out-of-memory (a worker with a 64 MiB heap lifting 1 GiB of 64 KiB strings aborted the process in
 * 1 of 4 runs on Node 24 instead of ending with ERR_WORKER_OUT_OF_MEMORY). Small lifts never pay
 * for the check; a big one pays one `getHeapStatistics()` per doubling.
 */
export const LIFT_HEAP_CHECK_BYTES = 8 * 1024 * 1024;
const HEAP_ROOM_SHARE = 4;
/**
 * The heap a lift can fill: a worker's old generation (`heap_size_limit` adds young-generation
 * space that a lift cannot keep: 256 MiB for a 64 MiB old generation on Node 24), else V8's limit.
 */
const HEAP_BYTES = resourceLimits.maxOldGenerationSizeMb ? resourceLimits.maxOldGenerationSizeMb * 1024 * 1024 : 0;
/** What one element of a list lifted into a JS array counts at least. */
export const LIFT_ELEMENT_BYTES = 32;

/** The running call's budget (module state: one call at a time per thread). */
const budget = {
  /** Bytes the call may still lift. */
  left: Infinity,
  limit: Infinity,
  deadline: undefined as number | undefined,
  /** The call's time budget as reported in a DeadlineExceededError. */
  budgetMs: NaN,
  startedAt: 0,
  /** Bytes charged since the deadline was last checked. */
  sinceCheck: 0,
  /** Bytes charged up to the last deadline check. */
  charged: 0,
  /** `charged` at the last look at the heap, and at which the next look comes. */
  chargedAtHeapCheck: 0,
  heapCheckAt: LIFT_HEAP_CHECK_BYTES,
  /** The first budget error of the call (a guest could catch it with a legacy `catch_all`). */
  failure: undefined as Error | undefined,
};

/**
 * Starts a call's budget: `limit` bytes (Infinity: none), checked against `deadline`
 * (`performance.now()` ms) as lifting goes.
 */
export function armLiftBudget(limit: number, deadline: number | undefined, startedAt: number, budgetMs?: number): void {
  budget.left = budget.limit = limit;
  budget.deadline = deadline;
  budget.budgetMs = budgetMs ?? (deadline === undefined ? NaN : deadline - startedAt);
  budget.startedAt = startedAt;
  budget.sinceCheck = budget.charged = budget.chargedAtHeapCheck = 0;
  budget.heapCheckAt = LIFT_HEAP_CHECK_BYTES;
  budget.failure = undefined;
}

/** Ends the call's budget (lifting outside a call is not limited) and returns its first failure, if any. */
export function disarmLiftBudget(): Error | undefined {
  const failure = budget.failure;
  budget.left = budget.limit = Infinity;
  budget.deadline = undefined;
  budget.sinceCheck = budget.charged = budget.chargedAtHeapCheck = 0;
  budget.heapCheckAt = LIFT_HEAP_CHECK_BYTES;
  budget.failure = undefined;
  return failure;
}

/** A copy of the running call's budget, for a call that suspends (see `restoreLiftBudget`). */
export type SavedLiftBudget = Readonly<typeof budget>;

/** Copies the running call's budget out (the call is suspending; another may arm its own). */
export function saveLiftBudget(): SavedLiftBudget {
  return { ...budget };
}

/** Makes a saved budget the running one again (its call resumes). */
export function restoreLiftBudget(saved: SavedLiftBudget): void {
  Object.assign(budget, saved);
}

/**
 * Records a failure the running call must fail with even if the guest catches it (a deadline that
 * passed while the call was suspended, say): `disarmLiftBudget` returns the first one.
 */
export function recordCallFailure(err: Error): void {
  budget.failure ??= err;
}

/** Bytes the running call may still lift (Infinity when unlimited or outside a call). */
export function liftBytesLeft(): number {
  return budget.left;
}

/**
 * Charges `bytes` the host is about to lift (or copy) from the guest against the running call's
 * budget. Throws {@link ResultLimitExceededError} past `limits.resultBytes`, and
 * {@link DeadlineExceededError} when the call's deadline has passed (checked every
 * {@link LIFT_CLOCK_BYTES}); both before anything is allocated.
 */
export function chargeLift(bytes: number): void {
  const b = budget;
  if ((b.left -= bytes) < 0) fail(new ResultLimitExceededError(b.limit));
  if ((b.sinceCheck += bytes) >= LIFT_CLOCK_BYTES) {
    b.charged += b.sinceCheck;
    b.sinceCheck = 0;
    if (b.charged >= b.heapCheckAt) checkHeapRoom(b);
    const now = performance.now();
    if (b.deadline !== undefined && now >= b.deadline) fail(new DeadlineExceededError(b.budgetMs, now - b.startedAt));
  }
}

/**
 * Bounds what the call may still lift by the heap still free. Bytes charged since the last look may
 * not be allocated yet (they are charged first), so they count against the room.
 */
function checkHeapRoom(b: typeof budget): void {
  const { heap_size_limit, used_heap_size } = getHeapStatistics();
  const room = ((HEAP_BYTES || heap_size_limit) - used_heap_size) / HEAP_ROOM_SHARE;
  const pending = b.charged - b.chargedAtHeapCheck;
  b.chargedAtHeapCheck = b.charged;
  b.heapCheckAt = b.charged * 2;
  const allowed = Math.max(0, Math.floor(room - pending));
  if (pending > room || allowed < b.left) {
    b.left = Math.min(b.left, allowed);
    b.limit = b.charged + b.left;
    if (pending > room) fail(new ResultLimitExceededError(b.limit));
  }
}

function fail(err: Error): never {
  budget.failure ??= err;
  throw err;
}

/** Charges a list of `len` elements of `size` bytes each lifted into a JS array. */
export function chargeList(len: number, size: number): void {
  chargeLift((len >>> 0) * (size > LIFT_ELEMENT_BYTES ? size : LIFT_ELEMENT_BYTES));
}

/** The canonical-ABI trap for a pointer/length outside the guest's memory. */
export function outOfBounds(what: string, ptr: number, bytes: number, memoryBytes: number): TrapError {
  return new TrapError('out-of-bounds-memory', `wasm trap: canonical ABI: ${what} (pointer ${ptr}, ${bytes} bytes) is out of bounds of memory (${memoryBytes} bytes)`);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF16 = new TextDecoder('utf-16le', { fatal: true });

/** A view of `bytes` guest bytes at `ptr`, bounds-checked (never clamped), then charged. */
export function liftView(memory: WebAssembly.Memory, ptr: number, bytes: number, what = 'list'): Uint8Array {
  ptr >>>= 0;
  const buffer = memory.buffer;
  if (ptr + bytes > buffer.byteLength) throw outOfBounds(what, ptr, bytes, buffer.byteLength);
  chargeLift(bytes);
  return new Uint8Array(buffer, ptr, bytes);
}

/** A UTF-8 string of `len` bytes at `ptr`: charged, bounds-checked, and invalid UTF-8 traps. */
export function liftUtf8(memory: WebAssembly.Memory, ptr: number, len: number): string {
  return decodeUtf8(liftView(memory, ptr, len >>> 0, 'string'));
}

/** Strict UTF-8 decoding of guest bytes already bounds-checked and charged: invalid UTF-8 traps. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new TrapError('invalid-utf8', 'wasm trap: canonical ABI: string is not valid UTF-8');
  }
}

/** A UTF-16 string of `len` code units at `ptr` (2-byte aligned), likewise. */
export function liftUtf16(memory: WebAssembly.Memory, ptr: number, len: number): string {
  if ((ptr & 1) !== 0) throw new TrapError('misaligned', `wasm trap: canonical ABI: UTF-16 string pointer ${ptr >>> 0} is not 2-byte aligned`);
  const view = liftView(memory, ptr, (len >>> 0) * 2, 'string');
  try {
    return UTF16.decode(view);
  } catch {
    throw new TrapError('invalid-utf8', 'wasm trap: canonical ABI: string is not valid UTF-16');
  }
}

/** A copy of `bytes` guest bytes at `ptr` (jco's typed-list lift), charged and bounds-checked. */
export function liftCopy(memory: WebAssembly.Memory, ptr: number, bytes: number): ArrayBuffer {
  const view = liftView(memory, ptr, bytes);
  return view.slice().buffer;
}

/** What jco's patched glue calls (`patchGlue`): the same checks and charges as the fast glue. */
export const GLUE_LIFT = Object.freeze({ utf8: liftUtf8, utf16: liftUtf16, copy: liftCopy, list: chargeList });
(globalThis as Record<symbol, unknown>)[Symbol.for('sfirt.lift')] = GLUE_LIFT;
