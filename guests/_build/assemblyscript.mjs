// Compiles an AssemblyScript entry file to a core module in-process with `asc`'s API.
import { readFile } from 'node:fs/promises';
import { dirname, basename, resolve } from 'node:path';

/**
 * Options every guest is compiled with: optimised, the TLSF allocator without automatic GC
 * (`minimal`), and `abort=` so a failed assertion is a plain `unreachable` trap instead of an
 * `env.abort` import.
 */
export const ASC_OPTIONS = ['-O3', '--runtime', 'minimal', '--use', 'abort='];

let ascPromise;

/** Compiles `entry` (an absolute path) and returns the core module bytes; throws with asc's diagnostics. */
export async function compileAssemblyScript(entry) {
  ascPromise ??= import('assemblyscript/asc').then((m) => m.default);
  const asc = await ascPromise;
  const outFile = 'guest.wasm';
  const files = new Map();
  const stderr = [];
  const { error } = await asc.main([basename(entry), '--baseDir', dirname(entry), '--outFile', outFile, ...ASC_OPTIONS], {
    readFile: async (name, baseDir) => {
      try {
        return await readFile(resolve(baseDir, name), 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name, contents) => files.set(name, contents),
    listFiles: () => [],
    stdout: { write() {} },
    stderr: { write: (chunk) => stderr.push(String(chunk)) },
  });
  const binary = files.get(outFile);
  if (error || !binary) {
    throw new Error(`asc failed for ${entry}:\n${stderr.join('').trim() || error?.message}`);
  }
  return binary;
}
