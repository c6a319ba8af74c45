// What the canonical-ABI glue writes into a guest's memory goes through no instrumented
// instruction: our glue marks it (lib/instrument/dirty-map.ts), so a `reset` that restores only dirty
// pages still removes every byte one caller's arguments and host results left in the guest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadComponent } from '../../dist/component/loader.js';
import { ArtifactCache } from '../../dist/component/cache.js';
import { limitsTransform, meterHooks, DIRTY_PAGES } from '../../dist/invoke/limits.js';
import { instantiateComponent } from '../../dist/pool/instance.js';
import { dirtyMapOf, markDirty } from '../../dist/instrument/dirty-map.js';
import { DIRTY_PAGE_SHIFT } from '../../dist/instrument/dirty-pages.js';
import { readSections } from '../../dist/instrument/sections.js';
import { Reader, Writer } from '../../dist/instrument/bytes.js';
import { parse } from '@bytecodealliance/jco';
import { guest, skippedAtRunTime, testUnless } from '../helpers.mjs';

const needs = testUnless(DIRTY_PAGES ? undefined : `no multi-memory on Node ${process.version} (resets copy whole memories)`);

/** Raises the minimum of the module's defined memory, so large host writes land without a grow. */
function withMinPages(bytes, pages) {
  const out = new Writer(bytes.length + 16);
  out.bytes(bytes, 0, 8);
  for (const s of readSections(bytes)) {
    out.u8(s.id);
    if (s.id !== 5) { out.u32(s.end - s.start); out.bytes(bytes, s.start, s.end); continue; }
    const r = new Reader(bytes, s.start, s.end);
    const w = new Writer(32);
    const n = r.u32();
    w.u32(n);
    for (let i = 0; i < n; i++) {
      const flags = r.u8(); r.u32();
      const max = flags & 1 ? r.u32() : undefined;
      w.u8(flags); w.u32(pages); if (max !== undefined) w.u32(Math.max(max, pages));
    }
    out.sized(w);
  }
  return out.result();
}

async function instantiate(name, imports = {}, bytes = readFileSync(guest(name))) {
  const reset = limitsTransform({}, true);
  const component = await loadComponent(bytes, name, new ArtifactCache(false), (n, b) => reset(n, withMinPages(b, 32)));
  assert.is(component.glue, 'fast');
  const hooks = meterHooks(true)();
  hooks.meter.start({});
  const instance = instantiateComponent(component, imports, hooks);
  assert.is(instance.memories.length, 1, 'one guest memory (maps are not guest memory)');
  const memory = instance.memories[0];
  return { instance, memory, expected: new Uint8Array(memory.buffer).slice(), map: dirtyMapOf(memory) };
}

function assertRestored({ instance, memory, expected }, what) {
  assert.ok(instance.snapshot.restore(), `${what}: restored (did not grow)`);
  const now = new Uint8Array(memory.buffer);
  const at = now.findIndex((b, i) => b !== expected[i]);
  assert.is(at, -1, `${what}: byte ${at} (page ${at >>> DIRTY_PAGE_SHIFT}) differs from the snapshot`);
}

needs('arguments the glue lowers into guest memory (realloc) are marked and restored', async () => {
  const t = await instantiate('bytes');
  assert.ok(t.map, 'the memory is tracked');
  const data = new Uint8Array(300_000).fill(0x5a); // spans several pages the guest only reads
  assert.is(t.instance.exports.checksum(data) >>> 0, t.instance.exports.checksum(data) >>> 0);
  assertRestored(t, 'checksum(300 KB)');
  t.instance.exports.reverse(data);
  assertRestored(t, 'reverse(300 KB)');
});

needs('host import results the glue stores (realloc\'d strings, return pointers) are marked and restored', async () => {
  const secret = 'alice-secret:'.repeat(12_000); // ~156 KB
  const host = { get: () => secret, set: () => {}, log: () => {} };
  const t = await instantiate('kv', { 'sfirt:kv/store': host, 'sfirt:kv/log': host });
  t.instance.exports.incr('k');
  assertRestored(t, 'incr with a 156 KB host string');
  t.instance.exports.copy('a', 'b');
  assertRestored(t, 'copy');
});

/**
 * A guest that never writes the pages the host writes into: its allocator is a bump pointer in a
 * global (no stores), and the return area of its `get` import sits alone on page 5. Only the glue's
 * marks (realloc'd string, return pointer) can tell the snapshot about them.
 */
const RETPTR_PROBE = `(component
  (import "get" (func $get (result string)))
  (core module $libc
    (memory (export "mem") 8)
    (global $bump (mut i32) (i32.const 131072))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (global.get $bump)
      (global.set $bump (i32.add (global.get $bump) (local.get 3)))))
  (core instance $libc (instantiate $libc))
  (core func $get_low (canon lower (func $get) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "get" (func $get (param i32)))
    (func (export "run") (result i32)
      (call $get (i32.const 327680))
      (i32.load offset=4 (i32.const 327680))))
  (core instance $i (instantiate $m (with "libc" (instance $libc)) (with "host" (instance (export "get" (func $get_low))))))
  (func $run (result u32) (canon lift (core func $i "run")))
  (export "run" (func $run)))`;

needs('a return pointer and a realloc\'d region no guest instruction touches are still restored (glue marks)', async () => {
  const secret = 'caller A: 4111-1111-1111-1111 '.repeat(3000); // ~90 KB: pages 2 and 3
  const t = await instantiate('retptr-probe', { get: { default: () => secret } }, await parse(RETPTR_PROBE));
  assert.is(t.instance.exports.run(), secret.length);
  const now = new Uint8Array(t.memory.buffer);
  assert.is(new DataView(now.buffer).getUint32(327680 + 4, true), secret.length, 'the host wrote the return area');
  assertRestored(t, 'get() -> 90 KB string');
});

needs('a component naming a dirty map as a canonical option\'s memory is refused (INVALID_COMPONENT)', async () => {
  // The probe with its `get` lowered into the map of the libc memory instead of the memory: the
  // host's string would land in the marks, under the guest's control.
  const hostile = RETPTR_PROBE
    .replace('(core instance $libc (instantiate $libc))', '(core instance $libc (instantiate $libc))\n  (alias core export $libc "sfirt:state:dirty:0" (core memory $map))')
    .replace('(memory (core memory $libc "mem")) (realloc', '(memory $map) (realloc');
  assert.ok(hostile.includes('(memory $map)'));
  let bytes;
  try { bytes = await parse(hostile); } catch { return skippedAtRunTime('dirty map as a canonical memory', 'wasm-tools refuses the text already'); }
  const err = await instantiate('map-as-memory', { get: { default: () => 'x'.repeat(100) } }, bytes).then(() => undefined, (e) => e);
  assert.ok(err, 'refused');
  assert.is(err.code, 'INVALID_COMPONENT', err.message);
});

test('markDirty marks exactly the pages of a range, wasm pointers included', () => {
  const P = 2 ** DIRTY_PAGE_SHIFT; // a tracked page
  const map = new Uint8Array(2 ** (32 - DIRTY_PAGE_SHIFT));
  const last = map.length - 1;
  const pages = () => [...map.keys()].filter((k) => map[k]);
  markDirty(map, P - 1, 2); assert.equal(pages(), [0, 1]); map.fill(0);
  markDirty(map, 3 * P, P); assert.equal(pages(), [3]); map.fill(0);
  markDirty(map, 100, 0); assert.equal(pages(), []);
  markDirty(map, -P, 10); assert.equal(pages(), [last]); map.fill(0); // the last page's start as i32
  markDirty(map, -10, 100); assert.equal(pages(), [last]);
});

test.run();
