/** `sfirt build`: builds the functions of sfirt.json that have a `build` section (or one guest from flags). */
import { existsSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { buildGuest, type GuestLanguage } from '../../guest/build.js';
import { readManifest } from '../../manifest/read.js';
import type { Command } from '../main.js';
import { parse, progress, str, UsageError } from '../usage.js';

export const command: Command = {
  summary: 'build components from AssemblyScript (sfirt\'s kit) or JavaScript (componentize-js)',
  help: `Usage: sfirt build [--manifest sfirt.json] [name...]
       sfirt build --lang as|js [--entry src/index.ts] [--wit wit] [--world w] [--out x.wasm]

With a manifest (./sfirt.json by default), builds every function that has a "build" section
(or the named ones) into its "source" file. Without one, builds the project in the current
directory from flags: wit/ (one .wit file) + src/index.ts (as) or src/index.js (js).

AssemblyScript guests import sfirt's kit (import { liftString, returnString } from "sfirt/assembly")
and leave cabi_realloc and the post-return functions to the build. JavaScript guests export one
function per WIT export. Needs assemblyscript or @bytecodealliance/componentize-js installed.

Options:
  --manifest <file>  the manifest (default ./sfirt.json)
  --lang <as|js>     build from flags instead of a manifest
  --entry <file>     entry file (default src/index.ts or src/index.js)
  --wit <path>       WIT file or directory (default wit)
  --world <name>     world (default: the only one)
  --out <file>       output (default <directory name>.wasm)`,
  async run(argv) {
    const p = parse(argv, {
      manifest: { type: 'string' }, lang: { type: 'string' }, entry: { type: 'string' },
      wit: { type: 'string' }, world: { type: 'string' }, out: { type: 'string' },
    }, { min: 0, max: Infinity });
    const lang = str(p, 'lang');
    const log = (line: string) => progress(line);
    if (lang !== undefined) {
      if (lang !== 'as' && lang !== 'js') throw new UsageError(`--lang must be as or js, got ${JSON.stringify(lang)}`);
      const out = str(p, 'out') ?? `${basename(process.cwd())}.wasm`;
      const r = await buildGuest({ lang: lang as GuestLanguage, entry: str(p, 'entry'), wit: str(p, 'wit'), world: str(p, 'world'), out, log });
      console.log(`built ${relative(process.cwd(), r.out)} (${(r.bytes / 1024).toFixed(1)} KiB, ${(r.ms / 1000).toFixed(1)} s)`);
      return 0;
    }
    const manifestPath = resolve(str(p, 'manifest') ?? 'sfirt.json');
    if (!existsSync(manifestPath)) throw new UsageError(`no ${relative(process.cwd(), manifestPath)} here: pass --manifest, or --lang to build from flags`);
    const manifest = readManifest(manifestPath);
    const wanted = p.positionals;
    const unknown = wanted.filter((n) => !(n in manifest.functions));
    if (unknown.length) throw new UsageError(`no function ${unknown.join(', ')} in ${manifestPath}`);
    const targets = Object.entries(manifest.functions).filter(([n, f]) => f.build && (!wanted.length || wanted.includes(n)));
    if (!targets.length) throw new UsageError(`no function in ${manifestPath} has a "build" section`);
    for (const [name, fn] of targets) {
      progress(`building ${name}`);
      const r = await buildGuest({ ...fn.build!, out: fn.source, projectDir: manifest.dir, log });
      console.log(`built ${name}: ${relative(process.cwd(), r.out)} (${(r.bytes / 1024).toFixed(1)} KiB, ${(r.ms / 1000).toFixed(1)} s)`);
    }
    return 0;
  },
};
