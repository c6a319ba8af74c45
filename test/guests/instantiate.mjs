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
 */
export async function loadGuest(name) {
  const bytes = readFileSync(join(distDir, `${name}.wasm`));
  const { files } = await transpile(bytes, { name, instantiation: { tag: 'sync' } });
  const modules = new Map();
  for (const [file, contents] of Object.entries(files)) {
    const path = join(outDir, name, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, contents);
    if (file.endsWith('.wasm')) modules.set(file, new WebAssembly.Module(contents));
  }
  const glue = await import(pathToFileURL(join(outDir, name, `${name}.js`)).href);
  return function instantiate(imports = {}) {
    const cores = [];
    const exports = glue.instantiate((file) => modules.get(file), imports, (module, moduleImports) => {
      const instance = new WebAssembly.Instance(module, moduleImports);
      cores.push(instance);
      return instance;
    });
    const memory = () => cores.map((c) => Object.values(c.exports).find((e) => e instanceof WebAssembly.Memory)).find(Boolean);
    return { exports, memory };
  };
}
