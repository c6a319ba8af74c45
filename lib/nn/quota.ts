import { InvalidArgumentError } from '../errors.js';

/**
 * Caps on what one component instance may hold through wasi:nn at once. Each instance counts its
 * own (in its `InstanceScope`), so one function at its caps never makes another function's calls
 * fail; everything is released when the instance is reset or discarded.
 */
export interface NnQuota {
  /** Graphs loaded from guest bytes (`load`), i.e. models parsed for this instance. Default 4. */
  guestModels: number;
  /** Graphs opened by name (`load-by-name`). Default 64. */
  graphs: number;
  /** Execution contexts. Default 64. */
  contexts: number;
  /** Tensors (inputs the guest built and outputs it has not dropped). Default 1024. */
  tensors: number;
  /**
   * Bytes of tensor data held by the host for this instance; also the most one `compute` may
   * return. Default 64 MiB; the runtime sets it to the function's `limits.memoryBytes` when
   * smaller (a guest cannot use more than its own memory holds).
   */
  tensorBytes: number;
  /** `error` resources the guest has not dropped. Default 1024. */
  errors: number;
}

export const DEFAULT_NN_QUOTA: Readonly<NnQuota> = Object.freeze({
  guestModels: 4,
  graphs: 64,
  contexts: 64,
  tensors: 1024,
  tensorBytes: 64 * 1024 * 1024,
  errors: 1024,
});

/** Resource kinds counted in an `InstanceScope`. */
export const KIND = {
  guestGraph: 'wasi-nn:guest-graph',
  graph: 'wasi-nn:graph',
  context: 'wasi-nn:context',
  tensor: 'wasi-nn:tensor',
  error: 'wasi-nn:error',
} as const;

/** Defaults overridden by `quota`; throws `InvalidArgumentError` for a value that is not a non-negative integer. */
export function resolveQuota(...layers: Array<Partial<NnQuota> | undefined>): NnQuota {
  const out: NnQuota = { ...DEFAULT_NN_QUOTA };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer) as Array<[keyof NnQuota, unknown]>) {
      if (!(key in DEFAULT_NN_QUOTA)) throw new InvalidArgumentError(`unknown wasi:nn quota \`${key}\``);
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw new InvalidArgumentError(`wasi:nn quota ${key} must be a non-negative integer, got ${String(value)}`);
      }
      out[key] = value;
    }
  }
  return out;
}
