// ABI test of the wasi:nn classifier guests (guests/classifier, guests/classifier224): a small JS
// FAKE of the wasi:nn imports stands in for the host, records what the guest passes (tensor dims,
// type, bytes, names, drops) and answers with chosen logits, so these tests check the guests'
// hand-written canonical ABI and their pre/post-processing only. The real end-to-end run against
// onnxruntime is the lead's test of lib/nn.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const dispose = Symbol.dispose ?? Symbol.for('dispose');

for (const name of ['classifier', 'classifier224']) {
  const file = join(root, 'guests', 'dist', `${name}.wasm`);
  if (!existsSync(file)) throw new Error(`${file} is missing: build the guests first (node build.mjs --guests-only)`);
}

/** Transpiles a component with jco; returns `instantiate(imports, memories)`. */
async function load(name) {
  const out = await transpile(readFileSync(join(root, 'guests', 'dist', `${name}.wasm`)), { name, instantiation: { tag: 'sync' }, noTypescript: true });
  const dir = mkdtempSync(join(tmpdir(), `sfirt-${name}-`));
  const modules = new Map();
  for (const [f, content] of Object.entries(out.files)) {
    if (f.endsWith('.wasm')) modules.set(f, new WebAssembly.Module(content));
    else if (f.endsWith('.js')) writeFileSync(join(dir, f), content);
  }
  const glue = await import(pathToFileURL(join(dir, `${name}.js`)).href);
  rmSync(dir, { recursive: true, force: true });
  return (imports, memories = []) => glue.instantiate((f) => modules.get(f), imports, (module, coreImports) => {
    const instance = new WebAssembly.Instance(module, coreImports);
    if (instance.exports.memory) memories.push(instance.exports.memory);
    return instance;
  });
}

const f32Bytes = (values) => new Uint8Array(Float32Array.from(values).buffer);
const f32Of = (bytes) => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

/**
 * A fake wasi:nn host. `models` maps a name to `(inputs) => outputs` where inputs/outputs are
 * `[name, { dims, ty, data }]`; throw `nnError(code, message)` from it to fail the compute.
 * `log` records every call and drop.
 */
function fakeNn(models) {
  const log = { loadByName: [], load: [], contexts: 0, computes: [], dropped: { tensor: 0, graph: 0, context: 0, error: 0 } };
  class NnError {
    constructor(code, message) { this.errorCode = code; this.message = message; }
    code() { return this.errorCode; }
    data() { return this.message; }
    [dispose]() { log.dropped.error++; }
  }
  const nnError = (code, message) => ({ payload: new NnError(code, message) });
  class Tensor {
    constructor(dims, ty, data) { this.dims = [...dims]; this.type = ty; this.bytes = Uint8Array.from(data); }
    dimensions() { return Uint32Array.from(this.dims); }
    ty() { return this.type; }
    data() { return this.bytes; }
    [dispose]() { log.dropped.tensor++; }
  }
  class GraphExecutionContext {
    constructor(model) { this.model = model; }
    compute(inputs) {
      const seen = inputs.map(([n, t]) => [n, { dims: t.dims, ty: t.type, data: t.bytes }]);
      log.computes.push(seen);
      return this.model(seen).map(([n, t]) => [n, new Tensor(t.dims, t.ty, t.data)]);
    }
    [dispose]() { log.dropped.context++; }
  }
  class Graph {
    constructor(model) { this.model = model; }
    initExecutionContext() { log.contexts++; return new GraphExecutionContext(this.model); }
    [dispose]() { log.dropped.graph++; }
  }
  // jco's sync glue looks imports up by versionless interface name ('wasi:nn/graph').
  const imports = {
    'wasi:nn/errors': { Error: NnError },
    'wasi:nn/tensor': { Tensor },
    'wasi:nn/inference': { GraphExecutionContext },
    'wasi:nn/graph': {
      Graph,
      loadByName(name) {
        log.loadByName.push(name);
        if (!models[name]) throw nnError('not-found', `no model named ${name}`);
        return new Graph(models[name]);
      },
      load(builders, encoding, target) {
        log.load.push({ builders: builders.map((b) => Uint8Array.from(b)), encoding, target });
        if (builders.length !== 1 || builders[0].length < 4) throw nnError('invalid-encoding', 'not an ONNX model');
        return new Graph(() => []);
      },
    },
  };
  return { imports, log, nnError };
}

const LOGITS = [0.5, -1, 2, 7.25, 0, 3, -4, 1, 6.5, 2.5];
const softmax = (xs) => { const m = Math.max(...xs); const e = xs.map((x) => Math.exp(x - m)); const s = e.reduce((a, b) => a + b); return e.map((x) => x / s); };
const digitsModel = (logits = LOGITS) => () => [['other', { dims: [1], ty: 'FP32', data: f32Bytes([99]) }], ['logits', { dims: [1, logits.length], ty: 'FP32', data: f32Bytes(logits) }]];
const image = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);

const instantiateDigits = await load('classifier');
const instantiate224 = await load('classifier224');

test('classify: passes input [1,1,28,28] FP32 pixel/255, returns argmax and softmax of "logits"', () => {
  const { imports, log } = fakeNn({ digits: digitsModel() });
  const guest = instantiateDigits(imports);
  const result = guest.classify(image);
  assert.is(result.label, 3);
  assert.instance(result.probabilities, Float32Array);
  const expected = softmax(LOGITS);
  assert.is(result.probabilities.length, 10);
  result.probabilities.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) < 1e-6, `p[${i}] = ${p}, expected ${expected[i]}`));
  assert.equal(log.loadByName, ['digits']);
  assert.is(log.computes.length, 1);
  const [[inputName, input]] = log.computes[0];
  assert.is(inputName, 'input');
  assert.equal(input.dims, [1, 1, 28, 28]);
  assert.is(input.ty, 'FP32');
  assert.equal([...f32Of(input.data)], [...image].map((p) => Math.fround(p / 255)));
  // The guest dropped both output tensors (the input moved to the host).
  assert.is(log.dropped.tensor, 2);
});

test('classify caches the graph and execution context across calls', () => {
  const { imports, log } = fakeNn({ digits: digitsModel() });
  const guest = instantiateDigits(imports);
  for (let i = 0; i < 5; i++) assert.is(guest.classify(image).label, 3);
  assert.equal(log.loadByName, ['digits']);
  assert.is(log.contexts, 1);
  assert.is(log.computes.length, 5);
  assert.is(log.dropped.context, 0);
  assert.is(log.dropped.graph, 0);
});

test('classify accepts a binary PGM (P5) with comments and another maxval', () => {
  const { imports, log } = fakeNn({ digits: digitsModel() });
  const guest = instantiateDigits(imports);
  const header = new TextEncoder().encode('P5\n# a comment\n28 28\n255\n');
  const pgm = new Uint8Array(header.length + 784);
  pgm.set(header);
  pgm.set(image, header.length);
  assert.is(guest.classify(pgm).label, 3);
  assert.equal([...f32Of(log.computes[0][0][1].data)], [...image].map((p) => Math.fround(p / 255)));
  const half = Uint8Array.from(image, (p) => p % 101);
  const header100 = new TextEncoder().encode('P5 28 28 100\n');
  const pgm100 = new Uint8Array(header100.length + 784);
  pgm100.set(header100);
  pgm100.set(half, header100.length);
  guest.classify(pgm100);
  assert.equal([...f32Of(log.computes[1][0][1].data)], [...half].map((p) => Math.fround(p / 100)));
});

test('an image that is neither 784 bytes nor a 28x28 PGM fails with code "decode", without inference', () => {
  const { imports, log } = fakeNn({ digits: digitsModel() });
  const guest = instantiateDigits(imports);
  for (const bad of [new Uint8Array(0), new Uint8Array(783), new Uint8Array(785), new TextEncoder().encode('P5 27 28 255\n' + 'x'.repeat(756))]) {
    let err;
    try { guest.classify(bad); } catch (e) { err = e.payload; }
    assert.is(err?.code, 'decode', `input of ${bad.length} bytes`);
    assert.match(err.message, `got ${bad.length} bytes`);
  }
  assert.is(log.computes.length, 0);
});

test('classify-with uses the named model; wasi:nn errors come back as nn-failure with their code and data', () => {
  const { imports, log, nnError } = fakeNn({
    digits: digitsModel(),
    other: digitsModel([5, 1, 0]),
    broken: () => { throw nnError('invalid-argument', 'input shape [1,1,28,28] does not match [1,3]'); },
  });
  const guest = instantiateDigits(imports);
  const r = guest.classifyWith('other', image);
  assert.is(r.label, 0);
  assert.is(r.probabilities.length, 3);
  let err;
  try { guest.classifyWith('nope', image); } catch (e) { err = e.payload; }
  assert.equal(err, { code: 'not-found', message: 'no model named nope' });
  try { guest.classifyWith('broken', image); } catch (e) { err = e.payload; }
  assert.equal(err, { code: 'invalid-argument', message: 'input shape [1,1,28,28] does not match [1,3]' });
  assert.is(log.dropped.error, 2, 'the guest drops every error resource it receives');
  assert.is(guest.classify(image).label, 3, 'the instance still works after failures');
  assert.equal(log.loadByName, ['other', 'nope', 'broken', 'digits']);
});

test('non-f32 or empty model outputs are reported, not misread', () => {
  const { imports } = fakeNn({
    u8out: () => [['logits', { dims: [1, 4], ty: 'U8', data: new Uint8Array(4) }]],
    empty: () => [['logits', { dims: [1, 0], ty: 'FP32', data: new Uint8Array(0) }]],
    none: () => [],
  });
  const guest = instantiateDigits(imports);
  for (const [model, message] of [['u8out', 'not f32'], ['empty', 'empty'], ['none', 'no output']]) {
    let err;
    try { guest.classifyWith(model, image); } catch (e) { err = e.payload; }
    assert.is(err?.code, 'runtime-error', model);
    assert.match(err.message, message);
  }
});

test('load-bytes calls graph.load([model], onnx, cpu) and drops the graph', () => {
  const { imports, log } = fakeNn({});
  const guest = instantiateDigits(imports);
  const model = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
  assert.is(guest.loadBytes(model), 0);
  assert.is(log.load.length, 1);
  assert.is(log.load[0].builders.length, 1);
  assert.equal([...log.load[0].builders[0]], [...model]);
  assert.is(log.load[0].encoding, 'onnx');
  assert.is(log.load[0].target, 'cpu');
  assert.is(log.dropped.graph, 1);
  let err;
  try { guest.loadBytes(new Uint8Array(2)); } catch (e) { err = e.payload; }
  assert.equal(err, { code: 'invalid-encoding', message: 'not an ONNX model' });
});

test('run-raw passes dims, type and bytes through and returns the output bytes', () => {
  const { imports, log } = fakeNn({ echo: (inputs) => [['out', { dims: [3], ty: 'U8', data: inputs[0][1].data.map((b) => b ^ 0xff) }]] });
  const guest = instantiateDigits(imports);
  const data = Uint8Array.from([1, 2, 3, 250, 0, 7]);
  const out = guest.runRaw('echo', Uint32Array.from([2, 3]), 4, data);
  assert.equal([...out], [...data].map((b) => b ^ 0xff));
  const [[name, input]] = log.computes[0];
  assert.is(name, 'input');
  assert.equal(input.dims, [2, 3]);
  assert.is(input.ty, 'U8');
  assert.equal([...input.data], [...data]);
  const types = ['FP16', 'FP32', 'FP64', 'BF16', 'U8', 'I32', 'I64'];
  types.forEach((ty, index) => { guest.runRaw('echo', Uint32Array.from([1]), index, new Uint8Array(8)); assert.is(log.computes.at(-1)[0][1].ty, ty); });
  let err;
  try { guest.runRaw('echo', Uint32Array.from([1]), 7, new Uint8Array(1)); } catch (e) { err = e.payload; }
  assert.equal(err, { code: 'invalid-argument', message: 'unknown tensor type 7' });
  assert.is(log.computes.length, 8, 'an unknown tensor type never reaches the host');
});

test('classifier224: RGB HWC bytes become normalised NCHW [1,3,224,224] for model "image224"', () => {
  const logits = Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  const { imports, log } = fakeNn({ image224: () => [['logits', { dims: [1, 1000], ty: 'FP32', data: f32Bytes(logits) }]] });
  const guest = instantiate224(imports);
  const rgb = Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => (i * 7 + (i >> 9)) % 256);
  const result = guest.classify(rgb);
  const asF32 = Float32Array.from(logits);
  assert.is(result.label, asF32.indexOf(Math.max(...asF32)));
  assert.is(result.label, 699); // sin(699) is the largest of sin(0..999)
  assert.is(result.probabilities.length, 1000);
  assert.ok(Math.abs(result.probabilities.reduce((a, b) => a + b) - 1) < 1e-4);
  assert.equal(log.loadByName, ['image224']);
  const [[name, input]] = log.computes[0];
  assert.is(name, 'input');
  assert.equal(input.dims, [1, 3, 224, 224]);
  assert.is(input.ty, 'FP32');
  const values = f32Of(input.data);
  assert.is(values.length, 3 * 224 * 224);
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < 224 * 224; i += 97) {
      const expected = (rgb[i * 3 + c] / 255 - mean[c]) / std[c];
      worst = Math.max(worst, Math.abs(values[c * 224 * 224 + i] - expected));
    }
  }
  assert.ok(worst < 1e-5, `max deviation ${worst}`);
  let err;
  try { guest.classify(new Uint8Array(784)); } catch (e) { err = e.payload; }
  assert.is(err?.code, 'decode');
});

test('a reused instance does not grow: each call\'s memory is released after the call', () => {
  const { imports } = fakeNn({ digits: digitsModel(), echo: (inputs) => [['out', inputs[0][1]]] });
  const memories = [];
  const guest = instantiateDigits(imports, memories);
  const big = new Uint8Array(100_000);
  const round = () => {
    assert.is(guest.classify(image).label, 3);
    assert.is(guest.runRaw('echo', Uint32Array.from([100_000]), 4, big).length, 100_000);
    try { guest.classifyWith('missing', image); } catch {}
  };
  for (let i = 0; i < 20; i++) round();
  const warm = memories[0].buffer.byteLength;
  for (let i = 0; i < 300; i++) round(); // > 60 MB if each round leaked its buffers
  assert.is(memories[0].buffer.byteLength, warm);
});

test.run();
