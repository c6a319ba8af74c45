#!/usr/bin/env node
// Builds guests/http-hello/js/http-hello-js.wasm: the same kind of service written as a plain
// `addEventListener('fetch', ...)` JS handler and componentized with componentize-js
// (StarlingMonkey), the toolchain Spin's JS SDK uses. It targets wasi:http/proxy@0.2.10 (the
// version StarlingMonkey in componentize-js 0.22 exports). ~14 MB, ~100 s to build, so it is not
// part of the default guest build; the test that uses it skips when it is absent.
// Usage: node guests/http-hello/js/build.mjs
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const JS_GUEST = join(here, 'http-hello-js.wasm');
const VERSION = '0.2.10';

/** jco's package directory (its `exports` map hides package.json, so walk up from its entry). */
function jcoRoot() {
  let dir = dirname(fileURLToPath(import.meta.resolve('@bytecodealliance/jco')));
  while (!existsSync(join(dir, 'lib', 'wit', 'builtin'))) {
    if (dir === dirname(dir)) throw new Error('cannot find jco\'s bundled WASI WIT files');
    dir = dirname(dir);
  }
  return dir;
}

/** The proxy world plus the WASI packages it needs, as one WIT text (nested packages). */
function proxyWorld() {
  // jco ships WASI 0.2.12 WIT; StarlingMonkey here exports 0.2.10, and the subset used is identical.
  const base = join(jcoRoot(), 'lib/wit/builtin/0.2.12');
  const nested = ['io', 'clocks', 'random', 'cli', 'http'].map((d) => {
    let text = readFileSync(join(base, `wasi-${d}`, 'package.wit'), 'utf8').replaceAll('@0.2.12', `@${VERSION}`);
    // Worlds of the dependencies pull in filesystem and sockets, which the proxy world does not use.
    if (d !== 'http') text = text.replace(/^world [\w-]+ \{[\s\S]*?^\}/gm, '');
    return text.replace(/^package ([^;]+);/m, 'package $1 {') + '\n}\n';
  }).join('\n');
  return `package sfirt:http-hello-js;\nworld http-hello-js {\n  include wasi:http/proxy@${VERSION};\n}\n${nested}`;
}

export async function buildJsGuest(outFile = JS_GUEST) {
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const t0 = performance.now();
  // componentize-js reads the source through its own WASI view of the current directory.
  const { component } = await componentize({ sourcePath: relative(process.cwd(), join(here, 'app.js')), witWorld: proxyWorld(), worldName: 'http-hello-js' });
  writeFileSync(`${outFile}.tmp`, component);
  renameSync(`${outFile}.tmp`, outFile);
  console.error(`built http-hello-js ${(component.length / 2 ** 20).toFixed(1)} MiB (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return outFile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildJsGuest();
