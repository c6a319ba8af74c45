import { HostFunctionError, InvalidArgumentError } from '../errors.js';

/** Host implementations of a component's non-WASI imports: interface id → member name → value. */
export type HostImports = Record<string, Record<string, unknown>>;

/** Records the first host failure of the call in progress, so the invoke path can report it. */
export interface HostFailureSink {
  hostFailure: HostFunctionError | undefined;
}

/**
 * Wraps every host function so that an exception it throws is remembered as a
 * `HostFunctionError` before it unwinds through the guest (which may not be able to tell it
 * apart from its own failure). Functions whose WIT result is `result<_, _>` are exempt in
 * `expectedThrows`: there a throw is the `err` value, as jco maps it.
 */
export function wrapHostImports(imports: HostImports, sink: HostFailureSink, expectedThrows: (iface: string, member: string) => boolean): HostImports {
  const out: HostImports = {};
  for (const [iface, members] of Object.entries(imports)) {
    if (typeof members !== 'object' || members === null) {
      throw new InvalidArgumentError(`imports['${iface}'] must be an object of functions`);
    }
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(members)) {
      // Classes (resources) and non-functions are passed through as given.
      if (typeof value !== 'function' || /^class[\s{]/.test(Function.prototype.toString.call(value)) || expectedThrows(iface, name)) {
        wrapped[name] = value;
        continue;
      }
      const fn = value as (...a: unknown[]) => unknown;
      const qualified = `${iface}#${name}`;
      wrapped[name] = function hostCall(this: unknown, ...args: unknown[]) {
        try {
          return fn.apply(members, args);
        } catch (cause) {
          const err = new HostFunctionError(qualified, { cause });
          sink.hostFailure ??= err;
          throw err;
        }
      };
    }
    out[iface] = wrapped;
  }
  return out;
}
