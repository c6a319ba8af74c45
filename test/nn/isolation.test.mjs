// wasi:nn state belongs to an instance (issue 16): the graphs, contexts and tensors one caller
// leaves behind are released by a reset or a discard, and their handle numbers name nothing for
// the next caller (the hostile nn guest names them as raw numbers). In `reuse` they persist, which
// shows the probe sees a kept handle when there is one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest, rejection, root, tempCache } from '../helpers.mjs';

const utf8 = (s) => new TextEncoder().encode(s);
const rt = createRuntime({ cacheDir: tempCache(), nn: { models: { digits: join(root, 'models/digits.onnx') } } });
const U8 = 4; // wasi:nn tensor-type `u8`

/** Caller A: a graph, a context and a tensor, none dropped. */
async function leave(fn) {
  const graph = await fn.call('load-named', utf8('digits'));
  assert.is(graph.tag, 'ok', JSON.stringify(graph));
  const ctx = await fn.call('init-context', graph.val);
  const tensor = await fn.call('new-tensor', Uint32Array.of(4), U8, utf8('abcd'));
  return { graph: graph.val, ctx: ctx.val, tensor };
}

for (const mode of ['reset', 'fresh', undefined]) {
  test(`${mode ?? 'default'}: caller B names A's graph, context and tensor numbers and reaches nothing`, async () => {
    const fn = await rt.load(`nn-${mode}`, guest('nn-hostile'), { ...(mode ? { pool: { mode, max: 1 } } : { pool: { max: 1 } }) });
    // Within one call a tensor is live; across calls it is not.
    const tensor = await fn.call('new-tensor', Uint32Array.of(4), U8, utf8('abcd'));
    const err = await rejection(fn.call('tensor-length', tensor));
    assert.is(err.code, 'TRAP', String(err));
    const graph = await fn.call('load-named', utf8('digits'));
    assert.is(graph.tag, 'ok', JSON.stringify(graph));
    const ctx = await rejection(fn.call('init-context', graph.val));
    assert.is(ctx.code, 'TRAP', String(ctx));
    // Handle numbers restart: B's first tensor gets the number A's got.
    assert.is(await fn.call('new-tensor', Uint32Array.of(4), U8, utf8('wxyz')), tensor);
    // Hoarding the instance's whole tensor quota works call after call: each reset released it.
    for (let i = 0; i < 3; i++) assert.ok(await fn.call('hoard-tensors', 64, 1024) === 64);
  });
}

test('reuse: what A kept is still there (state shared on purpose)', async () => {
  const fn = await rt.load('nn-reuse', guest('nn-hostile'), { pool: { mode: 'reuse', max: 1 } });
  const a = await leave(fn);
  assert.is(await fn.call('tensor-length', a.tensor), 4);
  assert.is.not(await fn.call('new-tensor', Uint32Array.of(4), U8, utf8('wxyz')), a.tensor);
});

test.after(() => rt.close());
test.run();
