// sfirt's AssemblyScript kit and `sfirt build`'s pipeline: a guest written with the kit has no
// cabi_* of its own, gets correct answers for every kind of parameter and result, and a pooled
// instance's memory stays flat over thousands of calls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest } from '../../dist/guest/build.js';
import { kitAppendix } from '../../dist/guest/assemblyscript.js';
import { expectedCoreExports } from '../../dist/guest/component.js';
import { composeWit } from '../../dist/guest/wit-source.js';
import { createRuntime } from '../../dist/index.js';
import { tempCache } from '../helpers.mjs';

const WIT = `package test:kit;

interface text {
  shout: func(s: string) -> string;
}

world kit {
  export greet: func(name: string) -> string;
  export add: func(a: u32, b: u32) -> u32;
  export twice: func(n: u64) -> u64;
  export half: func(x: f64) -> f64;
  export reverse: func(data: list<u8>) -> list<u8>;
  export touch: func(name: string);
  export text;
}
`;
const SOURCE = `// A guest that leaves cabi_realloc and cabi_post_* to the build.
import { liftString, liftBytes, returnString, returnBytes } from "sfirt/assembly";

export function greet(ptr: usize, len: usize): usize { return returnString("Hello, " + liftString(ptr, len) + "!"); }
export function add(a: u32, b: u32): u32 { return a + b; }
export function twice(n: u64): u64 { return n * 2; }
export function half(x: f64): f64 { return x / 2; }
export function reverse(ptr: usize, len: usize): usize { const b = liftBytes(ptr, len); b.reverse(); return returnBytes(b); }
let touched = "";
export function touch(ptr: usize, len: usize): void { touched = liftString(ptr, len); }
export function test_kit_text_shout(ptr: usize, len: usize): usize { return returnString(liftString(ptr, len).toUpperCase()); }
`;

test('the appendix adds cabi_realloc and one post-return per export, typed by its core result', async () => {
  const expected = await expectedCoreExports(composeWit(WIT), 'kit');
  const appendix = kitAppendix(SOURCE, expected);
  assert.match(appendix, /export \{ cabi_realloc \} from "sfirt\/assembly\/cabi";/);
  assert.match(appendix, /export function cabi_post_greet\(_r0: i32\): void/);
  assert.match(appendix, /export function cabi_post_twice\(_r0: i64\): void/);
  assert.match(appendix, /export function cabi_post_half\(_r0: f64\): void/);
  assert.match(appendix, /export function cabi_post_touch\(\): void/);
  assert.match(appendix, /export function cabi_post_test_kit_text_shout\(_r0: i32\): void/);
  // What the guest defines itself is left alone; a name in a comment does not count.
  const own = kitAppendix('// cabi_realloc is mine\nexport function cabi_post_greet(r: i32): void {}\n', expected);
  assert.match(own, /export \{ cabi_realloc \}/);
  assert.not.match(own, /cabi_post_greet/);
});

const project = mkdtempSync(join(tmpdir(), 'sfirt-kit-'));
mkdirSync(join(project, 'wit'));
mkdirSync(join(project, 'src'));
writeFileSync(join(project, 'wit', 'world.wit'), WIT);
writeFileSync(join(project, 'src', 'index.ts'), SOURCE);
const built = await buildGuest({ lang: 'as', projectDir: project, out: 'kit.wasm' });
const rt = createRuntime({ cacheDir: tempCache() });
const fn = await rt.load('kit', built.out, { pool: { mode: 'reuse', max: 1 } });

test('every kind of parameter and result round-trips', async () => {
  assert.is(fn.glue.kind, 'fast');
  assert.is(await fn.call('greet', 'wörld ✓'), 'Hello, wörld ✓!');
  assert.is(await fn.call('add', 0xffffffff, 2), 1);
  assert.is(await fn.call('twice', 2n ** 62n), 2n ** 63n);
  assert.is(await fn.call('half', 3), 1.5);
  assert.equal(await fn.call('reverse', new Uint8Array([1, 2, 3, 4])), new Uint8Array([4, 3, 2, 1]));
  assert.equal(await fn.call('reverse', new Uint8Array(0)), new Uint8Array(0));
  assert.is(await fn.call('touch', 'x'), undefined);
  assert.is(await fn.call('test:kit/text#shout', 'quiet'), 'QUIET');
});

test('a reused instance does not grow: the post-returns free each call\'s memory', async () => {
  const big = 'x'.repeat(4096);
  const bytes = new Uint8Array(8192);
  for (let i = 0; i < 200; i++) await fn.call('greet', big);
  const before = (await fn.invoke('greet', [big])).stats.memoryBytes;
  for (let i = 0; i < 3000; i++) {
    await fn.call('greet', big);
    await fn.call('reverse', bytes);
    await fn.call('touch', big);
  }
  const after = (await fn.invoke('greet', [big])).stats.memoryBytes;
  assert.is(after, before, `memory grew from ${before} to ${after} bytes`);
});

test('a guest without the kit gets no appendix, and a missing cabi_realloc is a clear build error', async () => {
  const bare = mkdtempSync(join(tmpdir(), 'sfirt-kit-bare-'));
  mkdirSync(join(bare, 'wit'));
  mkdirSync(join(bare, 'src'));
  writeFileSync(join(bare, 'wit', 'world.wit'), 'package test:bare;\nworld bare { export greet: func(name: string) -> u32; }\n');
  writeFileSync(join(bare, 'src', 'index.ts'), 'export function greet(p: usize, l: usize): u32 { return <u32>l; }\n');
  const err = await buildGuest({ lang: 'as', projectDir: bare, out: 'bare.wasm' }).then(() => null, (e) => e);
  assert.instance(err, Error);
  assert.match(err.message, /cabi_realloc/);
});

test.after(() => rt.close());
test.run();
