// Red team probe: a guest model whose input has a huge rank. Inputs of the model's rank pass the
// host's feed checks; the wasm engine then copies the dimensions onto its own stack
// (`stackAlloc(4 * rank)`), far larger than the stack. Then a victim function classifies.
// Usage: node test/redteam/nn-high-rank.mjs [rank]
import onnxProto from 'onnx-proto';
const { onnx } = onnxProto;
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { loadDigitsTest } from '../../models/digits-test.mjs';
import { guest, tempCache, root } from '../helpers.mjs';

const rank = Number(process.argv[2] ?? 300_000);
const T = onnx.TensorProto.DataType;
const shape = { dim: Array.from({ length: rank }, () => ({ dimValue: 1 })) };
const model = onnx.ModelProto.encode(onnx.ModelProto.create({
  irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: {
    name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
    input: [{ name: 'x', type: { tensorType: { elemType: T.FLOAT, shape } } }],
    output: [{ name: 'y', type: { tensorType: { elemType: T.FLOAT, shape } } }],
  },
})).finish();
const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { digits: join(root, 'models/digits.onnx') } } });
const hostile = await rt.load('hostile', guest('nn-hostile'), { limits: { memoryBytes: 96 * 1024 * 1024 } });
const victim = await rt.load('victim', guest('classifier'));
const { images } = loadDigitsTest();
const before = (await victim.call('classify', images[0])).val;
const out = {};
try {
  const g = await hostile.call('load-model', model);
  out.load = g.tag === 'ok' ? 'ok' : g.val.code + ': ' + g.val.message.slice(0, 100);
  if (g.tag === 'ok') {
    const ctx = await hostile.call('init-context', g.val);
    const r = await hostile.call('compute', ctx.val, new TextEncoder().encode('x'), new Uint32Array(rank).fill(1), 1, new Uint8Array(4));
    out.compute = r.tag === 'ok' ? `ok ${r.val.length} bytes` : r.val.code + ': ' + r.val.message.slice(0, 100);
  }
} catch (e) { out.error = `${e.code} ${e.trapKind ?? ''} ${String(e.message).slice(0, 120)}`; }
const after = (await victim.call('classify', images[0])).val;
console.log(JSON.stringify({ rank, modelBytes: model.byteLength, ...out, victimSame: JSON.stringify(before) === JSON.stringify(after) }));
rt.close();
