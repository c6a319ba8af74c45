// Waits until this process stops using CPU on its own: V8 keeps compiling in the background after
// a runtime starts (tier-ups of hot wasm; and once a thread has started two or more onnxruntime
// engines, a TurboFan re-compile of the engine's 886 KB initialisation: 1.5–6 s of one core here,
// `node --trace-wasm-compilation-times`), and a measurement taken meanwhile charges that to
// whatever runs then.

/**
 * Resolves once a `windowMs` window passes with the process using under `idleShare` of one core,
 * or after `maxMs`. Returns the milliseconds waited.
 */
export async function settle({ windowMs = 250, idleShare = 0.1, maxMs = 15_000 } = {}) {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const { user, system } = process.cpuUsage(cpu0);
    if ((user + system) / 1000 < idleShare * (performance.now() - w0)) break;
  }
  return performance.now() - t0;
}
