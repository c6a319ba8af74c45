// Recycled linear memories: importMemories turns defined memories into pooled imports, MemoryPool
// hands back zeroed memories, and a fresh pool's instances never see a previous call's bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importMemories, parsePooledMemoryName, POOLED_MEMORY_MODULE } from '../../dist/instrument/import-memory.js';
import { MemoryPool } from '../../dist/pool/memory-pool.js';
import { createRuntime } from '../../dist/index.js';
import { guest, tempCache } from '../helpers.mjs';

const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
const section = (id, body) => [id, ...leb(body.length), ...body];
const str = (s) => [...leb(s.length), ...Buffer.from(s)];
// (memory 2 8) (data (i32.const 16) "hi") (func (export "peek") (result i32) i32.const 16 i32.load8_u) (export "memory" (memory 0))
const withMemory = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [1, 0x60, 0, 1, 0x7f]), ...section(3, [1, 0]), ...section(5, [1, 1, 2, 8]),
  ...section(7, [2, ...str('peek'), 0, 0, ...str('memory'), 2, 0]),
  ...section(10, [1, 7, 0, 0x41, 16, 0x2d, 0, 0, 0x0b]),
  ...section(11, [1, 0, 0x41, 16, 0x0b, 2, ...Buffer.from('hi')])]);

test('importMemories: the defined memory becomes an import with its limits, data segments still apply', () => {
  const out = importMemories(withMemory);
  assert.ok(WebAssembly.validate(out));
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(out));
  assert.is(imports.length, 1);
  assert.is(imports[0].module, POOLED_MEMORY_MODULE);
  assert.equal(parsePooledMemoryName(imports[0].name), { index: 0, min: 2, max: 8 });
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 8 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(out), { [POOLED_MEMORY_MODULE]: { [imports[0].name]: memory } });
  assert.is(inst.exports.peek(), 'h'.charCodeAt(0));
  assert.is(inst.exports.memory, memory);
});

test('a module without a defined memory is returned unchanged', () => {
  const none = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, [1, 0x60, 0, 0])]);
  assert.is(importMemories(none), none);
});

test('MemoryPool zeroes what it takes back and drops memories that grew', () => {
  const pool = new MemoryPool();
  const limits = { index: 0, min: 1, max: 4 };
  const a = pool.take(limits);
  new Uint8Array(a.buffer)[100] = 42;
  pool.give(a, limits);
  const b = pool.take(limits);
  assert.is(b, a, 'recycled');
  assert.is(new Uint8Array(b.buffer)[100], 0, 'zeroed');
  b.grow(1);
  pool.give(b, limits);
  assert.is.not(pool.take(limits), b, 'a grown memory is not reused');
});

test('fresh pool over recycled memories: no call sees the previous call\'s secret', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  const fn = await rt.load('fresh-mem', guest('state'), { pool: { mode: 'fresh', min: 0 } });
  for (let i = 0; i < 20; i++) {
    assert.is(await fn.call('get'), '');
    await fn.call('put', `secret-${i}`);
  }
  rt.close();
});

test.run();
