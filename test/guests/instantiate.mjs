// Test helper: turns a built guest component into live instances through jco's sync
// instantiation, keeping a handle on each core instance so tests can inspect linear memory.
import { transpile } from '@bytecodealliance/jco';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const distDir = join(root, 'guests', 'dist');
const outDir = mkdtempSync(join(tmpdir(), 'sfirt-guests-'));

/**
 * Transpiles guests/dist/<name>.wasm once and returns `instantiate(imports?)`, which makes a new
 * instance: `{ exports, memory() }` where `memory()` is the core instance's WebAssembly.Memory.
 * `instantiate.dir` is where the transpiled files are (see `instantiateFrom`).
 */
export async function loadGuest(name) {
  const bytes = readFileSync(join(distDir, `${name}.wasm`));
  const { files } = await transpile(bytes, { name, instantiation: { tag: 'sync' } });
  const dir = join(outDir, name);
  for (const [file, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), contents);
  }
  const instantiate = await instantiateFrom(dir, name);
  instantiate.dir = dir;
  return instantiate;
}

/** Like `loadGuest`, from files already transpiled into `dir` (e.g. inside a worker, without jco). */
export async function instantiateFrom(dir, name) {
  const modules = new Map();
  const glue = await import(pathToFileURL(join(dir, `${name}.js`)).href);
  const module = (file) => {
    if (!modules.has(file)) modules.set(file, new WebAssembly.Module(readFileSync(join(dir, file))));
    return modules.get(file);
  };
  return function instantiate(imports = {}) {
    const cores = [];
    const exports = glue.instantiate(module, imports, (coreModule, moduleImports) => {
      const instance = new WebAssembly.Instance(coreModule, moduleImports);
      cores.push(instance);
      return instance;
    });
    const memory = () => cores.map((c) => Object.values(c.exports).find((e) => e instanceof WebAssembly.Memory)).find(Boolean);
    return { exports, memory };
  };
}
