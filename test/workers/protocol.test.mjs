// The flat batch format between the main thread and workers survives a real structured clone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pushFromWorker, pushToWorker, readFromWorker, readToWorker, splitPoint } from '../../dist/workers/protocol.js';

const clone = (batch) => structuredClone(batch);

test('main → worker: every message kind round-trips, in order', () => {
  const sent = [
    { op: 'load', id: 1, name: 'f', source: new Uint8Array([0, 97, 115, 109]), options: { limits: { fuel: 10 } } },
    { op: 'invoke', id: 2, name: 'f', exportName: 'add', args: [1, 2n, 'x', new Uint8Array([3])], deadlineIn: 12.5, valueOnly: true, placement: undefined },
    { op: 'invoke', id: 3, name: 'f', exportName: 'noop', args: [0], deadlineIn: undefined, valueOnly: false, placement: [5, 0, 7, 4096, 10] },
    { op: 'http', id: 4, name: 'h', request: { method: 'GET', pathWithQuery: '/', body: new Uint8Array() }, deadlineIn: 5 },
  ];
  const batch = [];
  for (const m of sent) pushToWorker(batch, m);
  const got = [];
  readToWorker(clone(batch), (m) => got.push(m));
  assert.equal(got, sent);
});

test('worker → main: value-only, full and error answers round-trip', () => {
  const batch = [];
  pushFromWorker(batch, { id: 7, ok: true, value: { tag: 'ok', val: new Float32Array([0.5]) }, coldStart: true }, true);
  pushFromWorker(batch, { id: 8, ok: true, value: 3, stats: { coldStart: false, runUs: 1 } });
  pushFromWorker(batch, { id: 9, ok: false, error: { name: 'TrapError', code: 'TRAP', message: 'unreachable' } });
  const got = [];
  readFromWorker(clone(batch), (m) => got.push(m));
  assert.equal(got, [
    { id: 7, ok: true, value: { tag: 'ok', val: new Float32Array([0.5]) }, coldStart: true },
    { id: 8, ok: true, value: 3, stats: { coldStart: false, runUs: 1 } },
    { id: 9, ok: false, error: { name: 'TrapError', code: 'TRAP', message: 'unreachable' } },
  ]);
});

test('a batch cut at splitPoint reads as its first n messages, then the rest', () => {
  const sent = [
    { op: 'invoke', id: 1, name: 'f', exportName: 'a', args: [1], deadlineIn: undefined, valueOnly: true, placement: undefined },
    { op: 'load', id: 2, name: 'g', source: 'g.wasm', options: {} },
    { op: 'http', id: 3, name: 'h', request: { method: 'GET', pathWithQuery: '/', body: new Uint8Array() }, deadlineIn: 5 },
    { op: 'invoke', id: 4, name: 'f', exportName: 'b', args: [0], deadlineIn: 3, valueOnly: false, placement: [0, 0, 0, 0, 3] },
  ];
  const batch = [];
  for (const m of sent) pushToWorker(batch, m);
  for (let n = 0; n <= sent.length; n++) {
    const cut = splitPoint(batch, n);
    const first = [], rest = [];
    readToWorker(batch.slice(0, cut), (m) => first.push(m));
    readToWorker(batch.slice(cut), (m) => rest.push(m));
    assert.equal(first, sent.slice(0, n));
    assert.equal(rest, sent.slice(n));
  }
  assert.is(splitPoint(batch, 99), batch.length);
});

test('a corrupt batch is an error, not a misread', () => {
  assert.throws(() => readToWorker([99, 1], () => {}), /corrupt worker batch/);
  assert.throws(() => readFromWorker([1, 5, 0], () => {}), /corrupt worker answer batch/);
});

test.run();
