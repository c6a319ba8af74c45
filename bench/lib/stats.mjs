// Small statistics helpers shared by the benchmark suites.

/** The q-quantile (0..1) of the samples (nearest rank). */
export function quantile(samples, q) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export const median = (samples) => quantile(samples, 0.5);

/** Median µs of `fn()` over `n` synchronous calls, timed in batches of `batch` to beat timer resolution. */
export function timeSync(fn, n, batch = 100) {
  const samples = [];
  for (let i = 0; i < n; i += batch) {
    const t0 = performance.now();
    for (let j = 0; j < batch; j++) fn();
    samples.push(((performance.now() - t0) * 1000) / batch);
  }
  return median(samples);
}

/**
 * µs of each awaited `fn()` call, one sample per call. Each call starts in its own event-loop turn
 * (untimed), as a request arriving from a socket does: a loop that only awaits promises never lets
 * V8's queued tasks (GC finalisation, FinalizationRegistry cleanup) run, so they pile up and land
 * in later samples in a lump.
 */
export async function sampleAsync(fn, n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setImmediate(r));
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) * 1000);
  }
  return samples;
}
