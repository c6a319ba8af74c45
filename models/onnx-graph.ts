/**
 * Minimal helpers to write ONNX models (opset 13) with onnx-proto: float initializers, nodes with
 * typed attributes, tensor value infos and the model envelope. Only what our generators need.
 */
import { onnx } from 'onnx-proto';

/** The ONNX opset our models declare; every op used must exist in it (and in onnxruntime-web). */
export const OPSET = 13;
/** IR version 7 is the one that introduced opset 13. */
export const IR_VERSION = 7;

/** A dimension: a fixed size, or a symbolic name such as `'N'` for a dynamic batch. */
export type Dim = number | string;

/** An attribute value; integers and integer lists are written as INT/INTS, others as FLOAT. */
export type AttributeValue = { ints: number[] } | { int: number } | { float: number };

/** Encodes `data` as a little-endian FLOAT initializer named `name` with shape `dims`. */
export function floatInitializer(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== data.length) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

/** Builds a node of operator `opType` (default domain) with named inputs, outputs and attributes. */
export function node(
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeValue> = {},
): onnx.INodeProto {
  const attribute: onnx.IAttributeProto[] = Object.entries(attributes).map(([key, value]) => {
    const AttributeType = onnx.AttributeProto.AttributeType;
    if ('ints' in value) return { name: key, type: AttributeType.INTS, ints: value.ints };
    if ('int' in value) return { name: key, type: AttributeType.INT, i: value.int };
    return { name: key, type: AttributeType.FLOAT, f: value.float };
  });
  return { opType, name, input: inputs, output: outputs, attribute };
}

/** Describes a FLOAT tensor graph input or output with the given (possibly symbolic) shape. */
export function floatValueInfo(name: string, shape: Dim[]): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

/** The parts of a model our generators provide. */
export interface ModelParts {
  graphName: string;
  producer: string;
  docString: string;
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
}

/**
 * Serialises a model. The encoding has no timestamps or other varying fields, so equal parts
 * give byte-identical files.
 */
export function encodeModel(parts: ModelParts): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: parts.producer,
    docString: parts.docString,
    graph: {
      name: parts.graphName,
      node: parts.nodes,
      initializer: parts.initializers,
      input: parts.inputs,
      output: parts.outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
