/**
 * The parts of jco the runtime and the CLI use, from `@bytecodealliance/jco-transpile` (jco's
 * transpiler and wasm-tools without the jco CLI's toolchain: componentize-js, rolldown,
 * TypeScript). Each loader imports on first use: importing compiles jco's own wasm (~100 ms), and
 * a cache hit never needs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const JCO_TRANSPILE = '@bytecodealliance/jco-transpile';

type Transpiler = typeof import('@bytecodealliance/jco-transpile');
type WasmTools = typeof import('@bytecodealliance/jco-transpile/wasm-tools');

let transpilerModule: Promise<Transpiler> | undefined;
let wasmToolsModule: Promise<WasmTools> | undefined;

/** `transpileBytes`, `generateHostTypes`, ... */
export function transpiler(): Promise<Transpiler> {
  transpilerModule ??= import(JCO_TRANSPILE);
  return transpilerModule;
}

/** `componentWit`, `componentNew`, `componentEmbed`, `parse`, `print`. */
export function wasmTools(): Promise<WasmTools> {
  wasmToolsModule ??= import(`${JCO_TRANSPILE}/wasm-tools`);
  return wasmToolsModule;
}

let versionMemo: string | undefined;
/** The installed jco-transpile version (its glue changes between versions). */
export function jcoTranspileVersion(): string {
  if (!versionMemo) {
    // Its `exports` map hides package.json: walk up from the entry point.
    let dir = dirname(fileURLToPath(import.meta.resolve(JCO_TRANSPILE)));
    while (!existsSync(join(dir, 'package.json')) && dir !== dirname(dir)) dir = dirname(dir);
    versionMemo = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  }
  return versionMemo;
}
