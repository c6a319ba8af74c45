/**
 * Adversarial ONNX models, generated for the wasi:nn security tests (`test/nn/hostile-*.test.mjs`):
 * each one is what a hostile guest would hand to `graph.load` (or what a careless host might
 * register) to make an inference engine read host files, run without end, allocate without bound
 * or crash. Small, deterministic, written with npm `onnx-proto` (opset 13) like the real models.
 * Load them from tests with `loadTypeScript` from `models/build.mjs`.
 */
import { onnx } from 'onnx-proto';
import { IR_VERSION, OPSET } from './onnx-graph.js';

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

type Shape = Array<number | string>;

function valueInfo(name: string, elemType: number, shape: Shape): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function floats(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: T.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

function int64s(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: T.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

/** A tensor whose bytes onnxruntime would read from `location` (relative to its working directory). */
function externalTensor(name: string, location: string, length: number): onnx.ITensorProto {
  return {
    name, dims: [length], dataType: T.UINT8,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: location }, { key: 'offset', value: '0' }, { key: 'length', value: String(length) }],
  };
}

function encode(graph: onnx.IGraphProto, extra: Partial<onnx.IModelProto> = {}): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: IR_VERSION, opsetImport: [{ domain: '', version: OPSET }], producerName: 'sfirt-hostile', graph, ...extra,
  })).finish();
}

/** Where {@link externalDataModel} hides its external tensor. */
export type ExternalPlace =
  | 'initializer' | 'constant-attribute' | 'sparse-initializer' | 'if-branch' | 'loop-body' | 'nested-loop-if' | 'function'
  | 'location-only' | 'entries-only';

/**
 * A model whose output `y` (uint8 [length]) is the content of the host file `location` if the
 * engine follows external data. `place` chooses where the external tensor sits; the model takes
 * a bool input `c` (used by the branch and loop variants) so every variant has one input.
 */
export function externalDataModel(location = 'package.json', length = 64, place: ExternalPlace = 'initializer'): Uint8Array {
  const input = [valueInfo('c', T.BOOL, [])];
  const output = [valueInfo('y', T.UINT8, [length])];
  const leak = externalTensor('leak', location, length);
  const constant = (out: string): onnx.INodeProto => ({ opType: 'Constant', output: [out], attribute: [{ name: 'value', type: A.TENSOR, t: leak }] });
  const branch = (name: string): onnx.IGraphProto => ({ name, node: [constant('b')], output: [valueInfo('b', T.UINT8, [length])] });
  switch (place) {
    case 'initializer':
      return encode({ name: 'g', initializer: [leak], node: [{ opType: 'Identity', input: ['leak'], output: ['y'] }], input, output });
    case 'location-only': {
      // data_location EXTERNAL without any external_data entry.
      const t = { ...leak, externalData: [] };
      return encode({ name: 'g', initializer: [t], node: [{ opType: 'Identity', input: ['leak'], output: ['y'] }], input, output });
    }
    case 'entries-only': {
      // external_data entries while data_location stays DEFAULT.
      const t = { ...leak, dataLocation: onnx.TensorProto.DataLocation.DEFAULT };
      return encode({ name: 'g', initializer: [t], node: [{ opType: 'Identity', input: ['leak'], output: ['y'] }], input, output });
    }
    case 'constant-attribute':
      return encode({ name: 'g', node: [constant('y')], input, output });
    case 'sparse-initializer':
      return encode({
        name: 'g',
        sparseInitializer: [{ values: { ...leak, name: 'leak' }, indices: int64s('idx', [length], [...Array(length).keys()]), dims: [length] }],
        node: [{ opType: 'Identity', input: ['leak'], output: ['y'] }], input, output,
      });
    case 'if-branch':
      return encode({
        name: 'g', input, output,
        node: [{ opType: 'If', input: ['c'], output: ['y'], attribute: [
          { name: 'then_branch', type: A.GRAPH, g: branch('then') },
          { name: 'else_branch', type: A.GRAPH, g: branch('else') },
        ] }],
      });
    case 'loop-body':
    case 'nested-loop-if': {
      // Loop once; the body produces the leaked tensor as a scan output (directly, or through an If).
      const inner = place === 'loop-body'
        ? [constant('b')]
        : [{ opType: 'If', input: ['cond_in'], output: ['b'], attribute: [
          { name: 'then_branch', type: A.GRAPH, g: branch('then') },
          { name: 'else_branch', type: A.GRAPH, g: branch('else') },
        ] }];
      const body: onnx.IGraphProto = {
        name: 'body',
        input: [valueInfo('i', T.INT64, []), valueInfo('cond_in', T.BOOL, [])],
        node: [...inner, { opType: 'Identity', input: ['cond_in'], output: ['cond_out'] }],
        output: [valueInfo('cond_out', T.BOOL, []), valueInfo('b', T.UINT8, [length])],
      };
      return encode({
        name: 'g', input, output: [valueInfo('y', T.UINT8, [1, length])],
        initializer: [int64s('one', [], [1])],
        node: [{ opType: 'Loop', input: ['one', 'c'], output: ['y'], attribute: [{ name: 'body', type: A.GRAPH, g: body }] }],
      });
    }
    case 'function':
      return encode(
        { name: 'g', input, output, node: [{ opType: 'Leak', domain: 'sfirt.local', input: [], output: ['y'] }] },
        {
          opsetImport: [{ domain: '', version: OPSET }, { domain: 'sfirt.local', version: 1 }],
          functions: [{ name: 'Leak', domain: 'sfirt.local', output: ['b'], node: [constant('b')], opsetImport: [{ domain: '', version: OPSET }] }],
        },
      );
  }
}

/**
 * `y = x` after `trips` iterations of `x = tanh(x · W)` (float32 [size, size]); `trips` is an
 * int64 scalar input, so the guest chooses how long inference runs (linear in `trips`).
 */
export function longLoopModel(size = 64): Uint8Array {
  const W = Array.from({ length: size * size }, (_, i) => ((i * 37) % 17) / 17 - 0.5);
  const body: onnx.IGraphProto = {
    name: 'body',
    input: [valueInfo('i', T.INT64, []), valueInfo('cond_in', T.BOOL, []), valueInfo('x_in', T.FLOAT, [size, size])],
    node: [
      { opType: 'MatMul', input: ['x_in', 'W'], output: ['h'] },
      { opType: 'Tanh', input: ['h'], output: ['x_out'] },
      { opType: 'Identity', input: ['cond_in'], output: ['cond_out'] },
    ],
    output: [valueInfo('cond_out', T.BOOL, []), valueInfo('x_out', T.FLOAT, [size, size])],
  };
  return encode({
    name: 'long-loop',
    initializer: [floats('W', [size, size], W), floats('x0', [size, size], Array.from({ length: size * size }, (_, i) => (i % 7) / 7))],
    node: [{ opType: 'Loop', input: ['trips', '', 'x0'], output: ['y'], attribute: [{ name: 'body', type: A.GRAPH, g: body }] }],
    input: [valueInfo('trips', T.INT64, [])],
    output: [valueInfo('y', T.FLOAT, [size, size])],
  });
}

/** `y = Expand(1.0, shape)`: the guest's int64 `shape` input decides how much memory the output takes. */
export function expandModel(rank = 3): Uint8Array {
  return encode({
    name: 'expand',
    initializer: [floats('one', [], [1])],
    node: [{ opType: 'Expand', input: ['one', 'shape'], output: ['y'] }],
    input: [valueInfo('shape', T.INT64, [rank])],
    output: [valueInfo('y', T.FLOAT, Array.from({ length: rank }, (_, i) => `d${i}`))],
  });
}

/** `y = ConstantOfShape(shape)` then `Sum` over it: a large intermediate, a tiny output. */
export function constantOfShapeModel(): Uint8Array {
  return encode({
    name: 'constant-of-shape',
    node: [
      { opType: 'ConstantOfShape', input: ['shape'], output: ['big'], attribute: [{ name: 'value', type: A.TENSOR, t: floats('v', [1], [1]) }] },
      { opType: 'ReduceSum', input: ['big'], output: ['y'], attribute: [{ name: 'keepdims', type: A.INT, i: 0 }] },
    ],
    input: [valueInfo('shape', T.INT64, [2])],
    output: [valueInfo('y', T.FLOAT, [])],
  });
}

/** `depth` `If` nodes nested inside each other's then-branch, around `y = x + 1`. */
export function deepNestingModel(depth: number): Uint8Array {
  let graph: onnx.IGraphProto = {
    name: 'leaf',
    node: [{ opType: 'Add', input: ['x', 'one'], output: ['r0'] }],
    output: [valueInfo('r0', T.FLOAT, [1])],
  };
  for (let level = 1; level <= depth; level++) {
    const out = `r${level}`;
    graph = {
      name: `level${level}`,
      node: [{ opType: 'If', input: ['c'], output: [out], attribute: [
        { name: 'then_branch', type: A.GRAPH, g: graph },
        { name: 'else_branch', type: A.GRAPH, g: { name: `else${level}`, node: [{ opType: 'Identity', input: ['x'], output: [`e${level}`] }], output: [valueInfo(`e${level}`, T.FLOAT, [1])] } },
      ] }],
      output: [valueInfo(out, T.FLOAT, [1])],
    };
  }
  return encode({
    name: 'deep', initializer: [floats('one', [1], [1])],
    node: [{ opType: 'Identity', input: [`r${depth}`], output: ['y'] }, ...graph.node!],
    input: [valueInfo('c', T.BOOL, []), valueInfo('x', T.FLOAT, [1])],
    output: [valueInfo('y', T.FLOAT, [1])],
  });
}

/**
 * A model that declares absurd sizes: an input of [2^40, 2^40] floats and an initializer whose
 * dims claim 2^62 elements while its data holds four bytes.
 */
export function giantDimsModel(): Uint8Array {
  return encode({
    name: 'giant',
    initializer: [{ name: 'w', dims: [2 ** 31, 2 ** 31], dataType: T.FLOAT, rawData: new Uint8Array(4) }],
    node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
    input: [valueInfo('x', T.FLOAT, [2 ** 40, 2 ** 40])],
    output: [valueInfo('y', T.FLOAT, ['a', 'b'])],
  });
}

/** `y = Op(x)` with `Op` in `domain` (a custom-op library the host does not have). */
export function customDomainModel(domain = 'com.example.custom', opType = 'Leak'): Uint8Array {
  return encode(
    { name: 'custom', node: [{ opType, domain, input: ['x'], output: ['y'] }], input: [valueInfo('x', T.FLOAT, [1])], output: [valueInfo('y', T.FLOAT, [1])] },
    { opsetImport: [{ domain: '', version: OPSET }, { domain, version: 1 }] },
  );
}

/** An `Identity` model carrying `training_info` whose initialization graph has an external tensor. */
export function trainingInfoModel(): Uint8Array {
  return encode(
    { name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [valueInfo('x', T.FLOAT, [1])], output: [valueInfo('y', T.FLOAT, [1])] },
    { trainingInfo: [{ initialization: { name: 'init', initializer: [externalTensor('leak', 'package.json', 8)], output: [valueInfo('leak', T.UINT8, [8])] } }] },
  );
}

/** An `Identity` model with an `ort_config` metadata entry (session options from the model). */
export function ortConfigModel(): Uint8Array {
  return encode(
    { name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [valueInfo('x', T.FLOAT, [1])], output: [valueInfo('y', T.FLOAT, [1])] },
    { metadataProps: [{ key: 'ort_config', value: '{"session_options":{"optimized_model_filepath":"/tmp/x.onnx"}}' }] },
  );
}

/** An `Identity` model with a field ONNX does not define (number 99) inside its node. */
export function unknownFieldModel(): Uint8Array {
  const base = encode({ name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [valueInfo('x', T.FLOAT, [1])], output: [valueInfo('y', T.FLOAT, [1])] });
  // Re-encode the graph's first node with an extra varint field 99 appended.
  const graph = onnx.ModelProto.decode(base).graph!;
  const node = onnx.NodeProto.encode(graph.node![0]!).finish();
  const extra = Uint8Array.of(0x98, 0x06, 0x01); // key (99 << 3 | 0), value 1
  const nodeBytes = new Uint8Array(node.length + extra.length);
  nodeBytes.set(node);
  nodeBytes.set(extra, node.length);
  const rest = onnx.GraphProto.encode({ ...graph, node: [] }).finish();
  const graphBytes = concat([Uint8Array.of(0x0a), varint(nodeBytes.length), nodeBytes, rest]);
  const model = onnx.ModelProto.encode({ ...onnx.ModelProto.decode(base), graph: undefined }).finish();
  return concat([model, Uint8Array.of(0x3a), varint(graphBytes.length), graphBytes]);
}

/** Bytes that start like an ORT-format (flatbuffer) model. */
export function ortFormatBytes(): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x10, 0, 0, 0], 0);
  b.set([...'ORTM'].map((c) => c.charCodeAt(0)), 4);
  return b;
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Uint8Array.from(out);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
