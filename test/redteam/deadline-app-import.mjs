// Red team probe (limits, issue 15): a guest that calls a slow host import in a loop outlives its
// deadline: the clock is read only when the guest asks for more fuel, and the loop around the
// import burns almost none. The app's import busy-waits 5 ms; the guest calls it 200 times under
// `timeoutMs: 100`. Fixed: an app import that returns past the deadline makes the guest's next fuel
// check stop it (DEADLINE_EXCEEDED after ~100 ms); asserted in test/limits/hostile.test.mjs.
// Usage: node test/redteam/deadline-app-import.mjs
import { parse } from '@bytecodealliance/jco';
import { createRuntime } from '../../dist/index.js';
import { tempCache } from '../helpers.mjs';

const wat = `(component
  (import "sfirt:red/host" (instance $host (export "slow" (func))))
  (alias export $host "slow" (func $slow))
  (core func $slow-core (canon lower (func $slow)))
  (core module $m
    (import "host" "slow" (func $slow))
    (func (export "run") (param $n i32)
      (loop $l
        (call $slow)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))))
  (core instance $h (export "slow" (func $slow-core)))
  (core instance $i (instantiate $m (with "host" (instance $h))))
  (func (export "run") (param "n" s32) (canon lift (core func $i "run"))))`;
const bytes = await parse(wat);
const rt = createRuntime({ cacheDir: tempCache() });
const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const fn = await rt.load('loop', bytes, { limits: { timeoutMs: 100 }, imports: { 'sfirt:red/host': { slow: () => busy(5) } } });
const t0 = performance.now();
let outcome;
try { await fn.call('run', 200); outcome = 'ok'; } catch (err) { outcome = err.code; }
console.log(JSON.stringify({ timeoutMs: 100, callMs: Math.round(performance.now() - t0), outcome }));
rt.close();
