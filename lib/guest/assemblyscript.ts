/**
 * Compiles an AssemblyScript guest to a core module in-process with `asc`'s API. A guest that
 * uses sfirt's kit (`import ... from "sfirt/assembly"`) gets the canonical-ABI exports it leaves
 * out written for it: `cabi_realloc` and every `cabi_post_*` the world calls for, each releasing
 * the call's memory (`assembly/cabi.ts`). So a guest only writes its functions.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { PACKAGE_ROOT } from './wit-source.js';
import { asIdentifier, type ExpectedExport } from './component.js';
import { ASSEMBLYSCRIPT, importToolchain } from './toolchain.js';

/**
 * Options every guest is compiled with: optimised, the TLSF allocator without automatic GC
 * (`minimal`), and `abort=` so a failed assertion is a plain `unreachable` trap instead of an
 * `env.abort` import.
 */
export const ASC_OPTIONS = ['-O3', '--runtime', 'minimal', '--use', 'abort='];

/** How guests import the kit. */
export const KIT_SPECIFIER = 'sfirt/assembly';
/** Where the kit's sources are. */
export const KIT_DIR = join(PACKAGE_ROOT, 'assembly');

interface AscApi {
  main(argv: string[], options: {
    readFile(name: string, baseDir: string): Promise<string | null>;
    writeFile(name: string, contents: Uint8Array): void;
    listFiles(): string[];
    stdout: { write(chunk: unknown): void };
    stderr: { write(chunk: unknown): void };
  }): Promise<{ error?: Error | null }>;
}

let ascPromise: Promise<AscApi> | undefined;

/** True when the entry source imports sfirt's AssemblyScript kit. */
export function usesKit(source: string): boolean {
  return new RegExp(`from\\s+["']${KIT_SPECIFIER}(?:/[\\w-]+)?["']`).test(source);
}

/**
 * The AS source appended to an entry that uses the kit: `cabi_realloc` and the post-return
 * functions of `expected` that the entry does not define itself, each freeing the call's memory.
 */
export function kitAppendix(entrySource: string, expected: ExpectedExport[]): string {
  // Exported by the entry itself: `export function NAME` or `export { …NAME… }` (comments do not count).
  const code = entrySource.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const defines = (name: string) => new RegExp(`export\\s+function\\s+${name}\\b|export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`).test(code);
  const lines = ['', '// --- added by `sfirt build`: canonical-ABI exports the guest leaves to the kit ---'];
  lines.push(`import { releaseCallMemory as __sfirt_release } from "${KIT_SPECIFIER}/cabi";`);
  if (!defines('cabi_realloc')) lines.push(`export { cabi_realloc } from "${KIT_SPECIFIER}/cabi";`);
  for (const { name, postReturn } of expected) {
    if (!postReturn) continue;
    const asName = asIdentifier(name);
    if (defines(asName)) continue;
    const params = postReturn.params.map((t, i) => `_r${i}: ${t}`).join(', ');
    lines.push(`export function ${asName}(${params}): void { __sfirt_release(); }`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Compiles `entry` (an absolute path) and returns the core module bytes; throws with asc's
 * diagnostics. `appendix` is AS source added to the end of the entry file. Imports of
 * `sfirt/assembly/*` resolve to this sfirt's kit wherever the project is.
 */
export async function compileAssemblyScript(entry: string, appendix = ''): Promise<Uint8Array> {
  ascPromise ??= importToolchain<{ default: AscApi }>(ASSEMBLYSCRIPT, dirname(entry)).then((m) => m.default);
  ascPromise.catch(() => { ascPromise = undefined; });
  const asc = await ascPromise;
  const outFile = 'guest.wasm';
  const files = new Map<string, Uint8Array>();
  const stderr: string[] = [];
  const entryPath = resolve(entry);
  const kitMarker = `${sep}node_modules${sep}${KIT_SPECIFIER.split('/').join(sep)}${sep}`;
  const { error } = await asc.main([basename(entry), '--baseDir', dirname(entry), '--outFile', outFile, ...ASC_OPTIONS], {
    readFile: async (name, baseDir) => {
      let path = resolve(baseDir, name);
      // asc looks for packages in every node_modules up from the entry: serve the kit from here.
      const kit = path.indexOf(kitMarker);
      if (kit >= 0) path = join(KIT_DIR, path.slice(kit + kitMarker.length));
      try {
        const text = await readFile(path, 'utf8');
        return path === entryPath ? text + appendix : text;
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
