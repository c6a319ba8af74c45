#!/usr/bin/env node
// Builds guests/dist/http-hello.wasm. Kept apart from guests/build.mjs for now: that build maps an
// interface export to `wasi:http/incoming-handler@0.2#handle` (the cm32p2 mangling drops the patch
// version), which wasm-tools then cannot find in a world exporting `...@0.2.0`. Once that is fixed,
// renaming handler.ts → index.ts and http-hello.wit → world.wit makes this an ordinary guest.
// Usage: node guests/http-hello/build.mjs
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAssemblyScript } from '../_build/assemblyscript.mjs';
import { renameCoreExports } from '../_build/core-exports.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const EXPORTS = {
  wasi_http_incoming_handler_handle: 'wasi:http/incoming-handler@0.2.0#handle',
  cabi_realloc: 'cabi_realloc',
  memory: 'memory',
};

export async function buildHttpHello(outFile = join(here, '..', 'dist', 'http-hello.wasm')) {
  const t0 = performance.now();
  const core = await compileAssemblyScript(join(here, 'handler.ts'));
  const renamed = renameCoreExports(core, (name) => {
    if (!(name in EXPORTS)) throw new Error(`http-hello: unexpected export ${name}`);
    return EXPORTS[name];
  });
  const witSource = readFileSync(join(here, 'http-hello.wit'), 'utf8') + '\n' + readFileSync(join(here, '..', '_wit', 'wasi-0.2.0.wit'), 'utf8');
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco');
  const embedded = await componentEmbed({ binary: renamed, witSource, world: 'http-hello' });
  const bytes = await componentNew(embedded);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(`${outFile}.${process.pid}.tmp`, bytes);
  renameSync(`${outFile}.${process.pid}.tmp`, outFile);
  console.error(`built guest http-hello ${(bytes.length / 1024).toFixed(1)} KiB (${(performance.now() - t0).toFixed(0)} ms)`);
  return outFile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildHttpHello();
