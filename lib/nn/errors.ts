import { NnError, type NnErrorCode } from '../errors.js';

export { NnError, type NnErrorCode };

/** Longest `NnError` message (see lib/errors.ts). */
export { MAX_NN_MESSAGE_CHARS as MAX_MESSAGE_CHARS } from '../errors.js';

/** A name a guest or its model chose, for a message: at most 64 characters, controls escaped. */
export function printable(s: string): string {
  const cut = s.length > 64 ? `${s.slice(0, 64)}…` : s;
  return JSON.stringify(cut).slice(1, -1);
}

/**
 * An engine's error text reduced to what a guest may read: onnxruntime's messages carry source
 * locations and paths of its build (`/onnxruntime_src/...cc:123`), C++ signatures, and for some
 * failures host paths (a model file, the working directory). Every token that looks like a path,
 * a file name, a source location or a C++ qualified name is dropped, terminal colours removed,
 * whitespace collapsed, and the text cut at 300 characters.
 */
export function sanitizeEngineMessage(text: string): string {
  let t = text.replace(/\x1b\[[0-9;]*m/g, ' ');
  // C++ signatures `ns::Type ns::f(args) const`: the parenthesised part first, then the names.
  t = t.replace(/\([^()]*::[^()]*\)/g, ' ');
  t = t.replace(/\S*::\S*/g, ' ');
  // Paths (absolute, relative with a separator, Windows drives) and source locations.
  t = t.replace(/\S*[\\/]\S*/g, ' ');
  t = t.replace(/\S+\.(?:cc|cpp|cxx|c|h|hpp|inl)(?::\d+)?\b/g, ' ');
  // Bare file names (`package.json`, `weights.bin`): a file's name is host information too.
  t = t.replace(/[\w.-]*\w\.[A-Za-z][A-Za-z0-9]{0,7}\b/g, ' ');
  t = t.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/**
 * An `NnError` for an engine failure: `what` (our words) plus the engine's `detail`, sanitised
 * (see {@link sanitizeEngineMessage}); the original stays on `cause` for the host.
 */
export function engineError(nnCode: NnErrorCode, what: string, detail: unknown): NnError {
  const text = detail instanceof Error ? detail.message : String(detail);
  const clean = sanitizeEngineMessage(text);
  return new NnError(nnCode, clean ? `${what}: ${clean}` : what, { cause: detail instanceof Error ? detail : new Error(text) });
}
