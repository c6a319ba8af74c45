/** Latency samples kept per function for percentiles (a ring: the most recent calls). */
export const LATENCY_WINDOW = 2048;

/** Codes counted as limit errors. */
const LIMIT_CODES = new Set(['FUEL_EXHAUSTED', 'DEADLINE_EXCEEDED', 'MEMORY_LIMIT_EXCEEDED', 'OVERLOADED']);

/** One function's numbers, as `Metrics.snapshot()` returns them. */
export interface FunctionMetrics {
  calls: number;
  errors: number;
  /** Failed calls by error code. */
  errorsByCode: Record<string, number>;
  /** FUEL_EXHAUSTED + DEADLINE_EXCEEDED + MEMORY_LIMIT_EXCEEDED + OVERLOADED. */
  limitErrors: number;
  coldStarts: number;
  /** Sum of every call's wall time, in ms. */
  totalMs: number;
  /** Over the last `LATENCY_WINDOW` calls, in ms (undefined before the first call). */
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  meanMs: number | undefined;
}

class Series {
  calls = 0;
  errors = 0;
  coldStarts = 0;
  totalMs = 0;
  byCode = new Map<string, number>();
  ring: Float64Array;
  filled = 0;
  at = 0;
  constructor(window = LATENCY_WINDOW) { this.ring = new Float64Array(window); }
}

/**
 * A `Metrics`' raw numbers, structured-cloneable: what a worker sends so that the thread owning the
 * server can add every worker's numbers up (`Metrics.combine`).
 */
export interface MetricsExport {
  series: Array<{ fn: string; calls: number; errors: number; coldStarts: number; totalMs: number; byCode: Array<[string, number]>; samples: Float64Array }>;
  refused: Array<[string, number]>;
}

/**
 * Per-function call counts, latencies (p50/p99), cold starts and errors by code. Each thread that
 * serves keeps its own; `export()` / `combine()` add several up.
 */
export class Metrics {
  #series = new Map<string, Series>();
  #refused = new Map<string, number>();

  /**
   * Counts a request the server refused before or instead of running it (503, 408, 413), or whose
   * connection it cut because the client did not take the response (SEND_TIMEOUT), by code.
   */
  refused(code: string): void {
    this.#refused.set(code, (this.#refused.get(code) ?? 0) + 1);
  }

  /** Requests refused or cut off by the server itself, by code (OVERLOADED, REQUEST_TIMEOUT, PAYLOAD_TOO_LARGE, CLOSED, SEND_TIMEOUT). */
  refusals(): Record<string, number> {
    return Object.fromEntries(this.#refused);
  }

  /** Records one call: its wall time, whether it instantiated, and its error code if it failed. */
  record(fn: string, ms: number, coldStart: boolean, errorCode?: string): void {
    let s = this.#series.get(fn);
    if (!s) { s = new Series(); this.#series.set(fn, s); }
    s.calls++;
    s.totalMs += ms;
    if (coldStart) s.coldStarts++;
    if (errorCode) { s.errors++; s.byCode.set(errorCode, (s.byCode.get(errorCode) ?? 0) + 1); }
    s.ring[s.at] = ms;
    s.at = (s.at + 1) % s.ring.length;
    if (s.filled < s.ring.length) s.filled++;
  }

  /** The raw numbers, for `combine` in another thread. */
  export(): MetricsExport {
    const series: MetricsExport['series'] = [];
    for (const [fn, s] of this.#series) {
      series.push({ fn, calls: s.calls, errors: s.errors, coldStarts: s.coldStarts, totalMs: s.totalMs, byCode: [...s.byCode], samples: s.ring.slice(0, s.filled) });
    }
    return { series, refused: [...this.#refused] };
  }

  /**
   * Replaces this object's numbers with the sum of `parts` (one per worker): counts and totals add
   * up; the latency summary is taken over every part's recent calls together.
   */
  combine(parts: MetricsExport[]): this {
    this.#series.clear();
    this.#refused.clear();
    const sizes = new Map<string, number>();
    for (const p of parts) for (const e of p.series) sizes.set(e.fn, (sizes.get(e.fn) ?? 0) + e.samples.length);
    for (const p of parts) {
      for (const e of p.series) {
        let s = this.#series.get(e.fn);
        if (!s) { s = new Series(Math.max(LATENCY_WINDOW, sizes.get(e.fn)!)); this.#series.set(e.fn, s); }
        s.calls += e.calls;
        s.errors += e.errors;
        s.coldStarts += e.coldStarts;
        s.totalMs += e.totalMs;
        for (const [c, n] of e.byCode) s.byCode.set(c, (s.byCode.get(c) ?? 0) + n);
        s.ring.set(e.samples, s.filled);
        s.filled += e.samples.length;
        s.at = s.filled % s.ring.length;
      }
      for (const [c, n] of p.refused) this.#refused.set(c, (this.#refused.get(c) ?? 0) + n);
    }
    return this;
  }

  /** Every function's numbers. */
  snapshot(): Record<string, FunctionMetrics> {
    const out: Record<string, FunctionMetrics> = {};
    for (const [name, s] of this.#series) {
      const sorted = Array.from(s.ring.subarray(0, s.filled)).sort((a, b) => a - b);
      const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : undefined);
      const errorsByCode = Object.fromEntries(s.byCode);
      out[name] = {
        calls: s.calls, errors: s.errors, errorsByCode,
        limitErrors: [...s.byCode].reduce((n, [c, k]) => n + (LIMIT_CODES.has(c) ? k : 0), 0),
        coldStarts: s.coldStarts, totalMs: s.totalMs,
        p50Ms: q(0.5), p99Ms: q(0.99), meanMs: s.calls ? s.totalMs / s.calls : undefined,
      };
    }
    return out;
  }

  /** Prometheus text exposition (version 0.0.4). */
  prometheus(): string {
    const snap = this.snapshot();
    const lines: string[] = [];
    const family = (name: string, type: string, help: string, rows: string[]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
    };
    const entries = Object.entries(snap);
    const l = (fn: string, extra = '') => `{function="${escapeLabel(fn)}"${extra}}`;
    family('sfirt_calls_total', 'counter', 'Calls per function.', entries.map(([f, m]) => `sfirt_calls_total${l(f)} ${m.calls}`));
    family('sfirt_errors_total', 'counter', 'Failed calls per function and error code.',
      entries.flatMap(([f, m]) => Object.entries(m.errorsByCode).map(([c, n]) => `sfirt_errors_total${l(f, `,code="${escapeLabel(c)}"`)} ${n}`)));
    family('sfirt_limit_errors_total', 'counter', 'Calls stopped by fuel, deadline, memory or overload.', entries.map(([f, m]) => `sfirt_limit_errors_total${l(f)} ${m.limitErrors}`));
    family('sfirt_cold_starts_total', 'counter', 'Calls that had to instantiate.', entries.map(([f, m]) => `sfirt_cold_starts_total${l(f)} ${m.coldStarts}`));
    family('sfirt_call_duration_seconds', 'summary', `Call latency over the last ${LATENCY_WINDOW} calls.`, entries.flatMap(([f, m]) => [
      `sfirt_call_duration_seconds${l(f, ',quantile="0.5"')} ${((m.p50Ms ?? 0) / 1000).toFixed(9)}`,
      `sfirt_call_duration_seconds${l(f, ',quantile="0.99"')} ${((m.p99Ms ?? 0) / 1000).toFixed(9)}`,
      `sfirt_call_duration_seconds_sum${l(f)} ${(m.totalMs / 1000).toFixed(9)}`,
      `sfirt_call_duration_seconds_count${l(f)} ${m.calls}`,
    ]));
    family('sfirt_http_refused_total', 'counter', 'Requests the server refused before running them, or whose unread response it cut off (SEND_TIMEOUT), by code.',
      [...this.#refused].map(([c, n]) => `sfirt_http_refused_total{code="${escapeLabel(c)}"} ${n}`));
    return lines.join('\n') + '\n';
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
