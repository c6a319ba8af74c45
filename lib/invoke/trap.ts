import { InvalidComponentError, SfiError, TrapError, type TrapKind } from '../errors.js';

/** Core wasm traps, by V8's (or jco's rewritten, wasmtime-style) message. */
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
  // The glues' resource tables (jco's and ours) on a handle the guest does not hold.
  [/unknown handle index|cannot remove owned resource|borrow handles still remain/i, 'invalid-handle'],
];

/**
 * Canonical-ABI faults both glues raise as plain JS errors while lifting or lowering a guest value
 * (jco's messages, which the fast glue mirrors; V8's for reads past the end of memory). The
 * message we report is our own: V8's text says nothing about the guest.
 */
const CANONICAL: [RegExp, TrapKind, string][] = [
  [/outside the bounds of the DataView|Invalid typed array length|Start offset .* is outside the bounds|Invalid DataView length|out of bounds/i,
    'out-of-bounds-memory', 'a pointer or length is out of bounds of memory'],
  [/invalid (variant )?discriminant|is not one of the cases|invalid variant specified/i, 'invalid-discriminant', 'invalid discriminant'],
  [/not a valid char/i, 'invalid-char', 'invalid char (not a Unicode scalar value)'],
  [/Resource error|handle/i, 'invalid-handle', 'invalid resource handle'],
  [/not aligned/i, 'misaligned', 'pointer not aligned'],
  [/must be between/i, 'invalid-value', 'value out of range for its type'],
  [/not valid for encoding|encoded data was not valid/i, 'invalid-utf8', 'string is not valid UTF-8'],
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
  if (err instanceof TypeError || err instanceof RangeError) {
    const canonical = CANONICAL.find(([re]) => re.test(message));
    if (canonical) {
      // jco's own messages carry only guest values (a discriminant, a pointer); V8's carry nothing useful.
      const detail = err instanceof RangeError ? canonical[2] : `${canonical[2]}: ${message}`;
      return new TrapError(canonical[1], `wasm trap: canonical ABI: ${detail}`, { cause: err });
    }
  }
  const kind = PATTERNS.find(([re]) => re.test(message))?.[1] ?? 'unknown';
  return new TrapError(kind, `guest failed: ${message}`, { cause: err });
}

/**
 * The typed error for a failed instantiation that no limit explains: a component that cannot be
 * linked is `INVALID_COMPONENT`; a trapping start function is a `TRAP` like any other.
 */
export function instantiationError(err: unknown): SfiError {
  if (err instanceof WebAssembly.LinkError || err instanceof WebAssembly.CompileError) {
    return new InvalidComponentError(`the component cannot be instantiated: ${err.message}`, { cause: err });
  }
  return toTypedError(err);
}
