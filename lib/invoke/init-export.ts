import { MAY_SUSPEND } from '../component/jspi.js';
import { InvalidArgumentError, InvalidComponentError, UnknownExportError } from '../errors.js';
import type { ComponentSignatures } from './signatures.js';

/**
 * The function option `init`: an export the runtime calls once on every new instance, before the
 * instance's state is recorded as initial (its snapshot, its glue handle tables, the host state in
 * its scope). A guest opens there what it would otherwise open on every call of a `reset` pool — a
 * `wasi:nn` graph and execution context, say — and keeps it across resets, like Wizer's
 * `wizer.initialize` but at instantiation. Only `func()` (no parameters, no result): there is no
 * caller to give it arguments or read its result. It runs under the instance's instantiation
 * limits; a trap or limit there fails the instantiation.
 *
 * Returns the caller, or throws `InvalidArgumentError` for an export that is missing or not `func()`.
 */
export function initExport(signatures: ComponentSignatures, name: string): (exports: Record<string, unknown>) => void {
  let bound;
  try {
    bound = signatures.bind(name);
  } catch (err) {
    if (err instanceof UnknownExportError) throw new InvalidArgumentError(`init: ${err.message}`);
    throw err;
  }
  const f = bound.signature;
  if (f.kind !== 'freestanding' || f.params.length !== 0 || f.result !== undefined || bound.handles) {
    throw new InvalidArgumentError(`init: export \`${f.qualifiedName}\` must be a function without parameters or result (func())`);
  }
  const holderKey = bound.holderKey;
  const jsName = f.jsName;
  return (exports) => {
    const holder = (holderKey === undefined ? exports : exports[holderKey]) as Record<string, unknown> | undefined;
    const fn = holder?.[jsName];
    if (typeof fn !== 'function') throw new InvalidComponentError(`init: export \`${f.qualifiedName}\` is not in the instance`);
    // A suspending export would return before its work is done: the state recorded then would be
    // a half-initialised instance.
    if ((fn as unknown as Record<symbol, unknown>)[MAY_SUSPEND] === true) throw new InvalidComponentError(`init: export \`${f.qualifiedName}\` may suspend (it reaches an async import), which init cannot wait for`);
    fn();
  };
}
