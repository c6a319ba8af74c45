// The `sfirt` command line, run as a user runs it (a child process): help, exit statuses by error
// code, JSON in and out, inspect of a component whose imports nobody provides, new → build → call,
// and serve answering HTTP until SIGTERM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { guest, root, tempCache } from '../helpers.mjs';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, SFIRT_CACHE_DIR: tempCache('sfirt-cli-cache-') };

function sfirt(args, options = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, ...options });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help lists every command; unknown commands and bad options are usage errors (2)', () => {
  const help = sfirt(['--help']);
  assert.is(help.status, 0);
  for (const c of ['new', 'build', 'inspect', 'types', 'call', 'serve', 'bench']) assert.match(help.stdout, new RegExp(`\\n  ${c} `));
  assert.is(sfirt(['frobnicate']).status, 2);
  const bad = sfirt(['call', guest('hello'), 'greet', 'x', '--fuel', 'lots']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--fuel must be a non-negative integer/);
  assert.match(sfirt(['call', '--help']).stdout, /30 FUEL_EXHAUSTED/);
});

test('call: JSON in, JSON out; 64-bit results exact; bytes as arrays', () => {
  const hello = sfirt(['call', guest('hello'), 'greet', '"world"']);
  assert.is(hello.status, 0, hello.stderr);
  assert.is(hello.stdout, '"Hello, world!"\n');
  assert.is(sfirt(['call', guest('hello'), 'greet', 'bare-word']).stdout, '"Hello, bare-word!"\n');
  assert.is(sfirt(['call', guest('compute'), 'fib', '90']).stdout, '2880067194370816120\n');
  assert.is(sfirt(['call', guest('bytes'), 'reverse', '[1,2,300]']).status, 15, 'an out-of-range byte is INVALID_ARGUMENT');
  assert.is(sfirt(['call', guest('bytes'), 'reverse', '[1,2,3]']).stdout, '[3,2,1]\n');
  assert.is(sfirt(['call', guest('wasi-probe'), 'env', '--env', 'A=1']).stdout, '[["A","1"]]\n');
});

test('call: each failure exits with its error code\'s status and says why on stderr', () => {
  const fuel = sfirt(['call', guest('hello'), 'greet', '"world"', '--fuel', '10']);
  assert.is(fuel.status, 30);
  assert.match(fuel.stderr, /FUEL_EXHAUSTED/);
  assert.is(fuel.stdout, '');
  assert.is(sfirt(['call', guest('spin'), 'spin', '--timeout', '50']).status, 31);
  assert.is(sfirt(['call', guest('trap'), 'unreachable']).status, 20);
  assert.is(sfirt(['call', guest('hello'), 'nope']).status, 14);
  const missing = sfirt(['call', guest('kv'), 'incr', 'k']);
  assert.is(missing.status, 13);
  assert.match(missing.stderr, /sfirt inspect/);
  const junk = join(mkdtempSync(join(tmpdir(), 'sfirt-cli-')), 'junk.wasm');
  writeFileSync(junk, 'not wasm');
  assert.is(sfirt(['call', junk, 'x']).status, 10);
  assert.is(sfirt(['call', guest('hello'), 'greet']).status, 2, 'wrong arity is a usage error');
});

test('inspect: a component with imports nobody provides shows what to implement, with signatures', () => {
  const r = sfirt(['inspect', guest('kv')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /incr: func\(key: string\) -> u32/);
  assert.match(r.stdout, /must be provided by you/);
  assert.match(r.stdout, /sfirt:kv\/store {3}\(imports key 'sfirt:kv\/store'\)/);
  assert.match(r.stdout, /get: func\(key: string\) -> option<string> {3}→ get/);
  assert.match(r.stdout, /log: func\(level: u8, message: string\)/);
  assert.match(r.stdout, /glue: fast/);
  const json = JSON.parse(sfirt(['inspect', guest('classifier'), '--json']).stdout);
  assert.equal(json.exports.map((e) => e.name), ['init', 'classify', 'classify-with', 'load-bytes', 'run-raw']);
  assert.ok(json.imports.every((i) => i.provider === 'wasi:nn'));
  assert.ok(json.types.includes('record classification { label: u32, probabilities: list<f32> }'));
  assert.match(sfirt(['inspect', guest('http-hello')]).stdout, /wasi:http\/incoming-handler@0\.2\.0#handle: func\(request: incoming-request, response-out: response-outparam\)/);
});

test('inspect prints what comes from the component terminal-safe: docs cannot move the cursor or rewrite lines', () => {
  // A `package-docs` custom section (version 0 + JSON) whose docs hold escape sequences that
  // would erase the line above and print another in its place, and a bidi override.
  const leb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
  const name = Buffer.from('package-docs');
  const docs = Buffer.from(JSON.stringify({ docs: 'ok\u001b[2K\u001b[1A\u001b[2KFAKE\u0007\u202e' }));
  const payload = Buffer.concat([Buffer.from(leb(name.length)), name, Buffer.from([0]), docs]);
  const file = join(mkdtempSync(join(tmpdir(), 'sfirt-cli-docs-')), 'docs.wasm');
  writeFileSync(file, Buffer.concat([readFileSync(guest('hello')), Buffer.from([0, ...leb(payload.length)]), payload]));
  for (const args of [['inspect', file, '--wit'], ['inspect', file]]) {
    const r = sfirt(args);
    assert.is(r.status, 0, r.stderr);
    assert.not.match(r.stdout, /[\u001b\u0007\u202e]/, `${args.join(' ')} printed a control character`);
  }
  assert.match(sfirt(['inspect', file, '--wit']).stdout, /ok\\u\{1b\}\[2K/);
});

test('new → build → call: an AssemblyScript function from the template', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-cli-new-'));
  const made = sfirt(['new', 'my-fn'], { cwd: dir });
  assert.is(made.status, 0, made.stderr);
  assert.match(made.stdout, /src\/index\.ts/);
  assert.is(sfirt(['new', 'my-fn'], { cwd: dir }).status, 2, 'refuses a non-empty directory');
  const project = join(dir, 'my-fn');
  const built = sfirt(['build'], { cwd: project });
  assert.is(built.status, 0, built.stderr);
  assert.match(built.stdout, /built my-fn: my-fn\.wasm/);
  assert.is(sfirt(['call', 'my-fn.wasm', 'greet', '"kit"'], { cwd: project }).stdout, '"Hello, kit!"\n');
  assert.is(sfirt(['call', 'my-fn.wasm', 'greet', '"kit"', '--fuel', '10'], { cwd: project }).status, 30);
});

test('serve: a component answers over HTTP; SIGTERM drains and exits 0', async () => {
  const child = spawn(process.execPath, [cli, 'serve', guest('hello'), '--port', '0'], { env });
  const exited = new Promise((resolve) => child.on('close', resolve));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line after 120 s: ${out}`)), 120_000);
      const look = () => {
        const m = /listening on (http:\/\/\S+)[\s\S]*→/.exec(out); // the address, then the routes
        if (m) { clearTimeout(timer); resolve(m[1]); }
      };
      child.stdout.on('data', look);
      exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${out}`)); });
    });
    assert.match(out, /POST {3}\/greet {2}→ hello\.greet/);
    const r = await request(`${url}/greet`, { method: 'POST', body: 'http' });
    assert.is(r.statusCode, 200);
    assert.is(await r.body.text(), 'Hello, http!');
    child.kill('SIGTERM');
    assert.is(await exited, 0, out);
  } finally {
    child.kill('SIGKILL'); // no-op once it has exited; never leave a server behind
  }
});

test.run();
