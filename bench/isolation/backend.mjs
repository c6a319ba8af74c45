// The one interface every isolation backend implements (JSDoc types only; plain JavaScript).
//
// The lead's Wasm runtime backend plugs in through the same shape (`extraBackends` in run.mjs).

/**
 * @typedef {object} Handle A running function instance.
 * @property {(line: string) => Promise<string>} request sends one protocol line
 *   (`<id> <base64 image>`) and resolves with the response line (`<id> <label> <probability>`).
 * @property {() => Promise<void>} stop ends the instance and everything it started.
 * @property {() => number[]} pids root processes of the instance (memory is summed over their
 *   process trees); empty for in-process backends.
 * @property {() => { rssBytes: number, pssBytes: number } | null} [memory] in-process backends
 *   report their own footprint instead of pids (null: not separable from the host process).
 */

/**
 * @typedef {object} Backend
 * @property {string} name short id used in metric names (`cold_ms_<name>`)
 * @property {string} describe one line for the results table: what isolates what
 * @property {() => Promise<string | null>} available null when it can run here, else the reason
 * @property {() => Promise<Handle>} start launches one instance; resolves as soon as it is
 *   spawned (not when it is ready), so a request sent right away measures the cold start
 * @property {boolean} [slow] a backend whose repetitions are reduced (the software-emulated VM)
 * @property {boolean} [optIn] run only when named explicitly (a variant, not a default backend)
 * @property {boolean} [inProcess] runs inside the benchmark process (spawns nothing; reports memory itself)
 * @property {number} [warmStarts] starts discarded before cold starts are counted (default 1: the
 *   first warms the page cache). An in-process runtime discards more, so that its own code is
 *   JIT-compiled as in a host that has served before; the first start is still reported
 *   (`cold_first_ms_<name>`).
 * @property {string} [note] a caveat printed under the table
 */

export {};
