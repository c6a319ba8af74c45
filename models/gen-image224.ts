/**
 * Generates image224.onnx, a realistic-size image model for latency and memory work: the
 * MobileNet v1 layout at width 0.5 (Howard et al. 2017) on 224×224 RGB input, with seeded
 * He-uniform weights. It is NOT trained: outputs are deterministic but carry no meaning.
 *
 *   input [N,3,224,224] → Conv 3×3/2 (16) → Clip(0,6)
 *   → 13 depthwise-separable blocks (depthwise Conv 3×3 with group = channels → Clip(0,6)
 *     → pointwise Conv 1×1 → Clip(0,6)), widths 32…512, stride 2 at 64, 128, 256, 512
 *   → GlobalAveragePool → Flatten → Gemm 512→1000 → logits [N,1000].
 * BatchNorm is left out (it would fold into the convolutions' weights and biases anyway).
 */
import { createHash } from 'node:crypto';
import { encodeModel, floatInitializer, floatValueInfo, node, OPSET } from './onnx-graph.js';
import type { onnx } from 'onnx-proto';
import { heUniform, Prng } from './prng.js';

/** Seed of the weights. */
export const DEFAULT_IMAGE224_SEED = 224;
/** Output classes (ImageNet-sized head). */
export const IMAGE224_CLASSES = 1000;
/** Per-channel input normalisation (the usual ImageNet statistics). */
export const IMAGE224_MEAN = [0.485, 0.456, 0.406];
export const IMAGE224_STD = [0.229, 0.224, 0.225];

const SIDE = 224;
const STEM_CHANNELS = 16;
/** [output channels, stride] of each depthwise-separable block. */
const BLOCKS: [number, number][] = [
  [32, 1], [64, 2], [64, 1], [128, 2], [128, 1], [256, 2],
  [256, 1], [256, 1], [256, 1], [256, 1], [256, 1], [512, 2], [512, 1],
];

/** Options for {@link generateImage224}. */
export interface Image224Options {
  seed?: number;
}

/** Generates the model; returns its bytes and a description (parameters, MACs, sha256). */
export function generateImage224(options: Image224Options): { onnx: Uint8Array; info: Record<string, unknown> } {
  const seed = options.seed ?? DEFAULT_IMAGE224_SEED;
  const prng = new Prng(seed);
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let parameters = 0;
  let macs = 0;
  const layers: { name: string; out: [number, number, number]; macs: number }[] = [];

  // Clip's bounds are inputs (not attributes) since opset 11: two shared scalars.
  initializers.push(floatInitializer('relu6.min', [], new Float32Array([0])));
  initializers.push(floatInitializer('relu6.max', [], new Float32Array([6])));

  let tensor = 'input';
  let channels = 3;
  let side = SIDE;

  /** Appends Conv (+ Clip(0,6)) and returns the activation's name. */
  function conv(name: string, outChannels: number, kernel: number, stride: number, group: number): string {
    const inPerGroup = channels / group;
    const fanIn = inPerGroup * kernel * kernel;
    const weight = heUniform(prng, outChannels * fanIn, fanIn);
    initializers.push(floatInitializer(`${name}.weight`, [outChannels, inPerGroup, kernel, kernel], weight));
    initializers.push(floatInitializer(`${name}.bias`, [outChannels], new Float32Array(outChannels)));
    const pad = (kernel - 1) / 2;
    nodes.push(
      node('Conv', name, [tensor, `${name}.weight`, `${name}.bias`], [`${name}.out`], {
        kernel_shape: { ints: [kernel, kernel] },
        pads: { ints: [pad, pad, pad, pad] },
        strides: { ints: [stride, stride] },
        group: { int: group },
      }),
    );
    nodes.push(node('Clip', `${name}.relu6`, [`${name}.out`, 'relu6.min', 'relu6.max'], [`${name}.act`]));
    side = Math.floor((side + 2 * pad - kernel) / stride) + 1;
    const layerMacs = side * side * outChannels * fanIn;
    parameters += weight.length + outChannels;
    macs += layerMacs;
    layers.push({ name, out: [outChannels, side, side], macs: layerMacs });
    channels = outChannels;
    return `${name}.act`;
  }

  tensor = conv('stem', STEM_CHANNELS, 3, 2, 1);
  BLOCKS.forEach(([outChannels, stride], i) => {
    tensor = conv(`block${i + 1}.depthwise`, channels, 3, stride, channels);
    tensor = conv(`block${i + 1}.pointwise`, outChannels, 1, 1, 1);
  });

  nodes.push(node('GlobalAveragePool', 'pool', [tensor], ['pool.out']));
  nodes.push(node('Flatten', 'flatten', ['pool.out'], ['features'], { axis: { int: 1 } }));
  const fcWeight = heUniform(prng, IMAGE224_CLASSES * channels, channels);
  initializers.push(floatInitializer('fc.weight', [IMAGE224_CLASSES, channels], fcWeight));
  initializers.push(floatInitializer('fc.bias', [IMAGE224_CLASSES], new Float32Array(IMAGE224_CLASSES)));
  nodes.push(node('Gemm', 'fc', ['features', 'fc.weight', 'fc.bias'], ['logits'], { transB: { int: 1 } }));
  parameters += fcWeight.length + IMAGE224_CLASSES;
  macs += channels * IMAGE224_CLASSES;
  layers.push({ name: 'fc', out: [IMAGE224_CLASSES, 1, 1], macs: channels * IMAGE224_CLASSES });

  const bytes = encodeModel({
    graphName: 'image224',
    producer: 'sfirt models/gen-image224.ts',
    docString:
      'MobileNet v1 (width 0.5) layout with seeded random weights, for latency work only (untrained). ' +
      'input: float32 [N,3,224,224] RGB, (pixel/255 - mean[c]) / std[c]; output: logits float32 [N,1000].',
    inputs: [floatValueInfo('input', ['N', 3, SIDE, SIDE])],
    outputs: [floatValueInfo('logits', ['N', IMAGE224_CLASSES])],
    initializers,
    nodes,
  });
  const info = {
    model: 'image224.onnx',
    description: 'MobileNet v1 layout, width 0.5, seeded He-uniform weights; untrained (for latency and memory measurements only)',
    opset: OPSET,
    ops: [...new Set(nodes.map((n) => n.opType))],
    input: { name: 'input', type: 'float32', shape: ['N', 3, SIDE, SIDE], layout: 'NCHW, RGB' },
    output: { name: 'logits', type: 'float32', shape: ['N', IMAGE224_CLASSES] },
    normalisation: `input[c] = (pixel/255 - mean[c]) / std[c], mean ${JSON.stringify(IMAGE224_MEAN)}, std ${JSON.stringify(IMAGE224_STD)}`,
    seed,
    parameters,
    macs,
    flops: 2 * macs,
    layers,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  return { onnx: bytes, info };
}
