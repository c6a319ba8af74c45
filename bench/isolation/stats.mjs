// Order statistics for benchmark samples.

/**
 * The q-quantile (0..1) of `samples` by nearest rank; NaN for no samples.
 * @param {number[]} samples
 * @param {number} q
 */
export function quantile(samples, q) {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Median, p95, p99, min, max and count of `samples`. */
export function summarize(samples) {
  return {
    n: samples.length,
    min: Math.min(...samples),
    median: quantile(samples, 0.5),
    p95: quantile(samples, 0.95),
    p99: quantile(samples, 0.99),
    max: Math.max(...samples),
  };
}
