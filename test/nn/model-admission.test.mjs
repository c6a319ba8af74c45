// Admission of guest-supplied ONNX models: everything that points outside the model bytes is
// refused wherever it hides, real models pass, and no byte sequence makes admission throw anything
// but a typed wasi:nn error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { admitGuestModel, MAX_NESTING } from '../../dist/nn/model-admission.js';
import { sanitizeEngineMessage } from '../../dist/nn/errors.js';
import { loadTypeScript } from '../../models/build.mjs';
import { root } from '../helpers.mjs';

const hostile = await loadTypeScript(join(root, 'models/hostile-models.ts'));

function refusal(bytes) {
  try {
    admitGuestModel(bytes);
  } catch (err) {
    assert.is(err.code, 'NN_ERROR', String(err));
    return err;
  }
  return undefined;
}

const PLACES = ['initializer', 'constant-attribute', 'sparse-initializer', 'if-branch', 'loop-body', 'nested-loop-if', 'function', 'location-only', 'entries-only'];

test('external data is refused wherever the tensor sits (also deep in subgraphs and functions)', () => {
  for (const place of PLACES) {
    const err = refusal(hostile.externalDataModel('package.json', 64, place));
    assert.ok(err, `admitted external data in ${place}`);
    assert.is(err.nnCode, 'unsupported-operation', place);
    assert.not.match(err.message, /package\.json/, 'the message does not echo the path');
  }
});

test('custom operator domains, training info, ort_config, ORT-format bytes and unknown fields are refused', () => {
  const cases = [
    [hostile.customDomainModel(), 'unsupported-operation'],
    [hostile.customDomainModel('ai.onnx.contrib'), 'unsupported-operation'],
    [hostile.trainingInfoModel(), 'unsupported-operation'],
    [hostile.ortConfigModel(), 'unsupported-operation'],
    [hostile.ortFormatBytes(), 'invalid-encoding'],
    [hostile.unknownFieldModel(), 'invalid-encoding'],
  ];
  for (const [bytes, code] of cases) assert.is(refusal(bytes)?.nnCode, code);
});

/** Protobuf by hand: a varint, and a field (`wire` 0: varint value; 2: bytes). */
const varint = (n) => {
  const out = [];
  let v = BigInt(n);
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return out;
};
const field = (no, wire, body) => (wire === 0 ? [...varint(no * 8), ...varint(body)] : [...varint(no * 8 + 2), ...varint(body.length), ...body]);
/** A ModelProto whose one initializer has `data_location` written as the varint `value`. */
const withDataLocation = (value) => Uint8Array.from([
  ...field(1, 0, 8),
  ...field(7, 2, field(5, 2, [...field(1, 0, 4), ...field(2, 0, 2), ...field(8, 2, [0x6c]), ...field(14, 0, value)])),
]);

test('data_location is admitted only as DEFAULT, however the varint is spelled (protobuf keeps an enum\'s low 32 bits)', () => {
  assert.is(refusal(withDataLocation(0)), undefined, 'DEFAULT is admitted');
  for (const value of [1, 2 ** 32 + 1, 2 ** 33 + 1, 2 ** 40 + 2 ** 32 + 1, 2, 2 ** 31]) {
    assert.is(refusal(withDataLocation(value))?.nnCode, 'unsupported-operation', `data_location ${value}`);
  }
});

test('nesting deeper than the limit is refused; the models that hurt at run time are admitted (limits stop them)', () => {
  assert.is(refusal(hostile.deepNestingModel(Math.ceil(MAX_NESTING / 3) + 2))?.nnCode, 'invalid-encoding');
  for (const bytes of [hostile.deepNestingModel(5), hostile.longLoopModel(), hostile.expandModel(), hostile.constantOfShapeModel(), hostile.giantDimsModel()]) {
    assert.is(refusal(bytes), undefined);
  }
});

test('the real models are admitted, and a model-local function may use its own domain', () => {
  for (const file of ['digits.onnx', 'image224.onnx']) assert.is(refusal(new Uint8Array(readFileSync(join(root, 'models', file)))), undefined, file);
  // externalDataModel('function') is refused for its tensor, not its domain: the same function
  // without external data passes.
  const model = hostile.externalDataModel('x', 4, 'function');
  assert.is(refusal(model)?.nnCode, 'unsupported-operation');
});

test('every prefix and thousands of mutations of a real model: typed refusal or admission, nothing else', () => {
  const digits = new Uint8Array(readFileSync(join(root, 'models/digits.onnx')));
  for (let n = 0; n < 4096; n += 7) refusal(digits.subarray(0, n));
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const t0 = performance.now();
  for (let i = 0; i < 3000; i++) {
    const m = digits.slice(0, 2048 + Math.floor(rand() * 2048));
    for (let k = 0; k < 4; k++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
    refusal(m);
  }
  const garbage = Uint8Array.from({ length: 1 << 16 }, () => Math.floor(rand() * 256));
  refusal(garbage);
  assert.ok(performance.now() - t0 < 30_000);
});

test('engine messages lose paths, source locations and C++ names', () => {
  const raw = "[ONNXRuntimeError] : 1 : FAIL : Load model from /home/app/secret/model.onnx failed:/onnxruntime_src/onnxruntime/core/graph/model.cc:180 onnxruntime::Model::Model(onnx::ModelProto&&, const PathString&, const IOnnxRuntimeOpSchemaRegistryList*, const onnxruntime::logging::Logger&, const onnxruntime::ModelOptions&) Unknown model file format version. C:\\build\\x.cc:12";
  const clean = sanitizeEngineMessage(raw);
  assert.not.match(clean, /home|secret|onnxruntime_src|model\.cc|::|C:|\\/);
  assert.match(clean, /Unknown model file format version/);
  assert.ok(sanitizeEngineMessage('x'.repeat(5000)).length <= 301);
});

test.run();
