import { InvalidArgumentError, LimitTooLowError } from '../errors.js';
import { METER_FUEL_EXPORT, METER_IMPORT_MODULE, METER_IMPORTS, RESERVE_SECTION } from '../instrument/instrument.js';
import { GROW_FUEL_PER_PAGE, WORK } from '../instrument/bulk-ops.js';

/** Why the last metered call was stopped by the host, if it was. */
export type StopReason = 'fuel' | 'deadline' | 'memory';

/**
 * First fuel slice of a call with a deadline. The guest calls the host once per slice, and the
 * host checks the clock then, so the slice bounds deadline overshoot. On this machine wasm burns
 * 1–50 G fuel/s in tight loops (most wasm instructions are local moves), and a refill costs ~0.1 µs.
 */
export const DEFAULT_FUEL_SLICE = 100_000;
/**
 * Wall time one slice should last once the guest's fuel rate is known: later slices are sized
 * from the rate measured over the previous one (slicing never changes where a fuel limit stops).
 */
export const SLICE_TARGET_MS = 0.2;
const MIN_SLICE = 1_000;
/** Largest slice the i32 fuel global can hold. */
const MAX_SLICE = 0x7fffffff;

/** Limits for one guest call. */
export interface MeterLimits {
  /** Total fuel (≈ wasm instructions) for the call; undefined = unlimited. */
  fuel?: number;
  /** Absolute deadline in `performance.now()` milliseconds; undefined = none. */
  deadline?: number;
  /** `performance.now()` at the start of the call, when the caller has it (saves reading the clock). */
  now?: number;
}

/** Totals one component instance may hold over its lifetime (all its core modules together). */
export interface InstanceCaps {
  /** Pages of linear memory (64 KiB) across every memory of the instance. */
  memoryPages?: number;
  /** Elements across every table of the instance. */
  tableElements?: number;
}

const reservations = new WeakMap<WebAssembly.Module, [pages: number, elements: number]>();

/**
 * What a metered module's own memories and tables take at instantiation (its
 * `sfirt:reserve` custom section; [0, 0] for a module without one). Cached per module.
 */
export function reservationOf(module: WebAssembly.Module): [pages: number, elements: number] {
  let r = reservations.get(module);
  if (!r) {
    r = [0, 0];
    const [section] = WebAssembly.Module.customSections(module, RESERVE_SECTION);
    if (section) {
      const b = new Uint8Array(section);
      let pos = 0;
      const u32 = () => { let v = 0, shift = 0, byte: number; do { byte = b[pos++]!; v += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80); return v; };
      r = [u32(), u32()];
    }
    reservations.set(module, r);
  }
  return r;
}

/**
 * Host side of the metering that {@link instrumentModule} inserts: one per component instance,
 * shared by all its core modules (pass {@link Meter.imports} to every instantiation, and for
 * modules instrumented with `fuelGlobal: 'own'` pass each instance's exports to
 * {@link Meter.attach}). Fuel is one budget per instance whichever module holds it: every counter
 * (the shared imported global and each attached module's own global) is fuel handed out; a module
 * that runs dry asks for more, and the host reclaims the others' fuel before it would refuse. Call
 * {@link Meter.start} before each guest call, then read {@link Meter.fuelUsed} and
 * {@link Meter.stopReason}. Not re-entrant across concurrent calls (a component instance runs one
 * call at a time). Start functions run metered during instantiation: call `start()` (unlimited) or
 * `start(limits)` before instantiating, since a stopped meter refuses all fuel until the next start.
 *
 * With jco: `instantiateCore = (m, imports) => new WebAssembly.Instance(m, { ...imports, ...meter.imports })`.
 * Throws {@link InvalidArgumentError} for a bad slice or fuel value.
 */
export class Meter {
  /** Fuel left in the current slice of modules that import it (`fuelGlobal: 'imported'`). */
  readonly fuelGlobal = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
  /** Every fuel counter: attached modules' own globals, then the shared imported one. */
  readonly #counters: WebAssembly.Global[] = [this.fuelGlobal];
  /** Scratch for `startCall`: each counter's value as read (same index as `#counters`). */
  readonly #seen: number[] = [0];
  /** The import object fragment: `{ 'sfirt:meter': { fuel, refill, grant, memory_refused, work } }`. */
  readonly imports: Record<string, Record<string, WebAssembly.ImportValue>>;
  readonly #slice: number;
  #limit = Infinity;
  #deadline: number | undefined;
  /** Fuel handed out since start, minus what was given back; used = this − Σ counters. */
  #handedOut = 0;
  #stop: 'fuel' | 'deadline' | undefined;
  #memoryRefused = false;
  #refills = 0;
  /** Start of the current slice (time, fuel used) for the rate estimate. */
  #sliceStartMs = 0;
  #sliceStartUsed = 0;
  #nextSlice: number;

  readonly #adaptive: boolean;
  readonly #caps: Required<InstanceCaps>;
  /** Memory pages and table elements the instance holds (instantiation and grows). */
  #pages = 0;
  #elements = 0;

  /**
   * @param options.slice first fuel slice of a call with a deadline (default {@link DEFAULT_FUEL_SLICE})
   * @param options.adaptive size later slices from the measured fuel rate (default true); false
   *   keeps every slice at `slice` (tests)
   * @param options.caps the instance's total memory pages and table elements (default: none)
   */
  constructor(options: { slice?: number; adaptive?: boolean; caps?: InstanceCaps } = {}) {
    this.#adaptive = options.adaptive ?? true;
    this.#caps = { memoryPages: options.caps?.memoryPages ?? Infinity, tableElements: options.caps?.tableElements ?? Infinity };
    const slice = options.slice ?? DEFAULT_FUEL_SLICE;
    if (!Number.isInteger(slice) || slice < 1 || slice > MAX_SLICE) throw new InvalidArgumentError(`slice must be an integer in 1..${MAX_SLICE}, got ${slice}`);
    this.#slice = slice;
    this.#nextSlice = slice;
    this.imports = {
      [METER_IMPORT_MODULE]: {
        [METER_IMPORTS.fuel]: this.fuelGlobal,
        [METER_IMPORTS.refill]: (need: number) => this.#refillShared(need),
        [METER_IMPORTS.grant]: (need: number, left: number) => this.#request(need, left),
        [METER_IMPORTS.memoryRefused]: () => { this.#memoryRefused = true; return 0; },
        [METER_IMPORTS.work]: (code: number, amount: number) => this.#work(code, amount),
      },
    };
    this.start();
  }

  /** Resets the counters and sets the limits for the next call. */
  start(limits: MeterLimits = {}): void {
    this.startCall(limits.fuel, limits.deadline, limits.now);
  }

  /** {@link start} with the limits as arguments (the per-call path: no options object). */
  startCall(fuelLimit: number | undefined, deadline: number | undefined, now?: number): void {
    const fuel = fuelLimit ?? Infinity;
    if (!(fuel >= 0)) throw new InvalidArgumentError(`fuel must be a number >= 0, got ${fuelLimit}`);
    this.#limit = fuel;
    this.#deadline = deadline;
    this.#stop = undefined;
    this.#memoryRefused = false;
    this.#refills = 0;
    this.#nextSlice = this.#slice;
    if (deadline !== undefined) {
      this.#sliceStartMs = now ?? performance.now();
      this.#sliceStartUsed = 0;
    }
    // Every counter gets a first slice while the limit allows, the fullest first: it is probably the
    // hot module's (the last grant went there), so a call usually starts without a host call. The
    // limit stays exact: Σ counters never exceeds it, and a refusal reclaims everything first.
    // (Each `.value` crosses into V8's API: read every counter once, write only those whose value
    // changes — after a short call, just the hot module's — and allocate nothing.)
    const counters = this.#counters;
    const seen = this.#seen;
    let fullest = 0;
    let most = -1;
    for (let i = 0; i < counters.length; i++) {
      const v = counters[i]!.value as number;
      seen[i] = v;
      if (v > most) { most = v; fullest = i; }
    }
    this.#handedOut = 0;
    let grant = this.#take(0);
    if (seen[fullest] !== grant) counters[fullest]!.value = grant;
    for (let i = 0; i < counters.length; i++) {
      if (i === fullest) continue;
      grant = this.#take(0);
      if (seen[i] !== grant) counters[i]!.value = grant;
    }
  }

  /**
   * Adds the fuel global of a core instance whose module was instrumented with
   * `fuelGlobal: 'own'` (exported as {@link METER_FUEL_EXPORT}); call it right after each
   * instantiation of the component instance, with the instance's exports. Exports without that
   * global are ignored, so it is safe to call for every core instance. Until a module is attached
   * (its start function runs during instantiation), the fuel it holds is not reclaimed by others.
   */
  attach(exports: WebAssembly.Exports): void {
    const g = exports[METER_FUEL_EXPORT];
    if (!(g instanceof WebAssembly.Global) || this.#counters.includes(g)) return;
    // Keep the shared imported counter last (start() prefers earlier counters on ties).
    this.#counters.splice(this.#counters.length - 1, 0, g);
    this.#seen.push(0);
  }

  /**
   * Counts what one core module's own memories and tables take (see {@link reservationOf})
   * against the instance's totals; call it before instantiating the module.
   * @throws LimitTooLowError when the instance would exceed them (the component needs more than
   *   the limits allow just to start).
   */
  reserve(pages: number, elements: number): void {
    if (this.#pages + pages > this.#caps.memoryPages) {
      throw new LimitTooLowError(`the component's memories need more than limits.memoryBytes at instantiation (${this.#pages + pages} pages of 64 KiB, cap ${this.#caps.memoryPages})`);
    }
    if (this.#elements + elements > this.#caps.tableElements) {
      throw new LimitTooLowError(`the component's tables need more than limits.tableElements at instantiation (${this.#elements + elements} elements, cap ${this.#caps.tableElements})`);
    }
    this.#pages += pages;
    this.#elements += elements;
  }

  /** Memory pages and table elements the instance holds (all its memories and tables). */
  get held(): { memoryPages: number; tableElements: number } {
    return { memoryPages: this.#pages, tableElements: this.#elements };
  }

  /**
   * `work(code, amount)` from the bulk helpers (lib/instrument/bulk-ops.ts): a clock tick after
   * bulk work, a grow request (1 go, 0 refused by the instance's total, -1 stop), or a refund of a
   * grow V8 refused. A grow checks the deadline first and is charged fuel by what it costs V8: a
   * memory grow by its pages (plus one: each grow can cost V8 a full GC, so a guest growing page by
   * page is stopped at its deadline, not after), a table grow by the instance's table size after
   * it (V8 copies the whole table on every grow).
   */
  #work(code: number, amount: number): number {
    const op = code & 3;
    const table = (code & WORK.table) !== 0;
    const n = amount >>> 0;
    if (op === WORK.refund) {
      if (table) this.#elements -= n; else this.#pages -= n;
      return 0;
    }
    if (this.#stop || !this.#beforeDeadline()) return -1;
    if (op === WORK.tick) return 1;
    if (table ? this.#elements + n > this.#caps.tableElements : this.#pages + n > this.#caps.memoryPages) return 0;
    if (!this.#consume(table ? this.#elements + n + 1 : (n + 1) * GROW_FUEL_PER_PAGE)) return -1;
    if (table) this.#elements += n; else this.#pages += n;
    return 1;
  }

  /** False (and the stop recorded) once the deadline has passed. */
  #beforeDeadline(): boolean {
    if (this.#deadline !== undefined && performance.now() >= this.#deadline) {
      this.#stop = 'deadline';
      return false;
    }
    return true;
  }

  /** Uses `cost` fuel on the host's side (growth); false (and the stop recorded) past the limit. */
  #consume(cost: number): boolean {
    if (this.#limit !== Infinity && this.#handedOut - this.#held() + cost > this.#limit) {
      this.#stop = 'fuel';
      return false;
    }
    this.#handedOut += cost;
    return true;
  }

  /**
   * Fuel the guest used since {@link start}. Exact at call boundaries; after a trap it may miss the
   * last few runs of the trapping function (its cached counter was not written back). Fuel is
   * enforced at function entries and loop headers, so between two such checks a guest may overdraw
   * by the cost of the straight-line code in between (bounded by the code size, deterministic);
   * the run that failed a check is not counted.
   */
  get fuelUsed(): number {
    return this.#handedOut - this.#held();
  }

  /** Fuel the call may still use (Infinity without a fuel limit). */
  get fuelLeft(): number {
    return this.#limit === Infinity ? Infinity : Math.max(0, this.#limit - this.fuelUsed);
  }

  /**
   * Charges `units` of fuel for work a host function did on the guest's behalf (inference, say).
   * Past the limit the meter stops the guest: every counter is emptied, so its next check asks
   * for fuel and is refused (`stopReason` 'fuel'). Returns false when the limit was exceeded.
   */
  charge(units: number): boolean {
    if (!(units > 0)) return true;
    this.#handedOut += units;
    const used = this.#handedOut - this.#held();
    if (used <= this.#limit) return true;
    for (const c of this.#counters) c.value = 0;
    this.#handedOut = used;
    this.#stop = 'fuel';
    return false;
  }

  /**
   * The call's deadline passed while the host worked for the guest (an app import that took its
   * time): empties every counter, so the guest's next fuel check (function entry or loop header)
   * asks the host and is refused, and the call stops with `stopReason` 'deadline'. Without this a
   * loop around a slow import burns almost no fuel and never asks, outliving its deadline.
   */
  expire(): void {
    const used = this.#handedOut - this.#held();
    for (const c of this.#counters) c.value = 0;
    this.#handedOut = used;
    this.#stop ??= 'deadline';
  }

  /** Fuel sitting in the counters (handed out, not used yet). */
  #held(): number {
    let held = 0;
    for (const c of this.#counters) held += c.value;
    return held;
  }

  /** 'fuel' or 'deadline' when the host stopped the guest; 'memory' when a capped grow was refused. */
  get stopReason(): StopReason | undefined {
    return this.#stop ?? (this.#memoryRefused ? 'memory' : undefined);
  }

  /** How many times the guest asked for more fuel since {@link start} (diagnostics). */
  get refills(): number {
    return this.#refills;
  }

  /**
   * Hands out the next amount for a counter that needs at least `need` (within the limit: the
   * caller checked). Without a deadline nobody needs to hear from the guest before its fuel runs out.
   */
  #take(need: number): number {
    const slice = this.#deadline === undefined ? MAX_SLICE : this.#nextSlice;
    const grant = Math.max(0, Math.min(Math.max(slice, need), this.#limit - this.#handedOut, MAX_SLICE));
    this.#handedOut += grant;
    return grant;
  }

  /** `refill(need)` of modules sharing the imported global: 1 = go on, 0 = stop. */
  #refillShared(need: number): number {
    const left = this.fuelGlobal.value;
    this.fuelGlobal.value = 0;
    const fuel = this.#request(need, left);
    if (fuel < 0) return 0;
    this.fuelGlobal.value = fuel;
    return 1;
  }

  /**
   * A counter with `left` fuel (no longer in any counter) cannot pay the next run of `need` units:
   * returns its new fuel, or -1 = stop. Stops exactly when the instance's total use plus `need`
   * exceeds the limit, whichever module asks and however the fuel was sliced.
   */
  #request(need: number, left: number): number {
    this.#refills++;
    this.#handedOut -= left;
    if (this.#stop) return -1;
    let used = this.#handedOut - this.#held();
    if (this.#deadline !== undefined) {
      const now = performance.now();
      if (now >= this.#deadline) {
        this.#stop = 'deadline';
        return -1;
      }
      // Size the next slice to last ~SLICE_TARGET_MS (or the time left, if less) at the rate just seen.
      const elapsed = now - this.#sliceStartMs;
      if (!this.#adaptive) {
        // fixed slices
      } else if (elapsed > 0.005) {
        const perMs = (used - this.#sliceStartUsed) / elapsed;
        const ms = Math.min(SLICE_TARGET_MS, Math.max(this.#deadline - now, 0.01));
        this.#nextSlice = Math.round(Math.min(MAX_SLICE, Math.max(MIN_SLICE, perMs * ms)));
      } else {
        this.#nextSlice = Math.min(MAX_SLICE, this.#nextSlice * 2);
      }
      this.#sliceStartMs = now;
      this.#sliceStartUsed = used;
    }
    if (this.#handedOut + need > this.#limit) {
      // Other modules may still hold fuel: take it all back before deciding.
      for (const c of this.#counters) c.value = 0;
      this.#handedOut = used;
      if (used + need > this.#limit) {
        this.#stop = 'fuel';
        return -1;
      }
    }
    return this.#take(need);
  }
}
