import { DeadlineExceededError, HostFunctionError, InvalidArgumentError } from '../errors.js';
import { callDeadline, checkDeadlineAfterHostWork } from '../limits/call-deadline.js';
import { suspendCall } from '../limits/call-frame.js';
import { recordCallFailure } from '../limits/lift.js';
import { timerDelay } from '../timers.js';
import { asyncImport, isAsyncImport } from './async.js';
import type { ImportedInterface } from '../component/wit/types.js';
import { stripVersion } from '../component/wit/import-keys.js';

/**
 * Host implementations of a component's non-WASI imports, as the app gives them: interface id
 * (with or without `@version`) → member name → value; a world-level function import
 * (`import foo: func()`) by its name, as the function itself, `{ default: fn }` or `{ foo: fn }`.
 */
export type HostImports = Record<string, Record<string, unknown> | ((...args: never[]) => unknown)>;

/** The import object the glue reads: key (see `ImportedInterface.jsKey`) → member name → value. */
export type ImportObject = Record<string, Record<string, unknown>>;

/** Records the first host failure of the call in progress, so the invoke path can report it. */
export interface HostFailureSink {
  hostFailure: HostFunctionError | undefined;
}

/**
 * Puts the app's imports under the keys the glue reads: versioned or unversioned interface ids
 * both find their import (an exact key wins; two versions of one interface are keyed apart),
 * and a world-level function, in any of its accepted shapes, becomes `{ default: fn }`. Keys the
 * component does not import are kept as given.
 * @throws InvalidArgumentError for an entry that is neither an object nor (world-level) a function.
 */
export function normaliseHostImports(provided: HostImports, imports: readonly ImportedInterface[]): ImportObject {
  const out: ImportObject = {};
  const used = new Set<string>();
  for (const iface of imports) {
    const key = [iface.jsKey, iface.id, stripVersion(iface.id)].find((k) => provided[k] !== undefined)
      ?? Object.keys(provided).find((k) => stripVersion(k) === iface.jsKey && !imports.some((i) => i.jsKey === k));
    if (key === undefined) continue;
    used.add(key);
    const entry = provided[key];
    if (iface.isFunction) {
      const fn = typeof entry === 'function' ? entry : worldFunctionOf(entry, iface);
      out[iface.jsKey] = fn === undefined ? (entry as Record<string, unknown>) : { default: fn };
    } else {
      out[iface.jsKey] = objectEntry(key, entry);
    }
  }
  for (const [key, entry] of Object.entries(provided)) {
    if (entry !== undefined && !used.has(key) && !(key in out)) out[key] = objectEntry(key, entry);
  }
  return out;
}

function worldFunctionOf(entry: unknown, iface: ImportedInterface): unknown {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  const f = iface.functions[0];
  return [e.default, e[iface.id], f && e[f.jsName]].find((v) => typeof v === 'function');
}

function objectEntry(key: string, entry: unknown): Record<string, unknown> {
  if (typeof entry !== 'object' || entry === null) {
    throw new InvalidArgumentError(`imports['${key}'] must be an object of functions`);
  }
  return entry as Record<string, unknown>;
}

/**
 * Gives every versioned import key the component reads (`wasi:cli/stdout@0.2.3`, kept only when
 * two versions of an interface are imported) the entry of its unversioned key, when it has none.
 */
export function fillVersionedKeys(imports: Record<string, object>, keys: readonly string[]): void {
  for (const k of keys) {
    if (!(k in imports) && stripVersion(k) !== k && stripVersion(k) in imports) imports[k] = imports[stripVersion(k)]!;
  }
}

/**
 * Marks a resource constructor written as a plain function (one that returns an object of another
 * class, with that class's prototype: lib/http/instance-types.ts): passed through like a class.
 */
export const RESOURCE_CONSTRUCTOR: unique symbol = Symbol('sfirt.resourceConstructor');

/**
 * Wraps every host function so that an exception it throws is remembered as a
 * `HostFunctionError` before it unwinds through the guest (which may not be able to tell it
 * apart from its own failure). Functions whose WIT result is `result<_, _>` are exempt in
 * `expectedThrows`: there a throw is the `err` value, as jco maps it.
 */
export function wrapHostImports(imports: ImportObject, sink: HostFailureSink, expectedThrows: (iface: string, member: string) => boolean): ImportObject {
  const out: ImportObject = {};
  for (const [iface, members] of Object.entries(imports)) {
    if (typeof members !== 'object' || members === null) {
      throw new InvalidArgumentError(`imports['${iface}'] must be an object of functions`);
    }
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(members)) {
      // Classes (resources), constructors marked as such, and non-functions are passed through as given.
      if (typeof value !== 'function' || (value as unknown as Record<symbol, unknown>)[RESOURCE_CONSTRUCTOR] === true || /^class[\s{]/.test(Function.prototype.toString.call(value))) {
        wrapped[name] = value;
        continue;
      }
      const fn = value as (...a: unknown[]) => unknown;
      const qualified = `${iface}#${name}`;
      if (isAsyncImport(fn)) {
        wrapped[name] = asyncHostCall(fn, members, qualified, sink, expectedThrows(iface, name));
        continue;
      }
      if (expectedThrows(iface, name)) {
        wrapped[name] = value;
        continue;
      }
      wrapped[name] = function hostCall(this: unknown, ...args: unknown[]) {
        try {
          return fn.apply(members, args);
        } catch (cause) {
          const err = new HostFunctionError(qualified, { cause });
          sink.hostFailure ??= err;
          throw err;
        } finally {
          checkDeadlineAfterHostWork();
        }
      };
    }
    out[iface] = wrapped;
  }
  return out;
}

/**
 * The wrapper of an async host import (see lib/host/async.ts): the promise it returns settles
 * with the host's value, or rejects with a `HostFunctionError` (remembered for the call, like a
 * synchronous throw), or with `DeadlineExceededError` at the call's deadline if the host has not
 * settled by then: time spent suspended counts against `timeoutMs`, and a host promise that never
 * settles cannot hold the call (or its instance) past it. The deadline failure is recorded so the
 * call fails even if the guest swallows the exception. For an import whose WIT result is
 * `result<_, _>` (`expected`), a rejection is the `err` value, as a synchronous throw is.
 */
function asyncHostCall(fn: (...a: unknown[]) => unknown, members: object, qualified: string, sink: HostFailureSink, expected: boolean): (...args: unknown[]) => Promise<unknown> {
  return asyncImport(function hostCallAsync(...args: unknown[]): Promise<unknown> {
    const resume = suspendCall();
    const { at, budgetMs, startedAt } = callDeadline;
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(fn.apply(members, args));
    } catch (cause) {
      pending = Promise.reject(cause);
    }
    const failed = (cause: unknown): never => {
      resume();
      if (expected) throw cause; // a `result` import: the rejection is its `err` value
      const err = new HostFunctionError(qualified, { cause });
      sink.hostFailure ??= err;
      throw err;
    };
    // Back in the guest: a deadline that passed meanwhile stops it at its next fuel check.
    const resumed = (v: unknown): unknown => { resume(); checkDeadlineAfterHostWork(); return v; };
    if (at === undefined) return pending.then(resumed, failed);
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true; // the host settling later concerns no call any more
        resume();
        const err = new DeadlineExceededError(budgetMs, performance.now() - startedAt);
        recordCallFailure(err);
        reject(err);
      }, timerDelay(at - performance.now()));
      pending.then((v) => { clearTimeout(timer); if (!late) resolve(resumed(v)); }, (cause) => {
        clearTimeout(timer);
        if (late) return;
        try { failed(cause); } catch (err) { reject(err); }
      });
    });
  });
}
