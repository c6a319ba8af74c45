/**
 * `sfirt build`: one guest from its sources to a component. AssemblyScript guests compile with
 * `asc` and sfirt's canonical-ABI kit, then are embedded with their WIT world and wrapped into a
 * component (jco's wasm-tools); JavaScript guests go through componentize-js.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { compileAssemblyScript, kitAppendix, usesKit } from './assemblyscript.js';
import { componentFromCore, expectedCoreExports } from './component.js';
import { componentFromJs } from './javascript.js';
import { composeWit, readOwnWit, worldNames } from './wit-source.js';

/** Source languages `sfirt build` knows. */
export type GuestLanguage = 'as' | 'js';

/** What to build (paths absolute or relative to `projectDir`). */
export interface GuestBuild {
  lang: GuestLanguage;
  /** Entry file (default `src/index.ts` for `as`, `src/index.js` for `js`). */
  entry?: string;
  /** WIT file, or a directory with one `.wit` file (default `wit`). */
  wit?: string;
  /** World to build (default: the only world the WIT declares). */
  world?: string;
  /** Output component. */
  out: string;
  /** Directory the other paths are relative to (default: the current directory). */
  projectDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** Writes via a temporary file and a rename, so a reader never sees half a component. */
function writeAtomic(file: string, data: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Builds one guest; resolves to the output path and size. */
export async function buildGuest(spec: GuestBuild): Promise<{ out: string; bytes: number; ms: number }> {
  const t0 = performance.now();
  const log = spec.log ?? (() => {});
  const dir = resolve(spec.projectDir ?? '.');
  const entry = resolve(dir, spec.entry ?? (spec.lang === 'js' ? 'src/index.js' : 'src/index.ts'));
  const witPath = resolve(dir, spec.wit ?? 'wit');
  const out = resolve(dir, spec.out);
  if (!existsSync(entry)) throw new Error(`entry file ${entry} does not exist`);
  if (!existsSync(witPath)) throw new Error(`WIT ${witPath} does not exist`);
  const own = readOwnWit(witPath);
  const worlds = worldNames(own);
  const world = spec.world ?? (worlds.length === 1 ? worlds[0]! : undefined);
  if (!world) throw new Error(`${witPath} declares ${worlds.length ? `worlds ${worlds.join(', ')}` : 'no world'}: name one with "world"`);
  const witSource = composeWit(own);
  let component: Uint8Array;
  if (spec.lang === 'as') {
    log(`asc ${entry} (world ${world})`);
    const expected = await expectedCoreExports(witSource, world);
    const source = readFileSync(entry, 'utf8');
    const core = await compileAssemblyScript(entry, usesKit(source) ? kitAppendix(source, expected) : '');
    log('componentNew');
    component = await componentFromCore(core, witSource, world, expected);
  } else if (spec.lang === 'js') {
    log(`componentize-js ${entry} (world ${world}; 20-60 s)`);
    component = await componentFromJs(entry, witSource, world, own, dir);
  } else {
    throw new Error(`unknown language ${String(spec.lang)} (as, js)`);
  }
  writeAtomic(out, component);
  return { out, bytes: component.length, ms: performance.now() - t0 };
}
