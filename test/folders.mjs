// The folder graph of lib/: folder A → folder B when a file directly in lib/A/ (or deeper) imports
// one under lib/B/ (each file directly in lib/ is a node of its own). Used by test/layout.test.mjs to
// keep the folders a layered picture of the pipeline (no folder-level import cycle); run directly
// it prints the graph and any cycle: node test/folders.mjs
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const lib = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'lib');

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Top-level folder of a file under lib/. A file directly in lib/ is a node of its own: errors.ts
 * and options.ts sit below every folder, runtime.ts and index.ts above them all.
 */
const folderOf = (file) => { const parts = relative(lib, file).split('/'); return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '.ts'); };

/** Edges folder → Map(folder → first importing file → imported file), value imports and `import type` alike. */
export function folderGraph() {
  const edges = new Map();
  for (const file of walk(lib)) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'));
      const a = folderOf(file), b = folderOf(target);
      if (a === b || !target.startsWith(lib)) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      if (!edges.get(a).has(b)) edges.get(a).set(b, `${relative(lib, file)} → ${relative(lib, target)}`);
    }
  }
  return edges;
}

/** Every elementary cycle's first occurrence found by DFS, as a list of "a → b (file → file)" steps. */
export function folderCycles(edges = folderGraph()) {
  const cycles = [];
  const state = new Map(); // 1 on the stack, 2 done
  const stack = [];
  const visit = (a) => {
    state.set(a, 1);
    stack.push(a);
    for (const [b] of edges.get(a) ?? []) {
      if (state.get(b) === 1) {
        const loop = stack.slice(stack.indexOf(b)).concat(b);
        cycles.push(loop.slice(1).map((to, i) => `${loop[i]} → ${to} (${edges.get(loop[i]).get(to)})`));
      } else if (!state.has(b)) visit(b);
    }
    stack.pop();
    state.set(a, 2);
  };
  for (const a of [...edges.keys()].sort()) if (!state.has(a)) visit(a);
  return cycles;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const edges = folderGraph();
  for (const [a, bs] of [...edges].sort()) console.log(`${a} → ${[...bs.keys()].sort().join(', ')}`);
  const cycles = folderCycles(edges);
  console.log(cycles.length ? `\n${cycles.length} cycle(s):\n${cycles.map((c) => '  ' + c.join('\n    ')).join('\n')}` : '\nno folder-level cycle');
  process.exitCode = cycles.length ? 1 : 0;
}
