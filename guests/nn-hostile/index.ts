// The `nn-hostile` guest (see world.wit): wasi:nn driven with raw bytes and raw handle numbers.
// Results: result<u32 | list<u8>, failure> is 20 bytes: [0] tag, [4] u32 or (ptr, len), or
// failure { code: string, message: string } at [4] and [12].
import { alloc, releaseCallMemory, storeString } from '../_lib/cabi';
import {
  ENCODING_ONNX, TARGET_CPU, ERROR_CODES, U8,
  newTensor, tensorData, dropTensor, loadGraph, loadByName, initExecutionContext,
  dropGraph, compute as nnCompute, dropExecutionContext, errorCode, errorData, dropError,
} from '../_lib/wasi-nn';

export { cabi_realloc } from '../_lib/cabi';

const RESULT_SIZE: usize = 20;

/** Writes `err(failure)` for wasi:nn error handle `error` to `ret` and drops the handle. */
function failWith(ret: usize, error: i32): usize {
  const code = errorCode(error);
  const data = alloc(8);
  errorData(error, data);
  dropError(error);
  store<u8>(ret, 1);
  storeString(ret + 4, code >= 0 && code < ERROR_CODES.length ? ERROR_CODES[code] : 'unknown');
  store<u32>(ret + 12, load<u32>(data));
  store<u32>(ret + 16, load<u32>(data, 4));
  return ret;
}

/** Writes `ok(value)` to `ret`. */
function ok(ret: usize, value: u32): usize {
  store<u8>(ret, 0);
  store<u32>(ret + 4, value);
  return ret;
}

/** A handle result<own<T>, own<error>> at `at` → ok(handle) or err(failure) in `ret`. */
function handleResult(ret: usize, at: usize): usize {
  if (load<u8>(at) != 0) return failWith(ret, load<i32>(at, 4));
  return ok(ret, load<u32>(at, 4));
}

/** `load-model: func(model: list<u8>) -> result<u32, failure>` */
export function load_model(model: usize, modelLength: usize): usize {
  const builders = alloc(8);
  store<u32>(builders, <u32>model);
  store<u32>(builders + 4, <u32>modelLength);
  const at = alloc(8);
  loadGraph(builders, 1, ENCODING_ONNX, TARGET_CPU, at);
  return handleResult(alloc(RESULT_SIZE), at);
}

/** `load-named: func(name: list<u8>) -> result<u32, failure>` */
export function load_named(name: usize, nameLength: usize): usize {
  const at = alloc(8);
  loadByName(name, nameLength, at);
  return handleResult(alloc(RESULT_SIZE), at);
}

/** `init-context: func(graph: u32) -> result<u32, failure>` */
export function init_context(graph: u32): usize {
  const at = alloc(8);
  initExecutionContext(<i32>graph, at);
  return handleResult(alloc(RESULT_SIZE), at);
}

/** Runs compute with one input (`name` bytes, tensor handle); the result list is at `at`. */
function runCompute(ctx: u32, name: usize, nameLength: usize, tensor: i32, at: usize): void {
  const inputs = alloc(12);
  store<u32>(inputs, <u32>name);
  store<u32>(inputs + 4, <u32>nameLength);
  store<i32>(inputs + 8, tensor);
  nnCompute(<i32>ctx, inputs, 1, at);
}

/** Drops every output tensor of a successful compute result at `at`, except index `keep`. */
function dropOutputs(at: usize, keep: isize): void {
  const outputs = <usize>load<u32>(at, 4);
  const count = <isize>load<u32>(at, 8);
  for (let i: isize = 0; i < count; i++) if (i != keep) dropTensor(load<i32>(outputs + <usize>i * 12, 8));
}

/** `compute: func(ctx: u32, name: list<u8>, dims: list<u32>, ty: u8, data: list<u8>) -> result<list<u8>, failure>` */
export function compute(ctx: u32, name: usize, nameLength: usize, dims: usize, rank: usize, ty: u8, data: usize, dataLength: usize): usize {
  const ret = alloc(RESULT_SIZE);
  const tensor = newTensor(dims, rank, ty, data, dataLength);
  const at = alloc(12);
  runCompute(ctx, name, nameLength, tensor, at);
  if (load<u8>(at) != 0) return failWith(ret, load<i32>(at, 4));
  const count = load<u32>(at, 8);
  if (count == 0) {
    store<u8>(ret, 0);
    store<u32>(ret + 4, 0);
    store<u32>(ret + 8, 0);
    return ret;
  }
  const first = load<i32>(<usize>load<u32>(at, 4), 8);
  tensorData(first, ret + 4);
  dropOutputs(at, -1);
  store<u8>(ret, 0);
  return ret;
}

/** `compute-with-handle: func(ctx: u32, name: list<u8>, tensor: u32) -> result<u32, failure>` */
export function compute_with_handle(ctx: u32, name: usize, nameLength: usize, tensor: u32): usize {
  const ret = alloc(RESULT_SIZE);
  const at = alloc(12);
  runCompute(ctx, name, nameLength, <i32>tensor, at);
  if (load<u8>(at) != 0) return failWith(ret, load<i32>(at, 4));
  const count = load<u32>(at, 8);
  dropOutputs(at, -1);
  return ok(ret, count);
}

/** `new-tensor: func(dims: list<u32>, ty: u8, data: list<u8>) -> u32` */
export function new_tensor(dims: usize, rank: usize, ty: u8, data: usize, dataLength: usize): u32 {
  const handle = <u32>newTensor(dims, rank, ty, data, dataLength);
  releaseCallMemory();
  return handle;
}

/** `hoard-tensors: func(n: u32, bytes: u32) -> u32` */
export function hoard_tensors(n: u32, bytes: u32): u32 {
  const dims = alloc(4);
  store<u32>(dims, bytes);
  const data = alloc(<usize>bytes);
  memory.fill(data, 0, <usize>bytes);
  for (let i: u32 = 0; i < n; i++) newTensor(dims, 1, U8, data, <usize>bytes);
  releaseCallMemory();
  return n;
}

/** `hoard-contexts: func(graph: u32, n: u32) -> result<u32, failure>` */
export function hoard_contexts(graph: u32, n: u32): usize {
  const ret = alloc(RESULT_SIZE);
  const at = alloc(8);
  for (let i: u32 = 0; i < n; i++) {
    initExecutionContext(<i32>graph, at);
    if (load<u8>(at) != 0) return failWith(ret, load<i32>(at, 4));
  }
  return ok(ret, n);
}

/** `hoard-errors: func(n: u32) -> u32` */
export function hoard_errors(n: u32): u32 {
  const name = alloc(1);
  store<u8>(name, 0x3f); // "?": no model has that name
  const at = alloc(8);
  let kept: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    loadByName(name, 1, at);
    if (load<u8>(at) != 0) kept++;
    else dropGraph(load<i32>(at, 4));
  }
  releaseCallMemory();
  return kept;
}

/** `tensor-length: func(tensor: u32) -> u32` */
export function tensor_length(tensor: u32): u32 {
  const at = alloc(8);
  tensorData(<i32>tensor, at);
  const length = load<u32>(at, 4);
  releaseCallMemory();
  return length;
}

/** What `init` opened: [graph, context], 0 for none (wasi:nn handles start at 1). */
const initHandles = memory.data(8);

/** `init: func()` */
export function init(): void {
  const name = String.UTF8.encode('init-model');
  const at = alloc(8);
  loadByName(changetype<usize>(name), <usize>name.byteLength, at);
  if (load<u8>(at) != 0) dropError(load<i32>(at, 4));
  else {
    const graph = load<i32>(at, 4);
    initExecutionContext(graph, at);
    if (load<u8>(at) != 0) { dropError(load<i32>(at, 4)); dropGraph(graph); }
    else { store<u32>(initHandles, <u32>graph); store<u32>(initHandles, load<u32>(at, 4), 4); }
  }
  releaseCallMemory();
}

/** `init-handles: func() -> tuple<u32, u32>` */
export function init_handles(): usize { return initHandles; }

/** `drop-graph: func(graph: u32)`, `drop-context: func(ctx: u32)`, `drop-tensor: func(tensor: u32)` */
export function drop_graph(graph: u32): void { dropGraph(<i32>graph); }
export function drop_context(ctx: u32): void { dropExecutionContext(<i32>ctx); }
export function drop_tensor(tensor: u32): void { dropTensor(<i32>tensor); }

// Post-return: the host has copied the results out; free this call's memory.
export function cabi_post_load_model(ret: usize): void { releaseCallMemory(); }
export function cabi_post_load_named(ret: usize): void { releaseCallMemory(); }
export function cabi_post_init_context(ret: usize): void { releaseCallMemory(); }
export function cabi_post_compute(ret: usize): void { releaseCallMemory(); }
export function cabi_post_compute_with_handle(ret: usize): void { releaseCallMemory(); }
export function cabi_post_hoard_contexts(ret: usize): void { releaseCallMemory(); }
