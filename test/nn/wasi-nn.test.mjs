import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWasiNn, WASI_NN_VERSION } from '../../dist/nn/wasi-nn.js';
import { InstanceScope } from '../../dist/host/scope.js';
import { NnError } from '../../dist/nn/errors.js';
import { buildProbe } from './fixtures/build-probe.mjs';
import { denseModel, denseReference, weightsModel } from './fixtures/tiny-model.mjs';
import { testUnless } from '../helpers.mjs';

const MiB = 1024 * 1024;
const digitsPath = fileURLToPath(new URL('../../models/digits.onnx', import.meta.url));
const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const xBytes = new Uint8Array(x.buffer);
const dims = Uint32Array.from([2, 4]);
const asFloats = (bytes) => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

/** The guest's `error-code` for a failing call (jco throws the `err` payload as `payload`). */
function guestError(fn) {
  try {
    fn();
  } catch (err) {
    if (typeof err.payload === 'string') return err.payload;
    throw err;
  }
  throw new Error('the guest call succeeded');
}

let probe;
let nn;
let tmp;
test.before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sfirt-nn-'));
  writeFileSync(join(tmp, 'dense.onnx'), denseModel(3));
  probe = await buildProbe();
  nn = await createWasiNn({
    backend: 'wasm',
    models: { dense: join(tmp, 'dense.onnx'), wide: denseModel(64), corrupt: new Uint8Array([1, 2, 3]) },
    maxModelBytes: 64 * 1024,
    engineMemoryMaxBytes: 32 * MiB,
  });
});
test.after(() => {
  nn?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('provides the four wasi:nn interfaces under the names jco asks for', () => {
  for (const name of probe.imports) assert.ok(nn.imports[name], `missing ${name}`);
  for (const i of ['tensor', 'graph', 'inference', 'errors']) assert.ok(nn.imports[`wasi:nn/${i}@${WASI_NN_VERSION}`]);
  assert.type(nn.imports['wasi:nn/graph'].loadByName, 'function');
  assert.type(nn.imports['wasi:nn/tensor'].Tensor, 'function');
});

test('a guest runs a named model (read from a path) and gets the right numbers', () => {
  const guest = probe.instantiate(nn.imports);
  const y = asFloats(guest.inferByName('dense', 'x', dims, xBytes));
  const want = denseReference(3, x, 2);
  assert.is(y.length, want.length);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - want[i]) < 1e-5);
});

test('named models are loaded once per engine and shared by all instances', () => {
  let created = 0;
  const engine = nn.engine;
  const original = engine.createSession;
  engine.createSession = function (bytes) { created++; return original.call(this, bytes); };
  try {
    const a = probe.instantiate(nn.imports);
    const b = probe.instantiate(nn.imports);
    for (let i = 0; i < 3; i++) {
      a.inferByName('wide', 'x', dims, xBytes);
      b.inferByName('wide', 'x', dims, xBytes);
    }
    assert.is(created, 1);
  } finally {
    engine.createSession = original;
  }
});

test('a guest loads a model from bytes, even computing after dropping the graph', () => {
  const guest = probe.instantiate(nn.imports);
  const y = asFloats(guest.inferBytes(denseModel(3), 'x', dims, xBytes));
  const want = denseReference(3, x, 2);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - want[i]) < 1e-5);
  // The guest dropped every handle, so the model was released: the next load parses it again.
  let created = 0;
  const engine = nn.engine;
  const original = engine.createSession;
  engine.createSession = function (bytes) { created++; return original.call(this, bytes); };
  try {
    assert.is(guest.inferBytes(denseModel(3), 'x', dims, xBytes).byteLength, 24);
    assert.is(guest.inferBytes(denseModel(3), 'x', dims, xBytes).byteLength, 24);
    assert.is(created, 2);
  } finally {
    engine.createSession = original;
  }
});

test('errors reach the guest as wasi:nn error codes and the host as NnError', () => {
  const guest = probe.instantiate(nn.imports);
  const cases = [
    ['not-found', () => guest.inferByName('nope', 'x', dims, xBytes)],
    ['invalid-encoding', () => guest.inferByName('corrupt', 'x', dims, xBytes)],
    ['invalid-encoding', () => guest.inferBytes(new Uint8Array([9, 9, 9, 9]), 'x', dims, xBytes)],
    ['too-large', () => guest.inferBytes(new Uint8Array(64 * 1024 + 1), 'x', dims, xBytes)],
    ['invalid-argument', () => guest.inferByName('dense', 'x', Uint32Array.from([2, 3]), new Uint8Array(24))], // wrong shape
    ['invalid-argument', () => guest.inferByName('dense', 'x', dims, new Uint8Array(20))], // data shorter than dims
    ['invalid-argument', () => guest.inferByName('dense', 'nope', dims, xBytes)], // unknown input name
  ];
  for (const [code, call] of cases) {
    nn.takeLastError();
    assert.is(guestError(call), code);
    const host = nn.takeLastError();
    assert.ok(host, `no host-side error recorded for ${code}`);
    assert.is(host.code, 'NN_ERROR');
    assert.is(host.nnCode, code);
    assert.is(nn.lastError, undefined); // taken
  }
  // The engine survived all of them.
  assert.is(guest.inferByName('dense', 'x', dims, xBytes).byteLength, 24);
});

test('load refuses other encodings, targets and multi-part builders (direct host calls)', () => {
  const { load } = nn.imports['wasi:nn/graph'];
  const cases = [
    ['invalid-encoding', () => load([denseModel(3)], 'tensorflow', 'cpu')],
    ['unsupported-operation', () => load([denseModel(3)], 'onnx', 'gpu')],
    ['invalid-argument', () => load([denseModel(3), denseModel(3)], 'onnx', 'cpu')],
  ];
  for (const [code, call] of cases) {
    try {
      call();
      assert.unreachable(`no error for ${code}`);
    } catch (err) {
      // jco hands `payload` (the wasi:nn error resource) to the guest as the `err` value.
      assert.is(err.nnCode, code);
      assert.is(err.payload.code(), code);
      assert.type(err.payload.data(), 'string');
    }
  }
  const graph = load([denseModel(3)], 'autodetect', 'cpu');
  const ctx = graph.initExecutionContext();
  const { Tensor } = nn.imports['wasi:nn/tensor'];
  const [[name, out]] = ctx.compute([['x', new Tensor([2, 4], 'FP32', xBytes)]]);
  assert.is(name, 'y');
  assert.is(out.ty(), 'FP32');
  assert.equal(Array.from(out.dimensions()), [2, 3]);
  assert.is(out.data().byteLength, 24);
});

test('a tensor keeps its own copy of the bytes; consumed inputs are recycled without leaking into live tensors', () => {
  const { Tensor } = nn.imports['wasi:nn/tensor'];
  const { load } = nn.imports['wasi:nn/graph'];
  const ctx = load([denseModel(3)], 'autodetect', 'cpu').initExecutionContext();
  const big = new Uint8Array(4096).fill(7);
  const kept = new Tensor([4096], 'U8', big);
  big.fill(9);
  assert.ok(kept.data().every((b) => b === 7), 'later writes to the source do not reach the tensor');
  const reference = asFloats(ctx.compute([['x', new Tensor([2, 4], 'FP32', xBytes)]])[0][1].data());
  for (let round = 0; round < 3; round++) {
    const input = new Tensor([2, 4], 'FP32', xBytes);
    const [[, out]] = ctx.compute([['x', input]]);
    assert.equal(Array.from(asFloats(out.data())), Array.from(reference));
    // `compute` took the input (`own<tensor>`): it is gone, and using it is a canonical-ABI trap.
    try {
      input.data();
      assert.unreachable('a consumed input is still usable');
    } catch (err) {
      assert.is(err.code, 'TRAP');
      assert.is(err.trapKind, 'invalid-handle');
    }
  }
  // A dropped tensor's buffer is reused by the next one of that size; the live one is untouched.
  const dropped = new Tensor([4096], 'U8', new Uint8Array(4096).fill(1));
  dropped[Symbol.dispose ?? Symbol.for('dispose')]();
  const next = new Tensor([4096], 'U8', new Uint8Array(4096).fill(2));
  assert.ok(next.data().every((b) => b === 2));
  assert.ok(kept.data().every((b) => b === 7));
});

test('engine out of memory is a runtime-error for the guest, and the engine keeps serving', () => {
  const guest = probe.instantiate(nn.imports);
  const rows = 200_000; // 200,000 × 64 float32 outputs = 51 MB > the 32 MiB engine cap
  assert.is(guestError(() => guest.inferByName('wide', 'x', Uint32Array.from([rows, 4]), new Uint8Array(rows * 16))), 'runtime-error');
  const err = nn.takeLastError();
  assert.is(err.nnCode, 'runtime-error');
  assert.is(err.outOfMemory, true);
  assert.ok(nn.engine.usable);
  assert.is(guest.inferByName('wide', 'x', dims, xBytes).byteLength, 2 * 64 * 4);
});

testUnless(existsSync(digitsPath) ? undefined : 'models/digits.onnx is not built yet')('runs models/digits.onnx through the guest on both backends with matching results', async () => {
  const pixels = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 255) / 255);
  const run = async (backend) => {
    const host = await createWasiNn({ backend, models: { digits: digitsPath } });
    try {
      return asFloats(probe.instantiate(host.imports).inferByName('digits', 'input', Uint32Array.from([1, 1, 28, 28]), new Uint8Array(pixels.buffer)));
    } finally {
      host.dispose();
    }
  };
  const [a, b] = [await run('wasm'), await run('native')];
  assert.is(a.length, 10);
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5, `logit ${i}: ${a[i]} vs ${b[i]}`);
});

test('createWasiNn reports a missing native backend and bad configuration as typed errors', async () => {
  try {
    await createWasiNn({ backend: 'native', loadNativeBinding: async () => { throw new Error('Cannot find module onnxruntime-node'); } });
    assert.unreachable('started without onnxruntime-node');
  } catch (err) {
    assert.is(err.code, 'BACKEND_UNAVAILABLE');
  }
  try {
    await createWasiNn({ models: { m: join(tmp, 'does-not-exist.onnx') } });
    assert.unreachable('accepted an unreadable model path');
  } catch (err) {
    assert.is(err.code, 'INVALID_ARGUMENT');
  }
});

test('per-instance imports: each instance counts its own resources, and a reset or discard releases them', async () => {
  const factory = nn.functionImports({ quota: { contexts: 3, guestModels: 1 } });
  const scopeA = new InstanceScope();
  const scopeB = new InstanceScope();
  const a = factory(scopeA);
  const b = factory(scopeB);
  const graphA = a['wasi:nn/graph'].loadByName('dense');
  const contexts = [graphA.initExecutionContext(), graphA.initExecutionContext(), graphA.initExecutionContext()];
  try {
    graphA.initExecutionContext();
    assert.unreachable('a fourth context');
  } catch (err) {
    assert.is(err.nnCode, 'too-large');
  }
  // The other instance of the same function is not affected.
  const graphB = b['wasi:nn/graph'].loadByName('dense');
  assert.ok(graphB.initExecutionContext());
  assert.is(scopeA.count('wasi-nn:context'), 3);
  assert.is(scopeB.count('wasi-nn:context'), 1);
  // Dropping gives the slot back; the scope forgets dropped resources.
  contexts[0][Symbol.dispose ?? Symbol.for('dispose')]();
  assert.is(scopeA.count('wasi-nn:context'), 2);
  assert.ok(graphA.initExecutionContext());
  // A model from bytes is held per instance: the quota of 1 refuses a second one.
  a['wasi:nn/graph'].load([denseModel(3)], 'onnx', 'cpu');
  try {
    a['wasi:nn/graph'].load([denseModel(4)], 'onnx', 'cpu');
    assert.unreachable('a second model from bytes');
  } catch (err) {
    assert.is(err.nnCode, 'too-large');
  }
  // Reset keeps what existed at mark(); discard releases everything and refuses more.
  scopeB.mark();
  const { Tensor } = b['wasi:nn/tensor'];
  const t = new Tensor([2, 4], 'FP32', xBytes);
  scopeB.releaseSinceMark();
  assert.is(scopeB.count('wasi-nn:graph'), 1, 'what existed at mark() survives a reset');
  try {
    t.data();
    assert.unreachable('a released tensor is still usable');
  } catch (err) {
    assert.is(err.trapKind, 'invalid-handle');
  }
  scopeA.releaseAll();
  assert.is(scopeA.count('wasi-nn:context'), 0);
  assert.is(scopeA.count('wasi-nn:guest-graph'), 0);
  try {
    contexts[1].compute([['x', new a['wasi:nn/tensor'].Tensor([2, 4], 'FP32', xBytes)]]);
    assert.unreachable('a context of a discarded instance still computes');
  } catch (err) {
    assert.is(err.code, 'TRAP');
    assert.is(err.trapKind, 'invalid-handle');
  }
});

test('placeholders for unknown handles (what the fast glue hands over) trap instead of reaching the host', () => {
  const { Graph } = nn.imports['wasi:nn/graph'];
  const { GraphExecutionContext } = nn.imports['wasi:nn/inference'];
  const { Tensor } = nn.imports['wasi:nn/tensor'];
  const { Error: ErrorResource } = nn.imports['wasi:nn/errors'];
  const calls = [
    () => Object.create(Graph.prototype).initExecutionContext(),
    () => Object.create(GraphExecutionContext.prototype).compute([]),
    () => Object.create(Tensor.prototype).data(),
    () => Object.create(ErrorResource.prototype).code(),
    () => load().initExecutionContext().compute([['x', Object.create(Tensor.prototype)]]),
  ];
  function load() { return nn.imports['wasi:nn/graph'].loadByName('dense'); }
  for (const call of calls) {
    try {
      call();
      assert.unreachable('a placeholder reached the host');
    } catch (err) {
      assert.is(err.code, 'TRAP', String(err));
      assert.is(err.trapKind, 'invalid-handle');
    }
  }
});

test('what a guest sends never becomes host memory outside the budget: ranks are capped, messages are cut', () => {
  const scope = new InstanceScope();
  const imports = nn.functionImports()(scope);
  const { Tensor } = imports['wasi:nn/tensor'];
  const { load } = imports['wasi:nn/graph'];
  const ctx = load([denseModel(3)], 'autodetect', 'cpu').initExecutionContext();
  // A 16 MiB guest can send millions of dimensions per tensor and keep 1,024 tensors: the host
  // used to keep every dimension (8 bytes each in a JS array), outside `quota.tensorBytes`.
  const huge = new Uint32Array(1_000_000).fill(1);
  const before = process.memoryUsage().heapUsed;
  const kept = Array.from({ length: 100 }, () => new Tensor(huge, 'U8', new Uint8Array(1)));
  const grew = process.memoryUsage().heapUsed - before;
  assert.ok(grew < 100 * MiB, `100 tensors of rank 10^6 grew the host heap by ${Math.round(grew / MiB)} MiB`);
  assert.is(kept[0].dimensions().length, 0, 'an over-rank tensor keeps no dimensions');
  const rank = (() => { try { ctx.compute([['x', kept[0]]]); } catch (err) { return err; } })();
  assert.is(rank?.nnCode, 'invalid-argument');
  assert.match(rank.message, /rank 1000000; at most 64/);
  // Names the guest chose are quoted through `printable`, and no message outgrows the cap.
  const name = 'n'.repeat(4 * MiB);
  const unknown = (() => { try { ctx.compute([[name, new Tensor([2, 4], 'FP32', xBytes)]]); } catch (err) { return err; } })();
  assert.is(unknown?.nnCode, 'invalid-argument');
  assert.ok(unknown.message.length < 400, `message of ${unknown.message.length} chars`);
  assert.ok(unknown.payload.data().length < 400);
  // The same for names the guest's model declares (a 25,000-character input name).
  const named = load([denseModel(3, 'i'.repeat(25_000))], 'autodetect', 'cpu').initExecutionContext();
  const missing = (() => { try { named.compute([]); } catch (err) { return err; } })();
  assert.is(missing?.nnCode, 'invalid-argument');
  assert.ok(missing.message.length < 400, `message of ${missing.message.length} chars`);
  scope.releaseAll();
});

test('guest models share a budget of engine memory, so they never leave host-registered models and inference without it', async () => {
  // Graphs a guest keeps loaded live in the engine every function shares: without a budget, one
  // function's graphs filled the engine and another function's inference failed (out of memory)
  // until they were dropped (test/redteam/nn-engine-hog.mjs).
  const host = await createWasiNn({ models: { dense: denseModel(3) }, engineMemoryMaxBytes: 64 * MiB, maxModelBytes: 16 * MiB });
  try {
    const a = host.functionImports()(new InstanceScope());
    const b = host.functionImports()(new InstanceScope());
    const load = (imports, bytes) => { try { return imports['wasi:nn/graph'].load([bytes], 'onnx', 'cpu'); } catch (err) { return err; } };
    // The budget is a quarter of the engine: 16 MiB of guest models, all functions together.
    const held = [load(a, weightsModel(7 * MiB, 1)), load(a, weightsModel(7 * MiB, 2))];
    for (const g of held) assert.not.instance(g, Error, String(g));
    const refused = load(b, weightsModel(4 * MiB, 3));
    assert.is(refused.nnCode, 'too-large');
    // Host-registered models and inference keep the rest of the engine.
    const ctx = b['wasi:nn/graph'].loadByName('dense').initExecutionContext();
    const { Tensor } = b['wasi:nn/tensor'];
    assert.is(ctx.compute([['x', new Tensor([2, 4], 'FP32', xBytes)]])[0][1].data().byteLength, 24);
    // Dropping a graph gives its bytes back.
    held[0][Symbol.dispose]();
    assert.not.instance(load(b, weightsModel(4 * MiB, 3)), Error);
  } finally {
    host.dispose();
  }
});

test('host quotas are validated', async () => {
  for (const quota of [{ contexts: -1 }, { tensors: 1.5 }, { nonsense: 1 }]) {
    try {
      nn.functionImports({ quota });
      assert.unreachable(JSON.stringify(quota));
    } catch (err) {
      assert.is(err.code, 'INVALID_ARGUMENT');
    }
  }
});

test('after dispose, guest calls fail with runtime-error instead of crashing', async () => {
  const host = await createWasiNn({ models: { dense: denseModel(3) } });
  const guest = probe.instantiate(host.imports);
  assert.is(guest.inferByName('dense', 'x', dims, xBytes).byteLength, 24);
  host.dispose();
  assert.is(guestError(() => guest.inferByName('dense', 'x', dims, xBytes)), 'runtime-error');
});

test('engine work stopped at the deadline the fuel set spends that fuel, even when our clock reads a hair less', async () => {
  // The native engine's stop is timed on another thread: it may end the run a few µs before our
  // clock says the fuel ran out. Such a stop must still exhaust the fuel (FUEL_EXHAUSTED), not
  // charge the few µs and leave the call to fail as DEADLINE_EXCEEDED.
  const limit = 5_000_000; // 5 ms at the default rate
  let charged = 0;
  const meter = { get fuelLeft() { return limit - charged; }, charge(units) { charged += units; return charged <= limit; }, expire() {} };
  const host = await createWasiNn({ fuel: () => meter, deadline: () => undefined });
  try {
    let given;
    const t0 = performance.now();
    assert.throws(() => host.engineWork((d) => { given = d; throw new NnError('timeout', 'stopped'); }), (e) => e.nnCode === 'timeout');
    assert.ok(given > t0 && given <= performance.now() + 5, 'the run was given the deadline its fuel pays for');
    assert.ok(charged > limit, `charged ${charged} of ${limit}`);
    // Any other failure is charged only the time it took.
    charged = 0;
    assert.throws(() => host.engineWork(() => { throw new NnError('runtime-error', 'broken'); }));
    assert.ok(charged < limit, `charged ${charged}`);
  } finally {
    host.dispose();
  }
});

test.run();
