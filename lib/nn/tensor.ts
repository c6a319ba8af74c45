import { NnError, printable } from './errors.js';

/** Element types the engines accept and return (ONNX names, as onnxruntime spells them). */
export type NnTensorType = 'float16' | 'float32' | 'float64' | 'bfloat16' | 'uint8' | 'int32' | 'int64';

/** A dense row-major tensor. `data` may be any typed array (or `Uint8Array` of raw bytes). */
export interface NnTensor {
  type: NnTensorType;
  dims: number[];
  data: ArrayBufferView;
}

/** A model input or output as the model declares it; symbolic dimensions are strings. */
export interface NnValueInfo {
  name: string;
  /** `undefined` when the model uses a type these engines do not support (string, bool, ...). */
  type: NnTensorType | undefined;
  dims: Array<number | string>;
}

/** ONNX `TensorProto.DataType` numbers, shared by both onnxruntime packages. */
const ONNX_TYPE_IDS: Record<NnTensorType, number> = {
  float32: 1, uint8: 2, int32: 6, int64: 7, float16: 10, float64: 11, bfloat16: 16,
};

const ELEMENT_BYTES: Record<NnTensorType, number> = {
  float16: 2, float32: 4, float64: 8, bfloat16: 2, uint8: 1, int32: 4, int64: 8,
};

/** The ONNX data type number of `type`. */
export function onnxTypeId(type: NnTensorType): number {
  return ONNX_TYPE_IDS[type];
}

/** Tensor types indexed by ONNX data type number. */
const TYPES_BY_ONNX_ID: ReadonlyArray<NnTensorType | undefined> = (() => {
  const table: Array<NnTensorType | undefined> = [];
  for (const [name, id] of Object.entries(ONNX_TYPE_IDS)) table[id] = name as NnTensorType;
  return table;
})();

/** The tensor type of an ONNX data type number, or `undefined` when unsupported. */
export function typeFromOnnxId(id: number): NnTensorType | undefined {
  return Number.isInteger(id) && id >= 0 ? TYPES_BY_ONNX_ID[id] : undefined;
}

/** Bytes per element of `type`. */
export function elementBytes(type: NnTensorType): number {
  return ELEMENT_BYTES[type];
}

/** Number of elements of a tensor with `dims` (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A fresh typed array of `length` elements suited to `type` (16-bit floats as `Uint16Array`). */
export function allocateData(type: NnTensorType, length: number): ArrayBufferView & { length: number } {
  switch (type) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'float16': case 'bfloat16': return new Uint16Array(length);
    case 'uint8': return new Uint8Array(length);
    case 'int32': return new Int32Array(length);
    case 'int64': return new BigInt64Array(length);
  }
}

/** The raw bytes of a typed array, without copying. */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Checks `feeds` against the model's declared inputs: every input given exactly once, no unknown
 * names, same element type, same rank, fixed dimensions equal, and a data length that matches the
 * dimensions. Throws `NnError('invalid-argument')` naming the first mismatch. Both engines run this
 * before touching onnxruntime, so they reject the same inputs with the same words.
 */
export function checkFeeds(inputs: readonly NnValueInfo[], feeds: Record<string, NnTensor>): void {
  // Runs on every inference: plain loops, no per-call maps or closures. Inputs are few.
  // Names and shapes in messages are the guest's (or its model's): always through `printable` /
  // `shapeText`, so a message costs the host a few hundred bytes whatever was sent.
  for (const name in feeds) {
    if (!Object.hasOwn(feeds, name)) continue;
    if (!declares(inputs, name)) throw new NnError('invalid-argument', `model has no input named \`${printable(name)}\`; inputs: ${namesText(inputs)}`);
  }
  for (const info of inputs) {
    const feed = Object.hasOwn(feeds, info.name) ? feeds[info.name] : undefined;
    // The input's name is quoted only when a message needs it (`printable` scans it).
    if (feed === undefined) throw new NnError('invalid-argument', `missing ${inputText(info)}`);
    const issue = tensorIssue(feed);
    if (issue !== undefined) throw new NnError('invalid-argument', `${inputText(info)} ${issue}`);
    if (info.type === undefined) throw new NnError('unsupported-operation', `${inputText(info)} has an element type this runtime does not support`);
    if (feed.type !== info.type) throw new NnError('invalid-argument', `${inputText(info)} must be ${info.type}, got ${feed.type}`);
    if (feed.dims.length !== info.dims.length) {
      throw new NnError('invalid-argument', `${inputText(info)} must have rank ${info.dims.length} ${shapeText(info.dims)}, got ${shapeText(feed.dims)}`);
    }
    for (let i = 0; i < info.dims.length; i++) {
      const want = info.dims[i]!;
      if (typeof want === 'number' && want >= 0 && feed.dims[i] !== want) {
        throw new NnError('invalid-argument', `${inputText(info)} must have shape ${shapeText(info.dims)}, got ${shapeText(feed.dims)}`);
      }
    }
  }
}

/** `[1, 28, 28]` for a message: at most 8 dimensions shown, symbolic ones through `printable`. */
export function shapeText(dims: ReadonlyArray<number | string>): string {
  const shown = dims.slice(0, 8).map((d) => (typeof d === 'string' ? printable(d) : String(d)));
  return `[${shown.join(', ')}${dims.length > 8 ? `, … (rank ${dims.length})` : ''}]`;
}

/** `input \`name\`` for a message. */
function inputText(info: NnValueInfo): string {
  return `input \`${printable(info.name)}\``;
}

/** The model's input names for a message: at most 8. */
function namesText(inputs: readonly NnValueInfo[]): string {
  const shown = inputs.slice(0, 8).map((i) => printable(i.name)).join(', ');
  return inputs.length > 8 ? `${shown}, … (${inputs.length} inputs)` : shown;
}

/** Whether the model declares an input called `name`. */
function declares(inputs: readonly NnValueInfo[], name: string): boolean {
  for (const info of inputs) if (info.name === name) return true;
  return false;
}

/** Largest accepted dimension (int32 max). */
export const MAX_DIMENSION = 2 ** 31 - 1;
/**
 * Most dimensions a tensor may have (numpy's limit). The host keeps a tensor's dimensions and
 * the wasm engine copies them onto its own stack, so a rank is host memory and engine stack a
 * guest would otherwise choose freely (a 16 MiB guest sent 1.5 M dimensions per tensor).
 */
export const MAX_RANK = 64;

/** Checks that a tensor is self-consistent: known type, non-negative integer dims, matching byte length. */
export function checkTensor(tensor: NnTensor, what = 'tensor'): void {
  const issue = tensorIssue(tensor);
  if (issue !== undefined) throw new NnError('invalid-argument', `${what} ${issue}`);
}

/** What is wrong with `tensor` (the end of a message naming it), or undefined. */
function tensorIssue(tensor: NnTensor): string | undefined {
  if (!(tensor.type in ELEMENT_BYTES)) return `has unsupported element type ${printable(String(tensor.type))}`;
  if (!Array.isArray(tensor.dims)) return 'has invalid dimensions';
  if (tensor.dims.length > MAX_RANK) return `has rank ${tensor.dims.length}; at most ${MAX_RANK} dimensions are supported`;
  // Dimensions travel to onnxruntime-web as int32.
  if (!validDims(tensor.dims)) return 'has invalid dimensions';
  if (!ArrayBuffer.isView(tensor.data)) return 'data must be a typed array';
  const want = elementCount(tensor.dims) * ELEMENT_BYTES[tensor.type];
  if (tensor.data.byteLength !== want) return `${shapeText(tensor.dims)} ${tensor.type} needs ${want} bytes of data, got ${tensor.data.byteLength}`;
  return undefined;
}

/** Whether every dimension is an integer in [0, MAX_DIMENSION]. */
function validDims(dims: readonly unknown[]): boolean {
  for (const d of dims) if (!(Number.isInteger(d) && (d as number) >= 0 && (d as number) <= MAX_DIMENSION)) return false;
  return true;
}
