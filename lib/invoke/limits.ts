import type { CoreTransform } from '../component/loader.js';
import { DeadlineExceededError, FuelExhaustedError, InvalidArgumentError, type SfiError } from '../errors.js';
import { instrumentModule, WASM_PAGE_BYTES } from '../instrument/index.js';
import { exportState } from '../instrument/export-state.js';
import { importMemories } from '../instrument/import-memory.js';
import { rewriterCodeHash } from '../instrument/code-hash.js';
import { MULTI_MEMORY, trackDirtyPages } from '../instrument/dirty-pages.js';
import { classifyTrap, Meter } from '../limits/index.js';
import { armLiftBudget, disarmLiftBudget } from '../limits/lift.js';
import type { ComponentInstance, InstanceHooks } from '../pool/instance.js';
import { callDeadline, callFuel } from '../limits/call-deadline.js';

/**
 * Per-function resource limits. Every call of the function runs under all of them, and so does
 * every instantiation (start functions are metered like a call).
 */
export interface Limits {
  /**
   * Cap on the linear memory of one component instance, in bytes (rounded down to 64 KiB pages):
   * every memory's maximum is lowered to it, and all the instance's memories together stay under it.
   */
  memoryBytes?: number | null;
  /** Cap on the table elements of one component instance, all its tables together. */
  tableElements?: number | null;
  /** Fuel per call (≈ wasm instructions executed; bulk operations by size); `FUEL_EXHAUSTED`. */
  fuel?: number | null;
  /** Wall-clock budget per call in ms, guest and host imports together; `DEADLINE_EXCEEDED`. */
  timeoutMs?: number | null;
  /**
   * Bytes the host lifts from the guest per call: the result and the arguments of the host imports
   * it calls, each aliased element in full; `RESULT_LIMIT_EXCEEDED`. Default: `memoryBytes`.
   */
  resultBytes?: number | null;
  /**
   * Filesystem resources one instance may hold at once (descriptors, preopens included, directory
   * listings and file streams); past it the guest gets the WASI error `insufficient-memory`.
   */
  openFiles?: number | null;
}

/** Limits applied when neither the runtime nor the function sets them (`resultBytes`: `memoryBytes`). */
export const DEFAULT_LIMITS: Readonly<Required<Pick<Limits, 'memoryBytes' | 'tableElements' | 'timeoutMs' | 'openFiles'>>> = {
  memoryBytes: 256 * 1024 * 1024,
  tableElements: 100_000,
  timeoutMs: 10_000,
  openFiles: 256,
};

/**
 * Checks user-supplied limits; `null`/`Infinity` mean "no limit". An absent `resultBytes` is the
 * memory cap (see {@link defaultResultBytes}).
 */
export function normaliseLimits(limits: Limits): NormalisedLimits {
  const out: NormalisedLimits = {};
  for (const [key, value] of Object.entries(limits) as [keyof Limits, unknown][]) {
    if (value === undefined || value === null || value === Infinity) continue;
    if (typeof value !== 'number' || !(value > 0) || (key !== 'timeoutMs' && !Number.isInteger(value))) {
      throw new InvalidArgumentError(`limits.${key} must be a positive ${key === 'timeoutMs' ? 'number' : 'integer'}, got ${String(value)}`);
    }
    out[key] = value;
  }
  return defaultResultBytes(limits, out);
}

/**
 * Fills in `resultBytes` when the merged limits do not mention it: the memory cap, or the default
 * memory cap when memory is unlimited (`null` keeps it unlimited).
 */
export function defaultResultBytes(merged: Limits, out: NormalisedLimits): NormalisedLimits {
  if (merged.resultBytes === undefined) out.resultBytes = out.memoryBytes ?? (DEFAULT_LIMITS.memoryBytes as number);
  return out;
}

/** Limits with every "no limit" spelled as undefined. */
export type NormalisedLimits = { [K in keyof Limits]?: number };

/**
 * Rewrites each core module: memory/table caps, and metering for fuel, deadlines and `fuelUsed`;
 * with `exportStateForReset`, also exports the state a `reset` pool restores between calls.
 */
export function limitsTransform(limits: NormalisedLimits, exportStateForReset = false): CoreTransform {
  const memoryMaxPages = limits.memoryBytes === undefined ? undefined : Math.floor(limits.memoryBytes / WASM_PAGE_BYTES);
  const code = rewriterCodeHash(import.meta.url);
  const cacheId = code === undefined ? undefined : JSON.stringify({ code, memoryMaxPages: memoryMaxPages ?? null, tableElements: limits.tableElements ?? null, reset: exportStateForReset, dirtyPages: DIRTY_PAGES });
  return Object.assign((_name: string, bytes: Uint8Array) => {
    // Each module keeps its own fuel counter (cheaper than an imported global on call-heavy code);
    // the instance's Meter attaches them all, so fuel stays shared by the whole component.
    const out = instrumentModule(bytes, { memoryMaxPages, tableMaxElements: limits.tableElements, meter: true, fuelGlobal: 'own' }).bytes;
    // `reset` pools snapshot defined memories and, where the engine has multi-memory, track the
    // pages each call dirties so a reset restores only those; every other pool recycles memories
    // (importMemories) and pays nothing for tracking.
    if (!exportStateForReset) return importMemories(out);
    const state = exportState(out);
    return DIRTY_PAGES ? trackDirtyPages(state).bytes : state;
  }, { cacheId });
}

/**
 * `reset` pools track dirty pages (lib/instrument/dirty-pages.ts) when the engine validates
 * multi-memory (Node ≥ 22); on Node 20 a reset copies every memory back whole.
 */
export const DIRTY_PAGES = MULTI_MEMORY;

/**
 * Per-instance hooks: a fresh meter (fuel is shared by all core modules of one instance, and so
 * are the memory and table totals), and a snapshot for `reset` pools.
 */
export function meterHooks(snapshot: boolean, limits: NormalisedLimits = {}): () => InstanceHooks {
  const caps = {
    ...(limits.memoryBytes === undefined ? {} : { memoryPages: Math.floor(limits.memoryBytes / WASM_PAGE_BYTES) }),
    ...(limits.tableElements === undefined ? {} : { tableElements: limits.tableElements }),
  };
  return () => {
    const meter = new Meter({ caps });
    return { imports: meter.imports, meter, snapshot, dirtyPages: snapshot && DIRTY_PAGES };
  };
}

/**
 * The per-call side: arm the meter and the lift budget, read fuel, turn limit stops into typed
 * errors. A call's deadline is the earlier of `limits.timeoutMs` after it starts and the caller's
 * own `deadlineAt` (e.g. an HTTP route's budget); it stops the guest through the meter, bounds
 * lifting, and is published in `callDeadline` for the host imports that do long work. An
 * instantiation (start functions) is armed the same way, as a call of its own.
 */
export function callLimits(limits: NormalisedLimits) {
  let startedAt = 0;
  let budgetMs: number | undefined;
  return {
    arm(meter: Meter | undefined, deadlineAt: number | undefined, now: number): void {
      startedAt = now;
      let at = limits.timeoutMs === undefined ? undefined : startedAt + limits.timeoutMs;
      // The budget reported in a DeadlineExceededError is the configured `timeoutMs` itself when it
      // applies (`at - startedAt` would carry float rounding: 39.99999999999977 for 40).
      budgetMs = limits.timeoutMs;
      if (deadlineAt !== undefined && (at === undefined || deadlineAt < at)) {
        at = deadlineAt;
        budgetMs = at - startedAt;
      }
      callDeadline.at = at;
      callDeadline.budgetMs = budgetMs ?? NaN;
      callDeadline.startedAt = now;
      callFuel.meter = meter;
      armLiftBudget(limits.resultBytes ?? Infinity, at, now, budgetMs);
      meter?.startCall(limits.fuel, at, now);
    },
    /**
     * The call returned (or failed): host imports outside a call see no deadline. Returns the
     * error the call must still fail with, if any: a lift-budget failure the guest caught inside a
     * host import, or fuel overdrawn past the limit (fuel is checked at function entries and loop
     * headers, so straight-line code at the end of a call can overdraw by a few units; such a call
     * fails, so every call that succeeds used at most `limits.fuel`).
     */
    disarm(meter?: Meter): Error | undefined {
      callDeadline.at = undefined;
      callFuel.meter = undefined;
      const failure = disarmLiftBudget();
      if (failure) return failure;
      if (meter && limits.fuel !== undefined && meter.fuelUsed > limits.fuel) return new FuelExhaustedError(limits.fuel);
      return undefined;
    },
    /**
     * Typed error for a limit that stopped work inside a host import (which handed the guest an
     * error value): the fuel the import charged ran out, else the deadline passed.
     */
    deadlineError(instance?: ComponentInstance): SfiError {
      const meter = instance?.hooks.meter;
      if (meter?.stopReason === 'fuel') return new FuelExhaustedError(limits.fuel ?? meter.fuelUsed);
      return new DeadlineExceededError(budgetMs ?? NaN, performance.now() - startedAt);
    },
    /** This function's per-call state, kept by a call suspended on an async import (call-frame.ts). */
    save(): [number, number | undefined] {
      return [startedAt, budgetMs];
    },
    restore(saved: [number, number | undefined]): void {
      [startedAt, budgetMs] = saved;
    },
    fuelUsed(instance: ComponentInstance): number | undefined {
      return instance.hooks.meter?.fuelUsed;
    },
    classify(meter: Meter | undefined, err: unknown): SfiError | undefined {
      return meter && classifyTrap(meter, err, { ...limits, ...(budgetMs === undefined ? {} : { timeoutMs: budgetMs }), startedAt });
    },
  };
}
