// Every isolation backend, from least to most isolated.
import { nativeBackend } from './native.mjs';
import { processBackend } from './process.mjs';
import { bubblewrapBackend } from './bubblewrap.mjs';
import { crunBackend, runcBackend, gvisorBackend } from './oci.mjs';
import { vmBackend, vmSerialBackend } from './vm.mjs';
import { wasmBackend, wasmFromNothingBackend, wasmNativeNnBackend } from './wasm.mjs';

/**
 * Every backend; those marked `optIn` (vm-serial) run only when named.
 * @type {import('../backend.mjs').Backend[]}
 */
export const ALL_BACKENDS = [nativeBackend, wasmBackend, wasmNativeNnBackend, wasmFromNothingBackend, processBackend, bubblewrapBackend, crunBackend, runcBackend, gvisorBackend, vmBackend, vmSerialBackend];

/** Looks backends up by name; throws on an unknown name. */
export function backendsByName(names) {
  return names.map((name) => {
    const backend = ALL_BACKENDS.find((b) => b.name === name);
    if (!backend) throw new Error(`unknown backend ${name}; known: ${ALL_BACKENDS.map((b) => b.name).join(', ')}`);
    return backend;
  });
}
