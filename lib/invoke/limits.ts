import type { CoreTransform } from '../component/loader.js';
import { DeadlineExceededError, InvalidArgumentError, type SfiError } from '../errors.js';
import { instrumentModule, WASM_PAGE_BYTES } from '../instrument/index.js';
import { exportState } from '../instrument/export-state.js';
import { importMemories } from '../instrument/import-memory.js';
import { classifyTrap, Meter } from '../limits/index.js';
import type { ComponentInstance, InstanceHooks } from './instance.js';
import { callDeadline } from './call-deadline.js';

/** Per-function resource limits. Every call of the function runs under all of them. */
export interface Limits {
  /** Cap on every linear memory of the component's core modules, in bytes (rounded down to 64 KiB pages). */
  memoryBytes?: number | null;
  /** Cap on every table's growth, in elements. */
  tableElements?: number | null;
  /** Fuel per call (≈ wasm instructions executed); exhaustion is `FUEL_EXHAUSTED`. */
  fuel?: number | null;
  /** Wall-clock budget per call in ms, guest and host imports together; `DEADLINE_EXCEEDED`. */
  timeoutMs?: number | null;
  /**
   * Filesystem resources one instance may hold at once (descriptors, preopens included, directory
   * listings and file streams); past it the guest gets the WASI error `insufficient-memory`.
   */
  openFiles?: number | null;
}

/** Limits applied when neither the runtime nor the function sets them. */
export const DEFAULT_LIMITS: Readonly<Required<Pick<Limits, 'memoryBytes' | 'timeoutMs' | 'openFiles'>>> = {
  memoryBytes: 256 * 1024 * 1024,
  timeoutMs: 10_000,
  openFiles: 256,
};

/** Checks user-supplied limits; `null`/`Infinity` mean "no limit" for fuel and timeout. */
export function normaliseLimits(limits: Limits): NormalisedLimits {
  const out: NormalisedLimits = {};
  for (const [key, value] of Object.entries(limits) as [keyof Limits, unknown][]) {
    if (value === undefined || value === null || value === Infinity) continue;
    if (typeof value !== 'number' || !(value > 0) || (key !== 'timeoutMs' && !Number.isInteger(value))) {
      throw new InvalidArgumentError(`limits.${key} must be a positive ${key === 'timeoutMs' ? 'number' : 'integer'}, got ${String(value)}`);
    }
    out[key] = value;
  }
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
  return (_name, bytes) => {
    // Each module keeps its own fuel counter (cheaper than an imported global on call-heavy code);
    // the instance's Meter attaches them all, so fuel stays shared by the whole component.
    const out = instrumentModule(bytes, { memoryMaxPages, tableMaxElements: limits.tableElements, meter: true, fuelGlobal: 'own' }).bytes;
    // `reset` pools snapshot defined memories; every other pool recycles them (importMemories).
    return exportStateForReset ? exportState(out) : importMemories(out);
  };
}

/** Per-instance hooks: a fresh meter (fuel is shared by all core modules of one instance), and a snapshot for `reset` pools. */
export function meterHooks(snapshot: boolean): () => InstanceHooks {
  return () => {
    const meter = new Meter();
    return { imports: meter.imports, meter, snapshot };
  };
}

/**
 * The per-call side: arm the meter, read fuel, turn limit stops into typed errors. A call's
 * deadline is the earlier of `limits.timeoutMs` after it starts and the caller's own `deadlineAt`
 * (e.g. an HTTP route's budget); it stops the guest through the meter and is published in
 * `callDeadline` for the host imports that do long work.
 */
export function callLimits(limits: NormalisedLimits) {
  let startedAt = 0;
  let budgetMs: number | undefined;
  return {
    arm(instance: ComponentInstance, deadlineAt: number | undefined, now: number): void {
      startedAt = now;
      let at = limits.timeoutMs === undefined ? undefined : startedAt + limits.timeoutMs;
      if (deadlineAt !== undefined && (at === undefined || deadlineAt < at)) at = deadlineAt;
      budgetMs = at === undefined ? undefined : at - startedAt;
      callDeadline.at = at;
      instance.hooks.meter?.start({ fuel: limits.fuel, deadline: at, now });
    },
    /** The call returned (or failed): host imports outside a call see no deadline. */
    disarm(): void {
      callDeadline.at = undefined;
    },
    /** Typed error for a deadline that passed inside a host import (which handed the guest an error value). */
    deadlineError(): SfiError {
      return new DeadlineExceededError(budgetMs ?? NaN, performance.now() - startedAt);
    },
    fuelUsed(instance: ComponentInstance): number | undefined {
      return instance.hooks.meter?.fuelUsed;
    },
    classify(instance: ComponentInstance, err: unknown): SfiError | undefined {
      const meter = instance.hooks.meter;
      return meter && classifyTrap(meter, err, { ...limits, ...(budgetMs === undefined ? {} : { timeoutMs: budgetMs }), startedAt });
    },
  };
}
