/** `sfirt inspect <component>`: world, exports with signatures, imports to provide, glue. */
import { readFile } from 'node:fs/promises';
import { describeComponent, type ComponentDescription } from '../../component/describe.js';
import type { Command } from '../main.js';
import { flag, parse, terminalSafe } from '../usage.js';

const PROVIDERS = {
  wasi: 'WASI: provided by sfirt, deny by default (grant with the `wasi` option, or --dir/--env on `sfirt call`)',
  'wasi:nn': 'wasi:nn: provided by sfirt (register models with createRuntime({ nn: { models } }); engine: onnxruntime-web)',
  'wasi:http': 'wasi:http: provided by sfirt (outgoing requests denied unless allowed: wasiHttpImports({ outgoing }))',
  app: 'must be provided by you: runtime.load(name, source, { imports: { \'<key>\': { ... } } })',
} as const;

/** Text report of a description. */
export function formatDescription(path: string, d: ComponentDescription): string {
  const out: string[] = [`component ${path}`, ''];
  out.push(`exports (call with fn.call('<name>', ...args)):`);
  if (!d.exports.length) out.push('  (none)');
  for (const e of d.exports) out.push(`  ${e.name}: ${e.signature}`);
  const byProvider = (p: keyof typeof PROVIDERS) => d.imports.filter((i) => i.provider === p);
  const app = byProvider('app');
  out.push('', `imports (${d.imports.length}):`);
  if (!d.imports.length) out.push('  (none)');
  for (const p of ['app', 'wasi:http', 'wasi:nn', 'wasi'] as const) {
    const list = byProvider(p);
    if (!list.length) continue;
    out.push(`  ${PROVIDERS[p]}`);
    for (const i of list) {
      const showFunctions = p !== 'wasi';
      out.push(`    ${i.id}${p === 'app' ? `   (imports key '${i.key}')` : ''}${!showFunctions && i.functions.length ? `: ${i.functions.length} functions` : ''}`);
      if (!showFunctions) continue;
      for (const r of i.resources) out.push(`      resource ${r}`);
      for (const f of i.functions) out.push(`      ${f.name}: ${f.signature}${p === 'app' ? `   → ${f.jsName}` : ''}`);
    }
  }
  if (d.types.length) {
    out.push('', 'types:');
    for (const t of d.types) out.push(`  ${t}`);
  }
  out.push('', `glue: ${d.glue.kind}${d.glue.kind === 'fast' ? " (sfirt's own canonical-ABI bindings)" : ` (jco's generated bindings; the fast glue does not support this component: ${d.glue.reason})`}`);
  if (app.length) out.push('', `to load it, provide: ${app.map((i) => `'${i.key}'`).join(', ')}`);
  return out.join('\n');
}

export const command: Command = {
  summary: 'show a component\'s exports, the imports it needs (with signatures) and its glue',
  help: `Usage: sfirt inspect <component.wasm> [--json] [--wit]

Reads the component without running it: its exports with WIT signatures (the names fn.call()
takes), its imports grouped by who provides them (sfirt's WASI, wasi:nn and wasi:http hosts, or
you, through the \`imports\` option of runtime.load), the named types they use, and which bindings
(sfirt's fast glue or jco's) it will run on and why.

Options:
  --json   print the description as JSON
  --wit    print the component's world as WIT instead`,
  async run(argv) {
    const p = parse(argv, { json: { type: 'boolean' }, wit: { type: 'boolean' } }, { min: 1, max: 1 });
    const path = p.positionals[0]!;
    const d = await describeComponent(new Uint8Array(await readFile(path)), path);
    // What comes from the component goes to the terminal through terminalSafe (JSON escapes its own).
    if (flag(p, 'wit')) console.log(terminalSafe(d.wit.trimEnd()));
    else if (flag(p, 'json')) {
      const strip = (f: { resolved?: unknown }) => ({ ...f, resolved: undefined });
      console.log(JSON.stringify({ ...d, exports: d.exports.map(strip), imports: d.imports.map((i) => ({ ...i, functions: i.functions.map(strip) })) }, null, 2));
    } else console.log(terminalSafe(formatDescription(path, d)));
    return 0;
  },
};
