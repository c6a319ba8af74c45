// Red team probe (limits, issue 15): a guest that calls a slow host import in a loop outlives its
// deadline: the clock is read only when the guest asks for more fuel, and the loop around the
// import burns almost none. The app's import busy-waits 5 ms; the guest calls it 200 times under
// `timeoutMs: 100`. Fixed: an app import that returns past the deadline makes the guest's next fuel
// check stop it (DEADLINE_EXCEEDED after ~100 ms); asserted in test/limits/hostile.test.mjs.
// Usage: node test/redteam/deadline-app-import.mjs
import { createRuntime } from '../../dist/index.js';
import { tempCache } from '../helpers.mjs';
import { component } from '../limits/fixtures/hostile.mjs';

const bytes = await component('slow-import-loop');
const rt = createRuntime({ cacheDir: tempCache() });
const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const fn = await rt.load('loop', bytes, { limits: { timeoutMs: 100 }, imports: { 'sfirt:red/host': { slow: () => busy(5) } } });
const t0 = performance.now();
let outcome;
try { await fn.call('run', 200); outcome = 'ok'; } catch (err) { outcome = err.code; }
console.log(JSON.stringify({ timeoutMs: 100, callMs: Math.round(performance.now() - t0), outcome }));
rt.close();
