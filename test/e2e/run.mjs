#!/usr/bin/env node
// `npm run e2e`: sfirt as a new user gets it. Packs this checkout, installs the tarball into an
// empty app (from npm's cache where it can), and walks the README's five-minute path with `npx`:
// --help, new → build → inspect → call (and FUEL_EXHAUSTED under --fuel 10) → the template's own
// test → serve + an HTTP request; plus inspect of a component with imports, require('sfirt'),
// the `exports` subpaths, the BACKEND_UNAVAILABLE message without onnxruntime-web, and (unless
// --skip-js) the JavaScript template through componentize-js. Prints `install_mib` (the app's
// node_modules right after installing the tarball) with its largest packages; fails above 200.
// Usage: node test/e2e/run.mjs [--skip-js] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const INSTALL_MIB_BAR = 200;
const work = mkdtempSync(join(tmpdir(), 'sfirt-e2e-'));
const app = join(work, 'app');
mkdirSync(app);
// npm's own settings only: no inherited npm_config_* from an `npm run` parent (its prefix, say).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
env.SFIRT_CACHE_DIR = join(work, 'cache');
const results = [];

function run(cmd, cmdArgs, { cwd = app, ok = [0], input } = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, cmdArgs, { cwd, env, encoding: 'utf8', input, maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (!ok.includes(r.status)) {
    throw new Error(`\`${cmd} ${cmdArgs.join(' ')}\` exited ${r.status} (expected ${ok.join('/')})\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, ms };
}
/** Every `sfirt` command line the run executed (args after `sfirt`), to check the README against. */
const ran = new Set();
const npx = (cmdArgs, opts) => {
  if (cmdArgs[0] === 'sfirt') ran.add(JSON.stringify(cmdArgs.slice(1)));
  return run('npx', ['--no-install', ...cmdArgs], opts);
};
/** Splits a shell command line into words (single and double quotes; no escapes needed here). */
function shellWords(line) {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

async function step(name, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${err.message}`);
  }
}
function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Apparent size of a directory tree in bytes (symlinks not followed). */
function treeBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    total += st.isDirectory() ? treeBytes(p) : st.size;
  }
  return total;
}
/** Installed packages (scoped ones by full name, nested node_modules included in their parent) → bytes. */
function packageSizes(nodeModules) {
  const out = [];
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith('.')) continue;
    const p = join(nodeModules, name);
    if (name.startsWith('@')) for (const sub of readdirSync(p)) out.push([`${name}/${sub}`, treeBytes(join(p, sub))]);
    else out.push([name, treeBytes(p)]);
  }
  return out.sort((a, b) => b[1] - a[1]);
}
const mib = (b) => b / 2 ** 20;

let tarball;
await step('npm pack', () => {
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root });
  const [info] = JSON.parse(r.stdout);
  tarball = join(work, info.filename);
  const files = info.files.map((f) => f.path);
  for (const must of ['LICENSE', 'dist/cli/main.js', 'dist/require.cjs', 'schema/sfirt.schema.json', 'assembly/index.ts', 'templates/as/sfirt.json', 'guests/dist/hello.wasm', 'guests/_wit/wasi-0.2.0.wit', 'models/digits.onnx']) {
    expect(files.includes(must), `${must} is not in the package`);
  }
  expect(!files.some((f) => f.startsWith('bench/results/') || f.startsWith('test/') || f.startsWith('lib/')), 'tests, sources or bench results are in the package');
  return `${info.filename}, ${(info.size / 2 ** 20).toFixed(1)} MiB packed, ${info.entryCount} files`;
});

let installMib = Infinity;
await step('install the tarball into an empty app', () => {
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'e2e-app', private: true, type: 'module' }, null, 2)}\n`);
  const r = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
  expect(!/Unknown project config/.test(r.stderr), `npm warned: ${r.stderr}`);
  expect(!/ERESOLVE|peer dep/i.test(r.stderr), `npm warned about peer dependencies: ${r.stderr}`);
  const nm = join(app, 'node_modules');
  installMib = mib(treeBytes(nm));
  const top = packageSizes(nm).slice(0, 8).map(([n, b]) => `${n} ${mib(b).toFixed(1)}`).join(', ');
  console.log(`install_mib: ${installMib.toFixed(1)} (bar ${INSTALL_MIB_BAR}; largest: ${top}; npm install ${(r.ms / 1000).toFixed(1)} s)`);
  expect(installMib <= INSTALL_MIB_BAR, `install_mib ${installMib.toFixed(1)} is above ${INSTALL_MIB_BAR}`);
  for (const absent of ['onnxruntime-web', 'onnxruntime-node', 'assemblyscript', '@bytecodealliance/componentize-js', '@bytecodealliance/jco']) {
    expect(!existsSync(join(nm, absent)), `${absent} was installed although it is optional`);
  }
});

await step('npx sfirt --help', () => {
  const r = npx(['sfirt', '--help']);
  for (const c of ['new', 'build', 'inspect', 'types', 'call', 'serve', 'bench']) expect(r.stdout.includes(`  ${c} `), `--help lacks ${c}`);
});

await step('require(\'sfirt\') and the exports subpaths', () => {
  const cjs = run('node', ['-e', "const s = require('sfirt'); if (typeof s.createRuntime !== 'function') process.exit(3); console.log(Object.keys(s).length)"]);
  const esm = run('node', ['--input-type=module', '-e', [
    "import { existsSync } from 'node:fs';",
    "import { fileURLToPath } from 'node:url';",
    "for (const s of ['sfirt/guests/hello.wasm', 'sfirt/models/digits.onnx', 'sfirt/sfirt.schema.json', 'sfirt/assembly/index.ts'])",
    "  if (!existsSync(fileURLToPath(import.meta.resolve(s)))) { console.error('missing ' + s); process.exit(3); }",
  ].join('\n')]);
  return `require gives ${cjs.stdout.trim()} exports${esm.status === 0 ? '; subpaths resolve' : ''}`;
});

const fnDir = join(app, 'hello-fn');
await step('npm install -D assemblyscript (the build toolchain)', () => {
  const r = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', 'assemblyscript@^0.28.20']);
  return `${(r.ms / 1000).toFixed(1)} s; node_modules now ${mib(treeBytes(join(app, 'node_modules'))).toFixed(0)} MiB`;
});

await step('npx sfirt new hello-fn', () => {
  const r = npx(['sfirt', 'new', 'hello-fn']);
  for (const f of ['wit/world.wit', 'src/index.ts', 'sfirt.json', 'test/greet.test.mjs', 'README.md', 'package.json']) expect(existsSync(join(fnDir, f)), `${f} not created`);
  return r.stdout.split('\n')[0];
});

await step('npx sfirt build', () => {
  const r = npx(['sfirt', 'build'], { cwd: fnDir });
  expect(existsSync(join(fnDir, 'hello-fn.wasm')), 'no component');
  return r.stdout.trim();
});

await step('npx sfirt inspect: exports', () => {
  const r = npx(['sfirt', 'inspect', 'hello-fn.wasm'], { cwd: fnDir });
  expect(r.stdout.includes('greet: func(name: string) -> string'), r.stdout);
});

await step('npx sfirt inspect: a component with imports lists them with signatures', () => {
  const r = npx(['sfirt', 'inspect', 'node_modules/sfirt/guests/dist/kv.wasm']);
  expect(r.stdout.includes("sfirt:kv/store   (imports key 'sfirt:kv/store')"), r.stdout);
  expect(r.stdout.includes('get: func(key: string) -> option<string>'), r.stdout);
  expect(r.stdout.includes('log: func(level: u8, message: string)'), r.stdout);
});

await step('npx sfirt call prints the result as JSON', () => {
  const r = npx(['sfirt', 'call', 'hello-fn.wasm', 'greet', '"world"'], { cwd: fnDir });
  expect(r.stdout === '"Hello, world!"\n', JSON.stringify(r.stdout));
  return r.stdout.trim();
});

await step('npx sfirt call --fuel 10 exits non-zero with FUEL_EXHAUSTED', () => {
  const r = npx(['sfirt', 'call', 'hello-fn.wasm', 'greet', '"world"', '--fuel', '10'], { cwd: fnDir, ok: [30] });
  expect(/FUEL_EXHAUSTED/.test(r.stderr), r.stderr);
  return `exit ${r.status}: ${r.stderr.trim()}`;
});

await step('npx sfirt types, and the template\'s own test (npm test)', () => {
  npx(['sfirt', 'types', 'hello-fn.wasm'], { cwd: fnDir });
  expect(existsSync(join(fnDir, 'types', 'hello-fn.d.ts')), 'no declarations');
  const r = run('npm', ['test'], { cwd: fnDir });
  expect(/# pass 1/.test(r.stdout), r.stdout);
});

await step('wasi:nn without onnxruntime-web: BACKEND_UNAVAILABLE says how to install it', () => {
  const r = run('node', ['--input-type=module', '-e', [
    "import { createRuntime } from 'sfirt';",
    "const rt = createRuntime();",
    "try { await rt.load('c', new URL(import.meta.resolve('sfirt/guests/classifier.wasm'))); console.log('loaded?!'); }",
    "catch (e) { console.log(e.code + ': ' + e.message); } finally { rt.close(); }",
  ].join('\n')]);
  expect(r.stdout.startsWith('BACKEND_UNAVAILABLE') && r.stdout.includes('npm install onnxruntime-web'), r.stdout);
});

await step('sfirt serve sfirt.json answers 200', async () => {
  ran.add(JSON.stringify(['serve', 'sfirt.json'])); // as the README runs it, on a free port here
  const child = spawn(join(app, 'node_modules', '.bin', 'sfirt'), ['serve', 'sfirt.json', '--port', '0'], { cwd: fnDir, env });
  const exited = new Promise((resolve) => child.on('close', resolve));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening after 120 s: ${out}`)), 120_000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/\S+)[\s\S]*→/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}: ${out}`)); });
    });
    const res = await fetch(`${url}/greet`, { method: 'POST', body: 'http' });
    const text = await res.text();
    expect(res.status === 200 && text === 'Hello, http!', `${res.status} ${text}`);
    child.kill('SIGTERM');
    expect((await exited) === 0, `serve did not stop cleanly: ${out}`);
    return `POST /greet → ${res.status} ${JSON.stringify(text)}`;
  } finally {
    child.kill('SIGKILL');
  }
});

if (!args.includes('--skip-js')) {
  const jsDir = join(app, 'js-fn');
  await step('JavaScript: npm install -D componentize-js, sfirt new --lang js, build, call', () => {
    // What `sfirt new --lang js` tells the user to install (see COMPONENTIZE_JS in lib/guest/toolchain.ts).
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', '@bytecodealliance/componentize-js@^0.22.0', '@bytecodealliance/preview2-shim@^0.26.1']);
    npx(['sfirt', 'new', 'js-fn', '--lang', 'js']);
    const b = npx(['sfirt', 'build'], { cwd: jsDir });
    const r = npx(['sfirt', 'call', 'js-fn.wasm', 'greet', '"js"'], { cwd: jsDir });
    expect(r.stdout === '"Hello, js!"\n', JSON.stringify(r.stdout));
    const f = npx(['sfirt', 'call', 'js-fn.wasm', 'greet', '"js"', '--fuel', '10'], { cwd: jsDir, ok: [30] });
    return `${b.stdout.trim()}; fuel 10 → exit ${f.status}`;
  });
}

await step('every sfirt command of the README walkthrough ran here', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- walkthrough -->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'README.md has no walkthrough block');
  const commands = block.split('\n').map((l) => l.replace(/\s{2,}#.*$/, '').trim()).filter((l) => l.startsWith('npx sfirt '));
  expect(commands.length >= 6, `only ${commands.length} sfirt commands in the walkthrough`);
  const untested = commands.filter((c) => !ran.has(JSON.stringify(shellWords(c).slice(2))));
  expect(!untested.length, `not run by the e2e: ${untested.join(' | ')}`);
  return `${commands.length} commands`;
});

const failed = results.filter((r) => !r.ok).length;
if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
