// The wasi-probe guest (guests/wasi-probe) run directly through jco + preview2-shim with a
// sandboxed WASIShim: its hand-written canonical ABI must see exactly what the sandbox grants.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const wasmPath = join(root, 'guests', 'dist', 'wasi-probe.wasm');
if (!existsSync(wasmPath)) throw new Error(`${wasmPath} is missing: build the guests first (node build.mjs --guests-only)`);

/** Transpiles a component with jco and returns its sync `instantiate(imports)`. */
async function load(bytes, name) {
  const out = await transpile(bytes, { name, instantiation: { tag: 'sync' }, noTypescript: true });
  const dir = mkdtempSync(join(tmpdir(), `sfirt-${name}-`));
  const modules = new Map();
  for (const [file, content] of Object.entries(out.files)) {
    if (file.endsWith('.wasm')) modules.set(file, new WebAssembly.Module(content));
    else if (file.endsWith('.js')) writeFileSync(join(dir, file), content);
  }
  const glue = await import(pathToFileURL(join(dir, `${name}.js`)).href);
  rmSync(dir, { recursive: true, force: true });
  /** Instantiates; `memories` collects the core instances' exported memories (to watch growth). */
  return (imports, memories = []) => glue.instantiate((file) => modules.get(file), imports, (module, coreImports) => {
    const instance = new WebAssembly.Instance(module, coreImports);
    if (instance.exports.memory) memories.push(instance.exports.memory);
    return instance;
  });
}

const instantiate = await load(readFileSync(wasmPath), 'wasi-probe');
const data = mkdtempSync(join(tmpdir(), 'sfirt-probe-data-'));
writeFileSync(join(data, 'hello.txt'), 'hello from the host ✓');
mkdirSync(join(data, 'sub'));
writeFileSync(join(data, 'sub', 'a.bin'), '');
writeFileSync(join(data, 'sub', 'b.txt'), 'b'.repeat(200_000)); // more than one 64 KiB read

function sandboxed(sandbox) {
  return instantiate(new WASIShim({ sandbox: { enableNetwork: false, ...sandbox } }).getImportObject());
}

const probe = sandboxed({ env: { A: '1', GREETING: 'héllo wörld' }, args: ['x', 'second arg'], preopens: { '/data': data } });

test('env shows exactly the granted variables, and args the granted arguments', () => {
  assert.equal(probe.env(), [['A', '1'], ['GREETING', 'héllo wörld']]);
  assert.equal(probe.args(), ['x', 'second arg']);
  const empty = sandboxed({ env: {}, args: [], preopens: {} });
  assert.equal(empty.env(), []);
  assert.equal(empty.args(), []);
});

test('preopens lists the guest paths of the granted directories only', () => {
  assert.equal(probe.preopens(), ['/data']);
  assert.equal(sandboxed({ env: {}, args: [], preopens: {} }).preopens(), []);
});

test('read-file reads files inside a preopen, including multi-chunk ones', () => {
  assert.equal(probe.readFile('/data/hello.txt'), 'hello from the host ✓');
  assert.equal(probe.readFile('/data/sub/a.bin'), '');
  assert.equal(probe.readFile('/data/sub/b.txt'), 'b'.repeat(200_000));
});

test('read-file outside every preopen, or of a missing file, is an error value', () => {
  const err = (fn) => { try { fn(); } catch (e) { return e.payload; } assert.unreachable('expected an error'); };
  assert.is(err(() => probe.readFile('/etc/passwd')), 'no preopen for /etc/passwd');
  assert.is(err(() => probe.readFile('/database')), 'no preopen for /database'); // prefix of a name, not a path
  assert.is(err(() => probe.readFile('/data/missing.txt')), 'no-entry');
  assert.is(err(() => probe.readFile('/data/sub')), 'is-directory');
  const escape = err(() => probe.readFile('/data/../../../../etc/passwd'));
  assert.ok(typeof escape === 'string' && escape.length > 0, `escape attempt must fail, got ${escape}`);
  const none = sandboxed({ env: {}, args: [], preopens: {} });
  assert.is(err(() => none.readFile('/data/hello.txt')), 'no preopen for /data/hello.txt');
});

test('write-file creates and truncates files inside a preopen', () => {
  assert.is(probe.writeFile('/data/out.txt', 'first version, long'), undefined);
  assert.is(probe.writeFile('/data/out.txt', 'second ✓'), undefined);
  assert.is(readFileSync(join(data, 'out.txt'), 'utf8'), 'second ✓');
  let payload;
  try { probe.writeFile('/tmp/x', 'nope'); } catch (e) { payload = e.payload; }
  assert.is(payload, 'no preopen for /tmp/x');
});

test('list-dir lists a preopen root and a subdirectory', () => {
  assert.equal(probe.listDir('/data/sub').sort(), ['a.bin', 'b.txt']);
  const top = probe.listDir('/data').sort();
  assert.ok(top.includes('hello.txt') && top.includes('sub'), top.join(','));
  let payload;
  try { probe.listDir('/data/hello.txt'); } catch (e) { payload = e.payload; }
  assert.is(payload, 'not-directory');
});

test('clocks and random return sane values', () => {
  const wall = probe.wallClock();
  assert.type(wall, 'bigint');
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  assert.ok(wall > nowNs - 5_000_000_000n && wall < nowNs + 5_000_000_000n, `wall clock ${wall} vs ${nowNs}`);
  const m1 = probe.monotonic();
  const m2 = probe.monotonic();
  assert.type(m1, 'bigint');
  assert.ok(m2 >= m1);
  const a = probe.random(32);
  const b = probe.random(32);
  assert.instance(a, Uint8Array);
  assert.is(a.length, 32);
  assert.not.equal([...a], [...b]);
  assert.is(probe.random(0).length, 0);
});

test('print writes to the stdout and stderr streams the host provides', () => {
  // The shim's streams go to the process; swap in recording streams of the shim's own classes.
  const imports = new WASIShim({ sandbox: { env: {}, args: [], preopens: {}, enableNetwork: false } }).getImportObject();
  const written = { out: [], err: [] };
  const recorder = (sink) => {
    const { OutputStream } = imports['wasi:io/streams'];
    const stream = Object.create(OutputStream.prototype);
    stream.blockingWriteAndFlush = (bytes) => { sink.push(Buffer.from(bytes).toString('utf8')); };
    stream[Symbol.dispose] = () => {};
    return stream;
  };
  imports['wasi:cli/stdout'] = { getStdout: () => recorder(written.out) };
  imports['wasi:cli/stderr'] = { getStderr: () => recorder(written.err) };
  const guest = instantiate(imports);
  guest.print('to stdout ✓', 'x'.repeat(10_000));
  assert.is(written.out.join(''), 'to stdout ✓');
  assert.is(written.err.join(''), 'x'.repeat(10_000));
  assert.ok(written.err.every((chunk) => chunk.length <= 4096), 'writes are chunked to 4096 bytes');
});

test('a reused instance does not grow: each call\'s memory is released after the call', () => {
  const memories = [];
  const guest = instantiate(new WASIShim({ sandbox: { env: { A: '1' }, args: [], preopens: { '/data': data }, enableNetwork: false } }).getImportObject(), memories);
  assert.is(memories.length, 1);
  const run = () => {
    assert.is(guest.readFile('/data/sub/b.txt').length, 200_000);
    assert.equal(guest.listDir('/data/sub').length, 2);
    assert.equal(guest.env(), [['A', '1']]);
    assert.is(guest.random(1000).length, 1000);
  };
  for (let i = 0; i < 20; i++) run();
  const warm = memories[0].buffer.byteLength;
  // Each round allocates > 400 KB in the guest; 200 leaking rounds would need > 80 MB more.
  for (let i = 0; i < 200; i++) run();
  assert.is(memories[0].buffer.byteLength, warm);
});

test.run();
