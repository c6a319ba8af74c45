import { ClosedError, InvalidArgumentError, OverloadedError } from '../errors.js';
import type { ComponentInstance } from './instance.js';

/**
 * - `reset` (default): a warm instance put back in its post-initialisation state after every
 *   call — memories, mutable globals, tables, the glue's handle tables, and the host state it
 *   owns (files, streams, wasi:nn and wasi:http resources opened since initialisation are
 *   released; seeded clocks and random restart) — so each call starts from the same state at
 *   pool-hit cost. An instance whose memory or table grew is replaced instead.
 * - `fresh`: every call gets a never-used instance; spares are made ahead of demand, off the call
 *   path; the used one is discarded (everything it held released).
 * - `reuse`: a warm instance serves call after call; its state persists (like a warm Lambda):
 *   guest memory, open handles, seeded streams continue. Only for functions whose callers may
 *   share state.
 * In every mode a call that fails (trap, limit, host error, invalid result) discards its instance.
 */
export type PoolMode = 'fresh' | 'reuse' | 'reset';

export interface PoolOptions {
  mode?: PoolMode;
  /** Instances kept ready (spares in `fresh`, warm ones in `reuse`). */
  min?: number;
  /** Most instances alive at once, busy or idle. */
  max?: number;
  /**
   * Calls allowed to wait for an instance beyond `max`; more fail with `OVERLOADED`. In-thread,
   * a call runs to completion synchronously once it has an instance, so the pool is at `max` only
   * while resource handles pin its instances; in a worker runtime, while calls are in flight.
   */
  maxQueue?: number;
  /** Idle instances above `min` are released after this long. */
  idleTimeoutMs?: number;
}

export const DEFAULT_POOL: Required<PoolOptions> = { mode: 'reset', min: 1, max: 16, maxQueue: 1024, idleTimeoutMs: 30_000 };

/** Acquired instance plus how it was obtained. */
export interface Lease {
  readonly instance: ComponentInstance;
  /** True when no ready instance was available and the call paid for instantiation. */
  readonly cold: boolean;
  /** Microseconds spent queued for a free slot. */
  readonly queueUs: number;
}

/** The lease of a pool hit: one per instance, made once (leases are never changed). */
function hit(instance: ComponentInstance): Lease {
  return instance.hitLease ??= { instance, cold: false, queueUs: 0 };
}

/** Instances of one function. Broken instances are dropped, never returned to the pool. */
export class InstancePool {
  readonly options: Required<PoolOptions>;
  #idle: ComponentInstance[] = [];
  #busy = 0;
  #waiters: (() => void)[] = [];
  #refillScheduled = false;
  /**
   * A background refill failed (e.g. a start function hit its limits): no more background
   * instantiation until one on a call's path succeeds, so a failing start cannot keep taking the
   * event loop off the call path; the next call instantiates itself and reports the error.
   */
  #refillFailed = false;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * @param create instantiates one instance; `deadlineAt` (a `performance.now()` time) is the
   *   deadline of the call that waits for it, if one does (instantiation is metered like a call).
   */
  constructor(private readonly create: (deadlineAt?: number) => ComponentInstance, options: PoolOptions = {}) {
    this.options = { ...DEFAULT_POOL, ...options };
    const { min, max, maxQueue } = this.options;
    if (!['fresh', 'reuse', 'reset'].includes(this.options.mode)) {
      throw new InvalidArgumentError(`pool.mode must be 'fresh', 'reuse' or 'reset', got ${JSON.stringify(this.options.mode)}`);
    }
    if (!(Number.isInteger(min) && min >= 0 && Number.isInteger(max) && max >= 1 && min <= max && Number.isInteger(maxQueue) && maxQueue >= 0)) {
      throw new InvalidArgumentError(`invalid pool options: ${JSON.stringify(options)} (need integers 0 <= min <= max, max >= 1, maxQueue >= 0)`);
    }
  }

  get size(): number { return this.#idle.length + this.#busy; }
  get idleCount(): number { return this.#idle.length; }
  get busyCount(): number { return this.#busy; }
  get queued(): number { return this.#waiters.length; }

  /** Instantiates up to `min` ready instances now (load-time warm-up). */
  prewarm(): void {
    while (!this.#closed && this.#idle.length < this.options.min && this.size < this.options.max) this.#idle.push(this.create());
  }

  /** Idle instances this says to keep are never released by the idle timeout (live resource handles). */
  retain: (instance: ComponentInstance) => boolean = () => false;

  /** Leases `instance` itself when it is idle (a call that must run on it), else undefined. */
  takeIdle(instance: ComponentInstance): Lease | undefined {
    const i = this.#idle.indexOf(instance);
    if (i < 0) return undefined;
    this.#idle.splice(i, 1);
    this.#busy++;
    return hit(instance);
  }

  /**
   * A synchronous lease when a slot is free (the common case), else undefined. A pool miss
   * instantiates under the caller's `deadlineAt` (and the function's own limits); its failure is thrown.
   */
  tryAcquire(deadlineAt?: number): Lease | undefined {
    if (this.#waiters.length > 0) return undefined; // keep FIFO order behind queued callers
    return this.#take(deadlineAt);
  }

  /** Waits for a lease; fails fast with `OVERLOADED` when the queue is full. */
  async acquire(deadlineAt?: number): Promise<Lease> {
    const now = this.tryAcquire(deadlineAt);
    if (now) return now;
    if (this.#waiters.length >= this.options.maxQueue) {
      throw new OverloadedError(`pool is full (${this.options.max} instances busy, ${this.#waiters.length} calls queued)`);
    }
    const t0 = performance.now();
    for (;;) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
      if (this.#closed) throw new ClosedError('pool is closed');
      // Woken by a release: the freed slot is ours, whoever else is still queued.
      const lease = this.#take(deadlineAt);
      if (lease) return { instance: lease.instance, cold: lease.cold, queueUs: (performance.now() - t0) * 1000 };
    }
  }

  #take(deadlineAt: number | undefined): Lease | undefined {
    const ready = this.#idle.pop();
    if (ready) { this.#busy++; return hit(ready); }
    if (this.size >= this.options.max) return undefined;
    this.#busy++;
    try {
      const instance = this.create(deadlineAt);
      this.#refillFailed = false;
      return { instance, cold: true, queueUs: 0 };
    } catch (err) {
      this.#busy--;
      this.#wakeNext(); // the slot is free again for a queued caller
      throw err;
    }
  }

  /**
   * Returns a leased instance. `fresh` and broken instances are discarded (`dispose()` releases
   * what they hold); `reset` ones are restored first (`reset()`), or discarded when they cannot be.
   * `now` (`performance.now()`) saves reading the clock when the caller just did.
   */
  release(instance: ComponentInstance, now = performance.now()): void {
    this.#busy--;
    instance.lastUsedAt = now;
    const { mode } = this.options;
    const keep = !instance.broken && !this.#closed && (mode === 'reuse' || (mode === 'reset' && instance.reset()));
    if (keep) this.#idle.push(instance);
    else instance.dispose();
    this.#wakeNext();
    this.#scheduleMaintenance();
  }

  #wakeNext(): void {
    const next = this.#waiters.shift();
    if (next) next();
  }

  /** Refills spares off the call path, and releases idle instances above `min` after the idle timeout. */
  #scheduleMaintenance(): void {
    if (!this.#refillScheduled && !this.#refillFailed && this.#idle.length < this.options.min) {
      this.#refillScheduled = true;
      setImmediate(() => {
        this.#refillScheduled = false;
        try { this.prewarm(); } catch { this.#refillFailed = true; /* the next call reports the failure */ }
      });
    }
    if (!this.#sweep && this.#idle.length > this.options.min) {
      this.#sweep = setTimeout(() => {
        this.#sweep = undefined;
        const cutoff = performance.now() - this.options.idleTimeoutMs;
        this.#idle = this.#idle.filter((inst, i) => {
          const keep = i < this.options.min || inst.lastUsedAt > cutoff || this.retain(inst);
          if (!keep) inst.dispose();
          return keep;
        });
        if (this.#idle.length > this.options.min) this.#scheduleMaintenance();
      }, this.options.idleTimeoutMs);
      this.#sweep.unref();
    }
  }

  /** Releases every idle instance now (the next call is a pool miss, unless a refill ran first). */
  drain(): void {
    for (const inst of this.#idle.splice(0)) inst.dispose();
  }

  close(): void {
    this.#closed = true;
    this.drain();
    if (this.#sweep) clearTimeout(this.#sweep);
    for (const w of this.#waiters.splice(0)) w();
  }
}
