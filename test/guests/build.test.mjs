// guests/build.mjs: every guest builds into a component with the WIT the runtime's tests rely on,
// rebuilds are incremental (content hashes), and failures name the guest and the cause.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { componentWit } from '@bytecodealliance/jco';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuests } from '../../guests/build.mjs';
import { isComponent } from '../../guests/_build/component.mjs';
import { root, distDir } from './instantiate.mjs';

const guestsDir = join(root, 'guests');
const quiet = { log: () => {} };

/** The contract: world-level imports/exports each guest's component must show. */
const EXPECTED = {
  hello: ['export greet: func(name: string) -> string;'],
  bytes: ['export reverse: func(data: list<u8>) -> list<u8>;', 'export checksum: func(data: list<u8>) -> u32;'],
  compute: [
    'export fib: func(n: u32) -> u64;',
    'export fib-rec: func(n: u32) -> u64;',
    'export sort: func(n: u32, seed: u32) -> u32;',
    'export matmul: func(n: u32, seed: u32) -> f64;',
    'export hash: func(data: list<u8>, rounds: u32) -> u32;',
    'export add: func(a: u32, b: u32) -> u32;',
    'export noop: func();',
    'export echo: func(data: list<u8>) -> list<u8>;',
  ],
  alloc: ['export grow: func(bytes: u32) -> u32;', 'export grow-and-use: func(bytes: u32) -> u32;', 'export memory-size: func() -> u32;'],
  state: [
    'export incr: func() -> u32;',
    'export put: func(secret: string);',
    'export get: func() -> string;',
    'export put-then-trap: func(secret: string);',
    'export dirty: func(pages: u32);',
  ],
  trap: [
    'export unreachable: func();',
    'export divide: func(a: s32, b: s32) -> s32;',
    'export out-of-bounds: func(addr: u32) -> u32;',
    'export call-indirect: func(index: u32) -> u32;',
    'export call-null: func();',
  ],
  spin: ['export spin: func();', 'export spin-for: func(iterations: u64) -> u64;'],
  recurse: ['export recurse: func(depth: u32) -> u32;', 'export forever: func() -> u32;'],
  kv: [
    'import sfirt:kv/store;',
    'import sfirt:kv/log;',
    'export incr: func(key: string) -> u32;',
    'export copy: func(%from: string, to: string) -> bool;',
  ],
  'wat-add': ['export add: func(a: u32, b: u32) -> u32;'],
};

/** The world block of componentWit's output, one trimmed line per item. */
async function worldItems(bytes) {
  const wit = await componentWit(bytes);
  return wit.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('import ') || l.startsWith('export '));
}

test('every guest builds into a component with exactly the expected imports and exports', async () => {
  await buildGuests({ only: Object.keys(EXPECTED), ...quiet });
  for (const [name, items] of Object.entries(EXPECTED)) {
    const bytes = readFileSync(join(distDir, `${name}.wasm`));
    assert.ok(isComponent(bytes), `${name}.wasm is a component`);
    assert.equal(await worldItems(bytes), items, name);
  }
});

test('a rebuild with nothing changed is a no-op', async () => {
  const before = Object.keys(EXPECTED).map((n) => statSync(join(distDir, `${n}.wasm`)).mtimeMs);
  const t0 = performance.now();
  const { built, upToDate } = await buildGuests({ only: Object.keys(EXPECTED), ...quiet });
  console.log(`    no-op rebuild of ${upToDate.length} guests: ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(built, []);
  for (const name of Object.keys(EXPECTED)) assert.ok(upToDate.includes(name), name);
  assert.equal(Object.keys(EXPECTED).map((n) => statSync(join(distDir, `${n}.wasm`)).mtimeMs), before);
});

/** A private copy of some guests (plus the shared AS library) to edit freely. */
function scratchGuests(names) {
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-guest-src-'));
  for (const name of ['_lib', ...names]) cpSync(join(guestsDir, name), join(dir, name), { recursive: true });
  return dir;
}

const scratch = scratchGuests(['hello', 'wat-add']);
const builtIn = async (options) => (await buildGuests({ sourceDir: scratch, ...quiet, ...options })).built.sort();

test('incremental: an edit rebuilds only the guests that depend on the edited file', async () => {
  assert.equal(await builtIn(), ['hello', 'wat-add']);
  assert.equal(await builtIn(), []);
  appendFileSync(join(scratch, 'hello', 'index.ts'), '\n// edited\n');
  assert.equal(await builtIn(), ['hello']);
  appendFileSync(join(scratch, '_lib', 'abi.ts'), '\n// edited\n');
  assert.equal(await builtIn(), ['hello'], 'the shared AS library is an input of AS guests only');
  appendFileSync(join(scratch, 'wat-add', 'component.wat'), '\n;; edited\n');
  assert.equal(await builtIn(), ['wat-add']);
  assert.equal(await builtIn({ force: true, only: ['wat-add'] }), ['wat-add'], 'force rebuilds what is up to date');
});

test('interface exports: AS spells the interface path, with or without its version', async () => {
  mkdirSync(join(scratch, 'iface'));
  writeFileSync(join(scratch, 'iface', 'world.wit'), [
    'package sfirt:iface@0.2.0;',
    'interface api { ping: func(x: u32) -> u32; }',
    'interface other { pong: func() -> string; }',
    'world iface { export api; export other; }',
  ].join('\n'));
  writeFileSync(join(scratch, 'iface', 'index.ts'), [
    'export { cabi_realloc } from "../_lib/abi";',
    'import { returnBuffer } from "../_lib/abi";',
    'export function sfirt_iface_api_ping(x: u32): u32 { return x + 1; }',
    'export function sfirt_iface_other_0_2_0_pong(): usize { return returnBuffer(0, 0); }',
  ].join('\n'));
  assert.equal(await builtIn({ only: ['iface'] }), ['iface']);
  const items = await worldItems(readFileSync(join(scratch, 'dist', 'iface.wasm')));
  assert.equal(items, ['export sfirt:iface/api@0.2.0;', 'export sfirt:iface/other@0.2.0;']);
});

test('failures name the guest and the cause, and do not stop the other guests', async () => {
  appendFileSync(join(scratch, 'wat-add', 'component.wat'), '\n;; edited again\n');
  mkdirSync(join(scratch, 'bad-wat'));
  writeFileSync(join(scratch, 'bad-wat', 'component.wat'), '(component (export "x" (func $missing)))');
  const err = await buildGuests({ sourceDir: scratch, ...quiet }).then(() => null, (e) => e);
  assert.instance(err, Error);
  assert.match(err.message, 'guest bad-wat');
  assert.not.match(err.message, 'guest wat-add');
  assert.equal(await builtIn({ only: ['wat-add'] }), [], 'the good guest was built and recorded despite the failure');
  assert.ok(isComponent(readFileSync(join(scratch, 'dist', 'wat-add.wasm'))));

  // An AS export that matches no WIT export is reported by name, with what was expected.
  mkdirSync(join(scratch, 'typo'));
  writeFileSync(join(scratch, 'typo', 'world.wit'), 'package sfirt:typo;\nworld typo { export greet: func() -> u32; }\n');
  writeFileSync(join(scratch, 'typo', 'index.ts'), 'export function gret(): u32 { return 1; }\n');
  const typo = await buildGuests({ sourceDir: scratch, only: ['typo'], ...quiet }).then(() => null, (e) => e);
  assert.match(typo.message, /guest typo: .*gret.*greet/s);
});

test.run();
