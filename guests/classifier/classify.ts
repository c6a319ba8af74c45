// The classifier logic shared by `classifier` and `classifier224`: cached graphs and execution
// contexts, compute with one named input, softmax + argmax, and the two result shapes:
//   classification { label: u32, probabilities: list<f32> }      (12 bytes: [0] label, [4] ptr, [8] len)
//   nn-failure { code: string, message: string }                   (16 bytes)
//   result<classification | u32 | list<u8>, nn-failure>           (20 bytes: [0] tag, payload at [4])
import { alloc, releaseCallMemory, storeString } from '../_lib/cabi';
import {
  FP32, TENSOR_TYPE_COUNT, ENCODING_ONNX, TARGET_CPU, ERROR_CODES,
  newTensor, tensorType, tensorData, dropTensor, loadGraph, loadByName, initExecutionContext,
  dropGraph, compute, errorCode, errorData, dropError,
} from '../_lib/wasi-nn';

/** Size of every `result<_, nn-failure>` this guest returns. */
export const RESULT_SIZE: usize = 20;

/** Name of the model input the guests feed, and the output they read (first output otherwise). */
const INPUT_NAME = 'input';
const OUTPUT_NAME = 'logits';

/** Execution contexts by model name, kept across calls (globals are GC roots). */
const contexts = new Map<string, i32>();
const graphs = new Map<string, i32>();

/** Writes `err(nn-failure { code, message })` to `ret`. */
export function fail(ret: usize, code: string, message: string): usize {
  store<u8>(ret, 1);
  storeString(ret + 4, code);
  storeString(ret + 12, message);
  return ret;
}

/** Writes the failure a wasi:nn `error` resource describes, then drops it. */
function failWithError(ret: usize, error: i32): usize {
  const code = errorCode(error);
  const data = alloc(8);
  errorData(error, data);
  dropError(error);
  store<u8>(ret, 1);
  storeString(ret + 4, code >= 0 && code < ERROR_CODES.length ? ERROR_CODES[code] : 'unknown');
  store<u32>(ret + 12, load<u32>(data));
  store<u32>(ret + 12, load<u32>(data, 4), 4);
  return ret;
}

/**
 * The execution context of model `name` (loaded with `load-by-name` on first use, then cached);
 * -1 after writing a failure to `ret`.
 */
function contextFor(name: string, ret: usize): i32 {
  if (contexts.has(name)) return contexts.get(name);
  const nameLength = String.UTF8.byteLength(name);
  const namePtr = alloc(<usize>nameLength);
  String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, namePtr);
  const loaded = alloc(8);
  loadByName(namePtr, <usize>nameLength, loaded);
  if (load<u8>(loaded) != 0) { failWithError(ret, load<i32>(loaded, 4)); return -1; }
  const graph = load<i32>(loaded, 4);
  const created = alloc(8);
  initExecutionContext(graph, created);
  if (load<u8>(created) != 0) {
    dropGraph(graph);
    failWithError(ret, load<i32>(created, 4));
    return -1;
  }
  const context = load<i32>(created, 4);
  graphs.set(name, graph);
  contexts.set(name, context);
  return context;
}

/**
 * Opens model `name`'s graph and execution context now and caches them, for a guest's `init`
 * export (the runtime's `init` option): run before the instance's initial state is recorded, so a
 * `reset` pool gives every call an instance that holds them already. A failure (no such model) is
 * left for the first call to report. Frees the memory it used.
 */
export function openModel(name: string): void {
  contextFor(name, alloc(RESULT_SIZE));
  releaseCallMemory();
}

/**
 * Runs model `model` on one input tensor and returns the handle of its output tensor (`logits`, or
 * the first output); every other output is dropped. -1 after writing a failure to `ret`.
 */
function run(ret: usize, model: string, dims: usize, rank: usize, ty: u8, data: usize, dataLength: usize): i32 {
  if (ty >= TENSOR_TYPE_COUNT) {
    fail(ret, 'invalid-argument', 'unknown tensor type ' + ty.toString());
    return -1;
  }
  const context = contextFor(model, ret);
  if (context < 0) return -1;
  const tensor = newTensor(dims, rank, ty, data, dataLength);
  const inputs = alloc(12);
  storeString(inputs, INPUT_NAME);
  store<i32>(inputs, tensor, 8); // ownership moves to the host
  const result = alloc(12);
  compute(context, inputs, 1, result);
  if (load<u8>(result) != 0) { failWithError(ret, load<i32>(result, 4)); return -1; }
  const outputs = <usize>load<u32>(result, 4);
  const count = <usize>load<u32>(result, 8);
  if (count == 0) {
    fail(ret, 'runtime-error', 'the model returned no output');
    return -1;
  }
  let chosen: usize = 0;
  for (let i: usize = 0; i < count; i++) {
    const entry = outputs + i * 12;
    if (String.UTF8.decodeUnsafe(<usize>load<u32>(entry), <usize>load<u32>(entry, 4)) == OUTPUT_NAME) { chosen = i; break; }
  }
  for (let i: usize = 0; i < count; i++) {
    if (i != chosen) dropTensor(load<i32>(outputs + i * 12, 8));
  }
  return load<i32>(outputs + chosen * 12, 8);
}

/**
 * `run-raw`: one input tensor as given, the output tensor's bytes back. Writes
 * result<list<u8>, nn-failure> to `ret`.
 */
export function runRaw(ret: usize, model: string, dims: usize, rank: usize, ty: u8, data: usize, dataLength: usize): usize {
  const output = run(ret, model, dims, rank, ty, data, dataLength);
  if (output < 0) return ret;
  tensorData(output, ret + 4);
  dropTensor(output);
  store<u8>(ret, 0);
  return ret;
}

/**
 * Classifies one f32 input tensor (`dims` as u32s, `values` f32s): softmax over the output
 * logits, argmax as the label. Writes result<classification, nn-failure> to `ret`.
 */
export function classifyTensor(ret: usize, model: string, dims: StaticArray<u32>, values: usize, count: usize): usize {
  const output = run(ret, model, changetype<usize>(dims), <usize>dims.length, FP32, values, count * 4);
  if (output < 0) return ret;
  const ty = tensorType(output);
  const bytes = alloc(8);
  tensorData(output, bytes);
  dropTensor(output);
  if (ty != FP32) return fail(ret, 'runtime-error', 'the model output is not f32');
  const logits = <usize>load<u32>(bytes);
  const n = <usize>load<u32>(bytes, 4) / 4;
  if (n == 0) return fail(ret, 'runtime-error', 'the model output is empty');
  // The host's list<u8> is 1-byte aligned in principle; copy into an aligned f32 buffer.
  const probabilities = alloc(n * 4);
  memory.copy(probabilities, logits, n * 4);
  let label: usize = 0;
  let max = load<f32>(probabilities);
  for (let i: usize = 1; i < n; i++) {
    const v = load<f32>(probabilities + i * 4);
    if (v > max) { max = v; label = i; }
  }
  let sum: f32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const e = Mathf.exp(load<f32>(probabilities + i * 4) - max);
    store<f32>(probabilities + i * 4, e);
    sum += e;
  }
  for (let i: usize = 0; i < n; i++) store<f32>(probabilities + i * 4, load<f32>(probabilities + i * 4) / sum);
  store<u8>(ret, 0);
  store<u32>(ret, <u32>label, 4);
  store<u32>(ret, <u32>probabilities, 8);
  store<u32>(ret, <u32>n, 12);
  return ret;
}

/** `load-bytes`: graph.load([model], onnx, cpu); writes result<u32, nn-failure> (0 on success). */
export function loadBytes(ret: usize, model: usize, modelLength: usize): usize {
  const builders = alloc(8);
  store<u32>(builders, <u32>model);
  store<u32>(builders, <u32>modelLength, 4);
  const loaded = alloc(8);
  loadGraph(builders, 1, ENCODING_ONNX, TARGET_CPU, loaded);
  if (load<u8>(loaded) != 0) return failWithError(ret, load<i32>(loaded, 4));
  dropGraph(load<i32>(loaded, 4));
  store<u8>(ret, 0);
  store<u32>(ret, 0, 4);
  return ret;
}

/**
 * Parses a binary netpbm header (`P5` grayscale when `magic` is '5', `P6` RGB when '6'):
 * returns the offset of the pixel data, or -1 when it is not such an image of `side`×`side`
 * pixels with maxval ≤ 255. Sets `pnmMaxval`.
 */
export let pnmMaxval: u32 = 255;
export function parsePnm(image: usize, length: usize, magic: u8, side: u32): isize {
  if (length < 2 || load<u8>(image) != 0x50 /* P */ || load<u8>(image, 1) != magic) return -1;
  let pos: usize = 2;
  const fields = new StaticArray<u32>(3);
  for (let f = 0; f < 3; f++) {
    // whitespace and comments
    while (pos < length) {
      const c = load<u8>(image + pos);
      if (c == 0x23 /* # */) { while (pos < length && load<u8>(image + pos) != 0x0a) pos++; }
      else if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) pos++;
      else break;
    }
    let value: u32 = 0;
    let digits = 0;
    while (pos < length) {
      const c = load<u8>(image + pos);
      if (c < 0x30 || c > 0x39 || digits > 6) break;
      value = value * 10 + <u32>(c - 0x30);
      digits++;
      pos++;
    }
    if (digits == 0) return -1;
    fields[f] = value;
  }
  // exactly one whitespace byte separates the header from the pixels
  if (pos >= length) return -1;
  const sep = load<u8>(image + pos);
  if (sep != 0x20 && sep != 0x09 && sep != 0x0a && sep != 0x0d) return -1;
  pos++;
  if (fields[0] != side || fields[1] != side || fields[2] == 0 || fields[2] > 255) return -1;
  const channels: usize = magic == 0x36 ? 3 : 1;
  if (length - pos != <usize>side * <usize>side * channels) return -1;
  pnmMaxval = fields[2];
  return <isize>pos;
}
