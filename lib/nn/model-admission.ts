/**
 * Admission of ONNX models a guest hands to `graph.load`, before any inference engine sees the
 * bytes. An ONNX model is a protobuf `ModelProto`; onnxruntime will follow anything in it that
 * points outside the model bytes. So the bytes are walked here, field by field, over every place a
 * tensor or a graph can hide (initializers, sparse initializers, node attributes, subgraphs of
 * `Loop`/`If`/`Scan` to any depth, model-local functions and their default attributes), and a
 * model is refused when:
 *
 * - a tensor has a `data_location` other than DEFAULT (EXTERNAL, however its varint is spelled)
 *   or any `external_data` entry (onnxruntime would read a file relative to the host's working
 *   directory): `unsupported-operation`;
 * - a node uses an operator domain this runtime does not ship (custom-op libraries are never
 *   registered) and the model does not define as a local function: `unsupported-operation`;
 * - it carries `training_info` (graphs onnxruntime does not run for inference, so nothing here
 *   should have to vouch for them), or an `ort_config` metadata entry (session settings taken from
 *   the model when the host process sets `ORT_LOAD_CONFIG_FROM_MODEL`): `unsupported-operation`;
 * - it is an ORT-format (flatbuffer) model rather than ONNX: `invalid-encoding`;
 * - the protobuf is malformed, uses group wire types, nests deeper than {@link MAX_NESTING}, or has
 *   a field this runtime does not know in a message that can hold tensors or graphs (a newer ONNX
 *   field would be read by the engine without being checked here): `invalid-encoding`.
 *
 * The walk reads lengths and tags only: no tensor data is decoded or copied, and it allocates
 * almost nothing, so admission costs a fraction of what parsing the model costs the engine.
 * Written by hand rather than with a protobuf library because a full decode materialises every
 * tensor's values as JS numbers (a 64 MiB model would cost the host far more than 64 MiB) and
 * keeps unknown fields silently, where admission needs the opposite on both counts.
 */
import { NnError, printable } from './errors.js';

/** Deepest message nesting accepted (graphs inside attributes inside nodes inside graphs ...). */
export const MAX_NESTING = 64;

/** Operator domains whose kernels both engines ship: ONNX, ONNX-ML and onnxruntime's contrib ops. */
export const SHIPPED_DOMAINS: ReadonlySet<string> = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);

/** What a field holds, for the walk. */
const enum F {
  /** Length-delimited bytes or string, not inspected. */
  Bytes,
  /** A scalar (varint or fixed), or a packed list of scalars (length-delimited). */
  Scalar,
  Tensor, SparseTensor, Graph, Node, Attribute, Function, TrainingInfo, StringEntry,
  /** A message that cannot contain tensors or graphs (value infos, types, annotations, ...): skipped whole. */
  Leaf,
  /** `NodeProto.domain`: recorded and checked once the model's local functions are known. */
  Domain,
  /** `TensorProto.data_location`: must be DEFAULT (0); anything else may be EXTERNAL to the engine. */
  DataLocation,
  /** `TensorProto.external_data`: must be absent. */
  ExternalData,
  /** `ModelProto.training_info`: refused. */
  Training,
  /** `ModelProto.metadata_props`: checked for `ort_config`. */
  ModelMetadata,
  /** `ModelProto.functions`: a function; its domain makes that domain local. */
  LocalFunction,
  /** `FunctionProto.domain`. */
  FunctionDomain,
}

type Schema = ReadonlyMap<number, F>;
const schema = (entries: Array<[number, F]>): Schema => new Map(entries);

// Field numbers from onnx.proto (ONNX 1.18, the one onnxruntime 1.30 reads). Every field of these
// messages is listed: an unlisted number is refused, since the engine might read it.
const MODEL = schema([
  [1, F.Scalar], [8, F.Leaf], [2, F.Bytes], [3, F.Bytes], [4, F.Bytes], [5, F.Scalar], [6, F.Bytes],
  [7, F.Graph], [14, F.ModelMetadata], [20, F.Training], [25, F.LocalFunction], [26, F.Leaf],
]);
const GRAPH = schema([
  [1, F.Node], [2, F.Bytes], [5, F.Tensor], [15, F.SparseTensor], [10, F.Bytes], [11, F.Leaf],
  [12, F.Leaf], [13, F.Leaf], [14, F.Leaf], [16, F.Leaf],
]);
const NODE = schema([
  [1, F.Bytes], [2, F.Bytes], [3, F.Bytes], [4, F.Bytes], [7, F.Domain], [8, F.Bytes],
  [5, F.Attribute], [6, F.Bytes], [9, F.Leaf], [10, F.Leaf],
]);
const ATTRIBUTE = schema([
  [1, F.Bytes], [21, F.Bytes], [13, F.Bytes], [20, F.Scalar], [2, F.Scalar], [3, F.Scalar], [4, F.Bytes],
  [5, F.Tensor], [6, F.Graph], [22, F.SparseTensor], [14, F.Leaf], [7, F.Scalar], [8, F.Scalar],
  [9, F.Bytes], [10, F.Tensor], [11, F.Graph], [23, F.SparseTensor], [15, F.Leaf],
]);
const TENSOR = schema([
  [1, F.Scalar], [2, F.Scalar], [3, F.Leaf], [4, F.Scalar], [5, F.Scalar], [6, F.Bytes], [7, F.Scalar],
  [8, F.Bytes], [12, F.Bytes], [9, F.Bytes], [13, F.ExternalData], [14, F.DataLocation], [10, F.Scalar],
  [11, F.Scalar], [16, F.Leaf],
]);
const SPARSE_TENSOR = schema([[1, F.Tensor], [2, F.Tensor], [3, F.Scalar]]);
const FUNCTION = schema([
  [1, F.Bytes], [4, F.Bytes], [5, F.Bytes], [6, F.Bytes], [11, F.Attribute], [7, F.Node], [8, F.Bytes],
  [9, F.Leaf], [10, F.FunctionDomain], [13, F.Bytes], [12, F.Leaf], [14, F.Leaf],
]);
const STRING_ENTRY = schema([[1, F.Bytes], [2, F.Bytes]]);

const SCHEMAS: Partial<Record<F, Schema>> = {
  [F.Tensor]: TENSOR, [F.SparseTensor]: SPARSE_TENSOR, [F.Graph]: GRAPH, [F.Node]: NODE,
  [F.Attribute]: ATTRIBUTE, [F.Function]: FUNCTION, [F.LocalFunction]: FUNCTION,
};

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;
const DATA_LOCATION_DEFAULT = 0;
/** onnxruntime's flatbuffer format puts this file identifier at bytes 4..8. */
const ORT_FORMAT_IDENTIFIER = 'ORTM';

/** What the walk found that is only decidable at the end. */
interface Findings {
  /** Operator domains used by nodes (the default domain is not recorded). */
  domains: Set<string>;
  /** Domains of the model's local functions. */
  localDomains: Set<string>;
}

/**
 * Checks guest-supplied ONNX bytes. Returns normally when the model may be handed to an engine;
 * throws `NnError` (`invalid-encoding` or `unsupported-operation`, see the module comment) when
 * not. The message names the reason, never anything of the host.
 */
export function admitGuestModel(bytes: Uint8Array): void {
  if (bytes.byteLength >= 8 && String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!) === ORT_FORMAT_IDENTIFIER) {
    throw new NnError('invalid-encoding', 'ORT-format models are not accepted from guests; pass an ONNX (protobuf) model');
  }
  const findings: Findings = { domains: new Set(), localDomains: new Set() };
  walk(bytes, 0, bytes.byteLength, MODEL, 'ModelProto', 0, findings);
  for (const domain of findings.domains) {
    if (!SHIPPED_DOMAINS.has(domain) && !findings.localDomains.has(domain)) {
      throw new NnError('unsupported-operation', `model uses operator domain \`${printable(domain)}\`, which this runtime does not provide`);
    }
  }
}

/** Walks the message in `bytes[start, end)` with the given field table. */
function walk(bytes: Uint8Array, start: number, end: number, fields: Schema, what: string, depth: number, findings: Findings): void {
  if (depth > MAX_NESTING) throw new NnError('invalid-encoding', `model nests messages deeper than ${MAX_NESTING} levels`);
  let pos = start;
  while (pos < end) {
    const key = readVarint(bytes, pos, end);
    pos = key.next;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    const kind = fields.get(field);
    if (kind === undefined) throw new NnError('invalid-encoding', `model has an unknown field ${field} in a ${what}`);
    let bodyStart = pos;
    let bodyEnd: number;
    switch (wire) {
      case WIRE_VARINT: bodyEnd = readVarint(bytes, pos, end).next; break;
      case WIRE_FIXED64: bodyEnd = pos + 8; break;
      case WIRE_FIXED32: bodyEnd = pos + 4; break;
      case WIRE_BYTES: {
        const len = readVarint(bytes, pos, end);
        bodyStart = len.next;
        bodyEnd = bodyStart + len.value;
        break;
      }
      default: throw new NnError('invalid-encoding', `model uses protobuf wire type ${wire} in a ${what}`);
    }
    if (bodyEnd > end) throw new NnError('invalid-encoding', `model is truncated inside a ${what}`);
    pos = bodyEnd;
    // A scalar may be a varint/fixed or a packed list; everything else must be length-delimited.
    if (kind !== F.Scalar && kind !== F.DataLocation && wire !== WIRE_BYTES) {
      throw new NnError('invalid-encoding', `model has field ${field} of a ${what} with the wrong wire type`);
    }
    switch (kind) {
      case F.Scalar: case F.Bytes: case F.Leaf:
        break;
      case F.DataLocation:
        if (wire !== WIRE_VARINT) throw new NnError('invalid-encoding', 'model has a tensor data_location with the wrong wire type');
        // Only DEFAULT is admitted. protobuf reads an enum's varint as int32 (its low 32 bits), so
        // 2^32 + 1 is EXTERNAL to the engine though not equal to 1 here; any value but 0 is either
        // EXTERNAL under another spelling or not a DataLocation at all.
        if (readVarint(bytes, bodyStart, bodyEnd).value !== DATA_LOCATION_DEFAULT) throw externalData();
        break;
      case F.ExternalData:
        throw externalData();
      case F.Training:
        throw new NnError('unsupported-operation', 'models with training_info are not accepted from guests');
      case F.ModelMetadata:
        if (entryKey(bytes, bodyStart, bodyEnd) === 'ort_config') {
          throw new NnError('unsupported-operation', 'models that carry onnxruntime session settings (`ort_config` metadata) are not accepted from guests');
        }
        break;
      case F.Domain: {
        const domain = utf8(bytes, bodyStart, bodyEnd);
        if (domain !== '') findings.domains.add(domain);
        break;
      }
      case F.FunctionDomain:
        findings.localDomains.add(utf8(bytes, bodyStart, bodyEnd));
        break;
      default:
        walk(bytes, bodyStart, bodyEnd, SCHEMAS[kind]!, messageName(kind), depth + 1, findings);
    }
  }
}

function externalData(): NnError {
  return new NnError('unsupported-operation', 'models whose tensors point at external data are not accepted from guests; embed the data in the model');
}

const MESSAGE_NAMES: Partial<Record<F, string>> = {
  [F.Tensor]: 'TensorProto', [F.SparseTensor]: 'SparseTensorProto', [F.Graph]: 'GraphProto', [F.Node]: 'NodeProto',
  [F.Attribute]: 'AttributeProto', [F.Function]: 'FunctionProto', [F.LocalFunction]: 'FunctionProto',
};
const messageName = (kind: F): string => MESSAGE_NAMES[kind] ?? 'message';

/** A varint at `pos` (up to 2^53, the most a length or tag here can need), and where it ends. */
function readVarint(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new NnError('invalid-encoding', 'model is truncated inside a varint');
    const b = bytes[pos++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) throw new NnError('invalid-encoding', 'model has an out-of-range varint');
      return { value, next: pos };
    }
    scale *= 128;
  }
  throw new NnError('invalid-encoding', 'model has a varint longer than 10 bytes');
}

/** The `key` of a `StringStringEntryProto` in `bytes[start, end)`, or undefined. */
function entryKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  let key: string | undefined;
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos, end);
    if (tag.value % 8 !== WIRE_BYTES || !STRING_ENTRY.has(Math.floor(tag.value / 8))) throw new NnError('invalid-encoding', 'model has a malformed metadata entry');
    const len = readVarint(bytes, tag.next, end);
    if (len.next + len.value > end) throw new NnError('invalid-encoding', 'model is truncated inside a metadata entry');
    if (Math.floor(tag.value / 8) === 1) key = utf8(bytes, len.next, len.next + len.value);
    pos = len.next + len.value;
  }
  return key;
}

const DECODER = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 (protobuf `string` fields must be valid UTF-8; the engine would refuse otherwise). */
function utf8(bytes: Uint8Array, start: number, end: number): string {
  try {
    return DECODER.decode(bytes.subarray(start, end));
  } catch {
    throw new NnError('invalid-encoding', 'model has a string field that is not valid UTF-8');
  }
}
