import { SfiError, TrapError, type TrapKind } from '../errors.js';

const PATTERNS: [RegExp, TrapKind][] = [
  [/unreachable/i, 'unreachable'],
  [/divide by zero|remainder by zero/i, 'integer-divide-by-zero'],
  [/integer overflow|divide result unrepresentable/i, 'integer-overflow'],
  [/float unrepresentable|invalid conversion/i, 'invalid-conversion-to-integer'],
  [/memory access out of bounds|out of bounds memory/i, 'out-of-bounds-memory'],
  [/table index is out of bounds|table access|out of bounds table|element segment/i, 'out-of-bounds-table'],
  [/signature mismatch|null function|indirect call type mismatch/i, 'indirect-call-type-mismatch'],
  [/null|dereferencing a null/i, 'null-reference'],
  [/unaligned/i, 'misaligned'],
  [/cannot enter component instance/i, 'cannot-enter-component'],
];

/** Maps whatever a guest call threw to a typed error: SfiErrors pass through, wasm traps get a kind. */
export function toTypedError(err: unknown): SfiError {
  if (err instanceof SfiError) return err;
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new TrapError('stack-overflow', 'wasm trap: stack overflow', { cause: err });
  }
  if (err instanceof WebAssembly.RuntimeError) {
    const kind = PATTERNS.find(([re]) => re.test(err.message))?.[1] ?? 'unknown';
    return new TrapError(kind, err.message.startsWith('wasm trap') ? err.message : `wasm trap: ${err.message}`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  const kind = PATTERNS.find(([re]) => re.test(message))?.[1] ?? 'unknown';
  return new TrapError(kind, `guest failed: ${message}`, { cause: err });
}
