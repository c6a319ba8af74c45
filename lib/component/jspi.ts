/**
 * The JSPI primitives the glue and the runtime share: whether this Node has JSPI, how an async
 * host import is recognised, and the mark of exports that may suspend. The rules for apps are in
 * lib/host/async.ts.
 */

/** Brand of a function marked by {@link asyncImport}. */
const ASYNC_IMPORT = Symbol.for('sfirt.asyncImport');

/**
 * Set (true) on an instance's export object when some of its exports are entered through
 * `WebAssembly.promising` (calls return promises and may suspend), and on each such export.
 */
export const MAY_SUSPEND = Symbol.for('sfirt.maySuspend');

/** True when this Node has JSPI (`WebAssembly.Suspending` and `WebAssembly.promising`). */
export const HAS_JSPI = typeof (WebAssembly as unknown as { Suspending?: unknown }).Suspending === 'function'
  && typeof (WebAssembly as unknown as { promising?: unknown }).promising === 'function';

/** The Node line an async host import needs, for error messages. */
export const JSPI_NODE = 'Node 24 or later';

/**
 * Marks `fn` as an async host import: the guest awaits the promise it returns (JSPI). Not needed
 * for an `async function`, which is recognised as such. Returns `fn` itself.
 * @throws TypeError when `fn` is not a function.
 */
export function asyncImport<F extends (...args: never[]) => unknown>(fn: F): F {
  if (typeof fn !== 'function') throw new TypeError('asyncImport() takes a function');
  Object.defineProperty(fn, ASYNC_IMPORT, { value: true });
  return fn;
}

const AsyncFunction = (async () => {}).constructor;

/** True for an `async function` (or arrow) and for a function marked with {@link asyncImport}. */
export function isAsyncImport(fn: unknown): boolean {
  return typeof fn === 'function' && ((fn as unknown as Record<symbol, unknown>)[ASYNC_IMPORT] === true || fn instanceof AsyncFunction);
}

