/**
 * The engine's WASI `clock_time_get`, as a few wasm instructions instead of the Emscripten glue's JS.
 *
 * onnxruntime reads the clock 4 times per inference. The glue's import takes an i64 (the
 * precision, which it ignores: a BigInt made on every call), re-checks its heap views against the
 * shared memory's buffer, and stores the nanoseconds as a fresh BigInt: ~0.1 µs per read, ~0.4 µs
 * of a 13 µs digits inference. Here the import is a wasm function of the same type that asks JS
 * only for the milliseconds (an f64, nothing allocated) and stores the i64 itself.
 *
 * It replaces the glue's function only when that function's source is exactly the one this was
 * written against (`GLUE_CLOCK`, onnxruntime-web 1.2x) and its flag is the constant 1: then the
 * two compute the same value and write it to the same place (the address rounded down to 8, as the
 * glue's `BigInt64Array` index does), and the engine cannot tell them apart. Any other glue keeps
 * its own clock.
 */

/** The glue's `clock_time_get(clock, precision, ptr)`; group 1: its name, group 2: the flag that enables clocks 1–3. */
const GLUE_CLOCK = /function ([\w$]+)\(a,b,d\)\{d>>>=0;if\(!\(0<=a&&3>=a\)\)return 28;if\(0===a\)a=Date\.now\(\);else if\(([\w$]+)\)a=performance\.timeOrigin\+performance\.now\(\);else return 52;a=Math\.round\(1E6\*a\);\(v\(\),H\)\[d>>>3>>>0\]=BigInt\(a\);return 0\}/g;

/**
 * The name of the glue's clock function when it can be replaced (see above), else undefined: one
 * such function, and its flag assigned once, to 1.
 */
export function replaceableClock(source: string): string | undefined {
  const found = [...source.matchAll(GLUE_CLOCK)];
  if (found.length !== 1) return undefined;
  const [, name, flag] = found[0]!;
  const assignments = source.match(new RegExp(`(?<![\\w$.])${flag!.replace(/\$/g, '\\$')}=(?!=)[^,;]*`, 'g')) ?? [];
  return assignments.length === 1 && assignments[0] === `${flag}=1` ? name : undefined;
}

const f64 = (x: number): number[] => [...new Uint8Array(new Float64Array([x]).buffer)];

/**
 * (module
 *   (import "c" "now" (func $now (param i32) (result f64)))          ;; ms for clock 0 (realtime) or 1–3
 *   (import "c" "memory" (memory 0 65536 shared))
 *   (func (export "clock_time_get") (param $id i32) (param i64) (param $ptr i32) (result i32)
 *     (if (i32.gt_u (local.get $id) (i32.const 3)) (then (return (i32.const 28))))   ;; EINVAL
 *     (i64.store (i32.and (local.get $ptr) (i32.const -8))
 *       (i64.trunc_sat_f64_s (f64.floor (f64.add (f64.mul (call $now (local.get $id)) (f64.const 1e6)) (f64.const 0.5)))))
 *     (i32.const 0)))
 * `floor(x + 0.5)` is `Math.round(x)` for these x: nanoseconds since 1970 (or since the process's
 * time origin) are integers in doubles already.
 */
const CLOCK_BODY = [
  0x00, // no locals
  0x20, 0x00, 0x41, 0x03, 0x4b, 0x04, 0x40, 0x41, 0x1c, 0x0f, 0x0b,
  0x20, 0x02, 0x41, 0x78, 0x71,
  0x20, 0x00, 0x10, 0x00,
  0x44, ...f64(1e6), 0xa2,
  0x44, ...f64(0.5), 0xa0,
  0x9c, 0xfc, 0x06,
  0x37, 0x03, 0x00,
  0x41, 0x00, 0x0b,
];
/** `bytes` prefixed with their length (all sizes here are under 128: one LEB byte). */
const sized = (bytes: number[]): number[] => [bytes.length, ...bytes];
const section = (id: number, content: number[]): number[] => [id, ...sized(content)];
const CLOCK_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  // types: (i32) -> f64; (i32, i64, i32) -> i32
  0x01, 0x0d, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7c, 0x60, 0x03, 0x7f, 0x7e, 0x7f, 0x01, 0x7f,
  // imports: c.now (func type 0), c.memory (shared, min 0, max 65536)
  0x02, 0x18, 0x02,
  0x01, 0x63, 0x03, 0x6e, 0x6f, 0x77, 0x00, 0x00,
  0x01, 0x63, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x00, 0x80, 0x80, 0x04,
  // functions: one of type 1
  0x03, 0x02, 0x01, 0x01,
  // exports: clock_time_get = func 1
  0x07, 0x12, 0x01, 0x0e, ...Buffer.from('clock_time_get'), 0x00, 0x01,
  // code: one body
  ...section(0x0a, [0x01, ...sized(CLOCK_BODY)]),
]);

let compiled: WebAssembly.Module | undefined;

/** The glue's clock as wasm, writing into `memory` (the engine's). */
export function wasmClock(memory: WebAssembly.Memory): (clock: number, precision: bigint, ptr: number) => number {
  compiled ??= new WebAssembly.Module(CLOCK_MODULE);
  // The process's time origin does not change: read once (the glue reads the getter every time).
  const origin = performance.timeOrigin;
  const now = (clock: number): number => (clock === 0 ? Date.now() : origin + performance.now());
  const instance = new WebAssembly.Instance(compiled, { c: { now, memory } });
  return instance.exports.clock_time_get as (clock: number, precision: bigint, ptr: number) => number;
}
