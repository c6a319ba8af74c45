/**
 * How to install the inference engines, for `BACKEND_UNAVAILABLE` messages. Both are optional
 * (peer) dependencies of sfirt: an app that never runs `wasi:nn` does not download them.
 */

/** onnxruntime-web: the default (`wasm`) engine. */
export const ORT_WEB_INSTALL = 'wasi:nn needs onnxruntime-web for its default engine, an optional dependency of sfirt: npm install onnxruntime-web@^1.30.0';

/**
 * onnxruntime-node: the `native` engine. Its install script downloads CUDA parts for linux/x64
 * from outside npm; offline that fails and npm drops the package without a word.
 */
export const ORT_NODE_INSTALL = 'the native wasi:nn engine needs onnxruntime-node, an optional dependency of sfirt: npm install onnxruntime-node@^1.30.0; offline (its install script downloads CUDA parts and fails): ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@^1.30.0 (the CPU binary ships inside the package)';

/** True for "the package is not installed" (as opposed to a package that is there and fails). */
export function isMissingModule(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
