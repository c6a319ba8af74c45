// wasi:nn@0.2.0-rc-2024-10-28 imports (guests/_wit/wasi-nn.wit), declared by hand with their
// canonical-ABI core signatures. Resources are i32 handles. Results are written to `ret`:
// result<own<T>, own<error>> is [0] tag, [4] handle (8 bytes).

// ---- wasi:nn/tensor ----
/** tensor-type enum indices. */
export const FP16: u8 = 0, FP32: u8 = 1, FP64: u8 = 2, BF16: u8 = 3, U8: u8 = 4, I32: u8 = 5, I64: u8 = 6;
export const TENSOR_TYPE_COUNT: u8 = 7;

@external("wasi:nn/tensor@0.2.0-rc-2024-10-28", "[constructor]tensor")
export declare function newTensor(dimsPtr: usize, dimsLen: usize, ty: i32, dataPtr: usize, dataLen: usize): i32;
@external("wasi:nn/tensor@0.2.0-rc-2024-10-28", "[method]tensor.ty")
export declare function tensorType(self: i32): i32;
/** list<u8> as (ptr, len) at ret. */
@external("wasi:nn/tensor@0.2.0-rc-2024-10-28", "[method]tensor.data")
export declare function tensorData(self: i32, ret: usize): void;
@external("wasi:nn/tensor@0.2.0-rc-2024-10-28", "[resource-drop]tensor")
export declare function dropTensor(self: i32): void;

// ---- wasi:nn/graph ----
/** graph-encoding / execution-target enum indices. */
export const ENCODING_ONNX: i32 = 1;
export const TARGET_CPU: i32 = 0;

/** builders: list<list<u8>>, 8-byte (ptr, len) elements. */
@external("wasi:nn/graph@0.2.0-rc-2024-10-28", "load")
export declare function loadGraph(buildersPtr: usize, buildersLen: usize, encoding: i32, target: i32, ret: usize): void;
@external("wasi:nn/graph@0.2.0-rc-2024-10-28", "load-by-name")
export declare function loadByName(namePtr: usize, nameLen: usize, ret: usize): void;
@external("wasi:nn/graph@0.2.0-rc-2024-10-28", "[method]graph.init-execution-context")
export declare function initExecutionContext(self: i32, ret: usize): void;
@external("wasi:nn/graph@0.2.0-rc-2024-10-28", "[resource-drop]graph")
export declare function dropGraph(self: i32): void;

// ---- wasi:nn/inference ----
/**
 * inputs: list<tuple<string, own<tensor>>>, 12-byte elements (name ptr, name len, handle); the
 * tensors move to the host. result<list<named-tensor>, own<error>> at ret: [0] tag, [4] ptr,
 * [8] len; or [4] error handle.
 */
@external("wasi:nn/inference@0.2.0-rc-2024-10-28", "[method]graph-execution-context.compute")
export declare function compute(self: i32, inputsPtr: usize, inputsLen: usize, ret: usize): void;
@external("wasi:nn/inference@0.2.0-rc-2024-10-28", "[resource-drop]graph-execution-context")
export declare function dropExecutionContext(self: i32): void;

// ---- wasi:nn/errors ----
@external("wasi:nn/errors@0.2.0-rc-2024-10-28", "[method]error.code")
export declare function errorCode(self: i32): i32;
/** string as (ptr, len) at ret. */
@external("wasi:nn/errors@0.2.0-rc-2024-10-28", "[method]error.data")
export declare function errorData(self: i32, ret: usize): void;
@external("wasi:nn/errors@0.2.0-rc-2024-10-28", "[resource-drop]error")
export declare function dropError(self: i32): void;

/** The `wasi:nn/errors` error-code names, by enum index. */
export const ERROR_CODES: string[] = [
  'invalid-argument', 'invalid-encoding', 'timeout', 'runtime-error', 'unsupported-operation',
  'too-large', 'not-found', 'security', 'unknown',
];
