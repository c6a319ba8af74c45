/**
 * Async host imports (JSPI).
 *
 * A host import is async when it is an `async function`, or a function marked with
 * {@link asyncImport} (for one that returns a promise without being declared `async`). On a Node
 * with JSPI (`WebAssembly.Suspending`, Node 24 and later) the guest suspends while the promise is
 * pending and the event loop runs on; the export it was called through returns a promise
 * (`WebAssembly.promising`). Everything else stays synchronous: a plain function that happens to
 * return a promise hands the guest that promise object, as before (jco's rule), and components
 * without async imports keep the synchronous call path.
 *
 * Where JSPI is absent (Node 20, Node 22), `load()` refuses a function with an async import
 * (`ASYNC_UNSUPPORTED`, naming the Node version needed) instead of letting a call fail later.
 */

import { AsyncUnsupportedError } from '../errors.js';
import { asyncImport, HAS_JSPI, isAsyncImport, JSPI_NODE } from '../component/jspi.js';

export { asyncImport, HAS_JSPI, isAsyncImport, JSPI_NODE, MAY_SUSPEND } from '../component/jspi.js';

/** Why an async import cannot run on this Node, or undefined when it can. */
export function jspiUnavailableReason(): string | undefined {
  if (HAS_JSPI) return undefined;
  return `needs JSPI (WebAssembly.Suspending), which ${JSPI_NODE} has; this is Node ${process.versions.node}`;
}

const SYNC_FALLBACK = Symbol.for('sfirt.syncFallback');

/**
 * Marks `fn` async, with a synchronous implementation of the same import for where the guest
 * cannot suspend (the runtime's own imports: outgoing HTTP runs on a blocking worker there).
 */
export function withSyncFallback<F extends (...args: never[]) => unknown>(fn: F, sync: (...args: Parameters<F>) => unknown): F {
  Object.defineProperty(asyncImport(fn), SYNC_FALLBACK, { value: sync });
  return fn;
}

/** The synchronous implementation given to {@link withSyncFallback}, if any. */
export function syncFallbackOf(fn: unknown): ((...args: never[]) => unknown) | undefined {
  return typeof fn === 'function' ? (fn as unknown as Record<symbol, (...args: never[]) => unknown>)[SYNC_FALLBACK] : undefined;
}

/**
 * Checks the async functions of an import object (interface key → member → value) against what
 * this load can do: where the guest cannot suspend (`reason`), a function with a synchronous
 * fallback is replaced by it (in place) and any other is refused.
 * @throws AsyncUnsupportedError naming the first async import without a fallback.
 */
export function settleAsyncImports(imports: Record<string, Record<string, unknown>>, reason: string | undefined): void {
  if (reason === undefined) return;
  for (const [iface, members] of Object.entries(imports)) {
    if (typeof members !== 'object' || members === null) continue;
    for (const [name, value] of Object.entries(members)) {
      if (!isAsyncImport(value)) continue;
      const sync = syncFallbackOf(value);
      if (!sync) throw new AsyncUnsupportedError(`${iface}#${name}`, reason);
      imports[iface] = { ...imports[iface], [name]: sync };
    }
  }
}
