// Runs an ONNX model on onnxruntime-node (native CPU) and onnxruntime-web (its wasm build, in
// this process) so the two can be compared. Used by models/verify.mjs and test/models.
// Both are ESM imports: onnxruntime-web then registers its backends with the ESM copy of
// onnxruntime-common and onnxruntime-node with the CommonJS copy, so neither can silently
// take over the other's execution provider (see PLATFORM.md); `backendOf` checks it anyway.

/** Imports both runtimes; returns { node, web } (either may be undefined with the reason in `errors`). */
export async function loadRuntimes() {
  const errors = {};
  let node;
  let web;
  try {
    node = await import('onnxruntime-node');
  } catch (error) {
    errors.node = error;
  }
  try {
    web = await import('onnxruntime-web');
    // One wasm thread: no worker threads in tests, and results do not depend on the split.
    web.env.wasm.numThreads = 1;
  } catch (error) {
    errors.web = error;
  }
  return { node, web, errors };
}

/** Creates a session on `ort` pinned to its own provider: 'cpu' for node, 'wasm' for web. */
export function createSession(ort, provider, modelBytes) {
  return ort.InferenceSession.create(modelBytes, { executionProviders: [provider], graphOptimizationLevel: 'all' });
}

/**
 * Which runtime actually serves `session`: 'node' (onnxruntime-node's native handler), 'web'
 * (any other handler, i.e. the wasm backend) or 'unknown' when the handler is not visible.
 * Relies on the handler's class name, an internal detail: use it to check, never to dispatch.
 */
export function backendOf(session) {
  const name = session.handler?.constructor?.name;
  if (!name) return 'unknown';
  return name === 'OnnxruntimeSessionHandler' ? 'node' : 'web';
}

/** Runs `session` on a float32 tensor of `dims` filled from `data`; returns the output's data. */
export async function runFloat(ort, session, data, dims, inputName = 'input', outputName = 'logits') {
  const results = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
  return results[outputName];
}

/** Builds the digits model's input for `images` (784-byte each): pixel/255 as float32 [N,1,28,28]. */
export function digitsInput(images) {
  const data = new Float32Array(images.length * 784);
  images.forEach((image, i) => {
    for (let p = 0; p < 784; p++) data[i * 784 + p] = image[p] / 255;
  });
  return data;
}

/** Index of the largest of the `width` values starting at `row * width`. */
export function argmaxRow(values, row, width) {
  let best = 0;
  for (let k = 1; k < width; k++) if (values[row * width + k] > values[row * width + best]) best = k;
  return best;
}

/** Largest absolute element-wise difference of two equal-length arrays. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
