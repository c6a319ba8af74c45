// Red team probe (wasi:nn): the wasm engine is shared by every function of a runtime and its
// memory is capped (256 MiB by default). Graphs a guest keeps loaded live in that memory. Can one
// function's kept graphs starve another function's inference?
// Usage: node test/redteam/nn-engine-hog.mjs [modelMiB] [models per function] [functions]
import onnxProto from 'onnx-proto';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { loadDigitsTest } from '../../models/digits-test.mjs';
import { guest, tempCache, root } from '../helpers.mjs';

const { onnx } = onnxProto;
const modelMiB = Number(process.argv[2] ?? 40);
const count = Number(process.argv[3] ?? 4);
const hogs = Number(process.argv[4] ?? 2);
const T = onnx.TensorProto.DataType;
/** y = w[x]: a model carrying `mib` MiB of float weights (a distinct model per `salt`). */
function bigModel(mib, salt) {
  const n = (mib * 1024 * 1024) / 4;
  const w = new Float32Array(n);
  w[0] = salt;
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: {
      name: 'g',
      // The index comes from the input, so onnxruntime cannot fold the weights away.
      initializer: [{ name: 'w', dims: [n], dataType: T.FLOAT, rawData: new Uint8Array(w.buffer) }],
      node: [{ opType: 'Cast', input: ['x'], output: ['i'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: T.INT64 }] }, { opType: 'Gather', input: ['w', 'i'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } }],
    },
  })).finish();
}
const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { digits: join(root, 'models/digits.onnx') } } });
const victim = await rt.load('victim', guest('classifier'));
const { images } = loadDigitsTest();
const ok = async () => { try { return JSON.stringify((await victim.call('classify', images[0])).val).slice(0, 40); } catch (e) { return `${e.code} ${e.nnCode ?? ''} ${String(e.message).slice(0, 100)}`; } };
// Only with BEFORE=1 does the victim parse its model before the hogs load theirs.
const before = process.env.BEFORE ? await ok() : 'not called';
const loads = [];
// FILL=1: sizes halve after each refusal (60, 30, 15, … 1 MiB), so the engine ends up full to
// within a MiB, spread over as many functions (4 models each) as it takes.
const sizes = process.env.FILL ? [64, 32, 16, 8, 4, 2, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125] : Array(count * hogs).fill(modelMiB);
let h = 0, held = 0, hog;
for (const mib of sizes) {
  for (;;) {
    if (!hog || held === count) { hog = await rt.load(`hog${h++}`, guest('nn-hostile'), { pool: { mode: 'reuse', max: 1 } }); held = 0; }
    const r = await hog.call('load-model', bigModel(Math.min(mib, 63), h * 1000 + held + loads.length));
    loads.push(r.tag === 'ok' ? `${mib}:ok` : `${mib}:${r.val.code}`);
    if (r.tag !== 'ok') break;
    held++;
    if (!process.env.FILL) break;
  }
}
const during = await ok();
console.log(JSON.stringify({ modelMiB, loads, victimBefore: before, victimWhileHogHolds: during }));
rt.close();
