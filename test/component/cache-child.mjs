// A process of the precompile-cache tests: loads each spec's component with its own runtime, calls
// it, and prints one JSON line {results: [{ok, value, cacheHit, cacheRebuilt, cacheStore, warnings}
// | {ok: false, code, message}]}. Specs: [{cacheDir?, guest, glue?, limits?, call?: [export, ...args]}];
// a spec without `cacheDir` uses the runtime's default directory.
//   node test/component/cache-child.mjs '<json specs>'
import { createRuntime } from '../../dist/index.js';

const specs = JSON.parse(process.argv[2]);
const warnings = [];
process.on('warning', (w) => {
  if (w.name === 'SfirtCacheWarning') warnings.push({ code: w.code, message: w.message });
});

const results = [];
for (const spec of specs) {
  const before = warnings.length;
  const rt = createRuntime('cacheDir' in spec ? { cacheDir: spec.cacheDir } : {});
  let result;
  try {
    const fn = await rt.load('f', spec.guest, { glue: spec.glue, ...(spec.limits ? { limits: spec.limits } : {}) });
    const value = spec.call ? await fn.call(...spec.call) : undefined;
    result = { ok: true, value, glue: fn.glue, ...fn.loadTimings };
  } catch (err) {
    result = { ok: false, code: err.code, message: err.message };
  }
  rt.close();
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  results.push({ ...result, warnings: warnings.slice(before) });
}
console.log(JSON.stringify({ results }));
