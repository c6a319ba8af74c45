/** `sfirt new <dir>`: a function project from a template (WIT, source, manifest, test, README). */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../guest/wit-source.js';
import { ASSEMBLYSCRIPT, COMPONENTIZE_JS } from '../../guest/toolchain.js';
import type { Command } from '../main.js';
import { parse, str, UsageError } from '../usage.js';

const TEMPLATES = join(PACKAGE_ROOT, 'templates');

/** A WIT identifier from a directory name: lowercase words joined by `-`, starting with a letter. */
export function witName(dirName: string): string {
  const words = dirName.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const name = words.join('-');
  if (!/^[a-z]/.test(name)) throw new UsageError(`cannot make a WIT name from ${JSON.stringify(dirName)}: use --name with a lowercase name starting with a letter`);
  return name;
}

function copyTemplate(from: string, to: string, vars: Record<string, string>, written: string[]): void {
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    // npm drops `.gitignore` from packages, so the template carries it without the dot.
    const dst = join(to, entry === 'gitignore' ? '.gitignore' : entry);
    if (statSync(src).isDirectory()) {
      mkdirSync(dst, { recursive: true });
      copyTemplate(src, dst, vars, written);
    } else {
      writeFileSync(dst, readFileSync(src, 'utf8').replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m));
      written.push(dst);
    }
  }
}

export const command: Command = {
  summary: 'create a function project: WIT, source, sfirt.json, a test and a README',
  help: `Usage: sfirt new <dir> [--lang as|js] [--name <name>]

Creates <dir> with wit/world.wit (a greet function), the source (src/index.ts in AssemblyScript
with sfirt's kit, or src/index.js for componentize-js), sfirt.json (limits, pool, an HTTP route),
test/greet.test.mjs and a README. Then: cd <dir> && npx sfirt build.

Building needs the language's compiler (optional dependencies of sfirt):
  --lang as (default)  npm install -D assemblyscript
  --lang js            npm install -D @bytecodealliance/componentize-js @bytecodealliance/preview2-shim

Options:
  --lang <as|js>   source language (default as)
  --name <name>    the function's name (default: from <dir>)`,
  async run(argv) {
    const p = parse(argv, { lang: { type: 'string' }, name: { type: 'string' } }, { min: 1, max: 1 });
    const dir = resolve(p.positionals[0]!);
    const lang = str(p, 'lang') ?? 'as';
    if (lang !== 'as' && lang !== 'js') throw new UsageError(`--lang must be as or js, got ${JSON.stringify(lang)}`);
    const name = witName(str(p, 'name') ?? basename(dir));
    if (existsSync(dir) && readdirSync(dir).length) throw new UsageError(`${dir} exists and is not empty`);
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    copyTemplate(join(TEMPLATES, lang), dir, { name }, written);
    const rel = relative(process.cwd(), dir) || '.';
    const tool = (lang === 'as' ? ASSEMBLYSCRIPT : COMPONENTIZE_JS).install;
    console.log(`created ${rel}/ (${lang === 'as' ? 'AssemblyScript' : 'JavaScript'} function "${name}"):`);
    for (const f of written) console.log(`  ${relative(dir, f)}`);
    console.log(`\nnext:\n  npm install -D ${tool}   # once, to build\n  cd ${rel}\n  npx sfirt build\n  npx sfirt call ${name}.wasm greet '"world"'`);
    return 0;
  },
};
