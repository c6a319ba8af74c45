// A host-registered model's engine session is host data, shared by every instance and kept across
// resets; what a caller holds of it (graph and context handles, tensors) is per instance and
// released by a reset. The session also keeps engine-side run state between runs (input and
// output tensors in the engine's memory, lib/nn/ort-wasm-engine.ts): these tests check that none
// of one caller's inputs or outputs reaches the next one through it.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWasiNn } from '../../dist/nn/wasi-nn.js';
import { createOrtWasmEngine } from '../../dist/nn/ort-wasm-engine.js';
import { InstanceScope } from '../../dist/host/scope.js';
import { createRuntime } from '../../dist/index.js';
import { denseModel, denseReference } from './fixtures/tiny-model.mjs';
import { guest, root, tempCache } from '../helpers.mjs';

const MiB = 1024 * 1024;
const DISPOSE = Symbol.dispose ?? Symbol.for('dispose');
const floats = (...xs) => new Uint8Array(Float32Array.from(xs).buffer);
const asFloats = (bytes) => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const xA = [1, 2, 3, 4, 5, 6, 7, 8];
const xB = [-8, 7, -6, 5, -4, 3, -2, 1];

let nn;
test.before(async () => {
  nn = await createWasiNn({ backend: 'wasm', models: { dense: denseModel(3) }, engineMemoryMaxBytes: 32 * MiB });
});
test.after(() => nn?.dispose());

/** Counts sessions the engine parses while `fn` runs. */
function sessionsCreated(fn) {
  const engine = nn.engine;
  const original = engine.createSession;
  let created = 0;
  engine.createSession = function (...args) { created++; return original.apply(this, args); };
  try {
    fn();
  } finally {
    engine.createSession = original;
  }
  return created;
}

/** One call of an instance: load-by-name, a context, one compute; returns the handles and output. */
function oneCall(imports, x) {
  const graph = imports['wasi:nn/graph'].loadByName('dense');
  const ctx = graph.initExecutionContext();
  const input = new imports['wasi:nn/tensor'].Tensor([2, 4], 'FP32', floats(...x));
  const outputs = ctx.compute([['x', input]]);
  return { graph, ctx, input, output: outputs[0][1], values: asFloats(outputs[0][1].data()) };
}

function expectTrap(fn, what) {
  try {
    fn();
  } catch (err) {
    assert.is(err.code, 'TRAP', `${what}: ${err}`);
    assert.is(err.trapKind, 'invalid-handle', what);
    return;
  }
  assert.unreachable(`${what} still works`);
}

function close(values, want) {
  assert.is(values.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(values[i] - want[i]) < 1e-5, `[${i}] ${values[i]} vs ${want[i]}`);
}

test('a reset releases the caller\'s graph, context and tensors; the engine session stays and is not parsed again', () => {
  const scope = new InstanceScope();
  const imports = nn.functionImports()(scope);
  scope.mark();
  let first;
  assert.ok(sessionsCreated(() => { first = oneCall(imports, xA); }) <= 1, 'parsed at most once (on first use)');
  close(first.values, denseReference(3, Float32Array.from(xA), 2));
  scope.releaseSinceMark();
  assert.is(scope.count('wasi-nn:graph'), 0);
  assert.is(scope.count('wasi-nn:context'), 0);
  // Tensors are one resource, the instance's set (kept for its life); each tensor in it was released:
  assert.is(scope.count('wasi-nn:tensor'), 1);
  expectTrap(() => first.graph.initExecutionContext(), 'the graph of the caller before');
  expectTrap(() => first.ctx.compute([]), 'the context of the caller before');
  expectTrap(() => first.output.data(), 'the output tensor of the caller before');
  // The next caller's load-by-name is a lookup: no session is created.
  let second;
  assert.is(sessionsCreated(() => { second = oneCall(imports, xB); }), 0);
  close(second.values, denseReference(3, Float32Array.from(xB), 2));
  scope.releaseSinceMark();
});

test('the shared session\'s kept run state gives a later caller nothing of an earlier one\'s inputs or outputs', () => {
  const scopeA = new InstanceScope();
  const scopeB = new InstanceScope();
  const a = nn.functionImports()(scopeA);
  const b = nn.functionImports()(scopeB);
  scopeA.mark();
  scopeB.mark();
  const callA = oneCall(a, xA); // the session's engine-side input and output now hold A's numbers
  const ctxB = b['wasi:nn/graph'].loadByName('dense').initExecutionContext();
  // Without an input (or under another name) the run is refused: the engine's kept input is never used as B's.
  for (const inputs of [[], [['y', new b['wasi:nn/tensor'].Tensor([2, 4], 'FP32', floats(...xB))]]]) {
    try {
      ctxB.compute(inputs);
      assert.unreachable('compute without the model\'s input');
    } catch (err) {
      assert.is(err.nnCode, 'invalid-argument', String(err));
    }
  }
  // A tensor of another instance is not B's to pass.
  expectTrap(() => ctxB.compute([['x', callA.input]]), 'A\'s consumed input tensor');
  const outB = ctxB.compute([['x', new b['wasi:nn/tensor'].Tensor([2, 4], 'FP32', floats(...xB))]]);
  close(asFloats(outB[0][1].data()), denseReference(3, Float32Array.from(xB), 2));
  // A's output is A's own copy: B's run did not write into it.
  close(asFloats(callA.output.data()), denseReference(3, Float32Array.from(xA), 2));
  // Output tensors are copies, not views of the engine's kept output: mutating one changes nothing for the next run.
  callA.output.data().fill(0xff);
  const again = ctxB.compute([['x', new b['wasi:nn/tensor'].Tensor([2, 4], 'FP32', floats(...xB))]]);
  close(asFloats(again[0][1].data()), denseReference(3, Float32Array.from(xB), 2));
  scopeA.releaseAll();
  scopeB.releaseAll();
});

test('guest: consecutive callers of a reset instance each get the result of their own input', async () => {
  const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { digits: join(root, 'models/digits.onnx') } } });
  try {
    // max: 1, so every call runs on the same (reset) instance and the same engine session.
    const fn = await rt.load('classifier', guest('classifier'), { pool: { max: 1 } });
    const engine = await createOrtWasmEngine();
    const { readFileSync } = await import('node:fs');
    const session = engine.createSession(new Uint8Array(readFileSync(join(root, 'models/digits.onnx'))));
    const dims = Uint32Array.of(1, 1, 28, 28);
    const FP32 = 1;
    try {
      const images = [0.1, 0.9, 0.5].map((v, k) => Float32Array.from({ length: 784 }, (_, i) => ((i * (k + 3)) % 17 === 0 ? v : 0)));
      const results = [];
      for (const image of images) {
        const r = await fn.call('run-raw', 'digits', dims, FP32, new Uint8Array(image.buffer));
        assert.is(r.tag, 'ok', JSON.stringify(r));
        const want = session.run({ input: { type: 'float32', dims: [1, 1, 28, 28], data: image } }).logits.data;
        close(asFloats(r.val), want);
        results.push(asFloats(r.val));
      }
      assert.ok(results[0].some((v, i) => Math.abs(v - results[1][i]) > 1e-3), 'the inputs give different outputs');
    } finally {
      session.release();
      engine.dispose();
    }
  } finally {
    rt.close();
  }
});

test.run();
