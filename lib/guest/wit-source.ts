/**
 * Assembles the WIT text a guest is embedded with: its own world plus the shared packages it
 * uses but does not define (WASI 0.2.0 and `wasi:nn`, shipped in `guests/_wit/`). One text,
 * because jco's in-process wasm-tools reads WIT from a string (`witSource`) and cannot read a
 * directory (it runs without preopens).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root directory (dist/guest/ → ../../). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Shared WIT packages every guest may use: WASI 0.2.0, wasi:nn. */
export const SHARED_WIT_DIR = join(PACKAGE_ROOT, 'guests', '_wit');

/** The shared WIT files' texts. */
export function sharedWitTexts(dir = SHARED_WIT_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.wit')).sort().map((f) => readFileSync(join(dir, f), 'utf8'));
}

/**
 * A guest's own WIT: a `.wit` file, or a directory holding exactly one `.wit` file (a package
 * with its worlds; other packages go in nested `package ns:pkg { ... }` blocks).
 */
export function readOwnWit(path: string): string {
  if (!statSync(path).isDirectory()) return readFileSync(path, 'utf8');
  const files = readdirSync(path).filter((f) => f.endsWith('.wit'));
  if (files.length !== 1) {
    throw new Error(`${path}: expected one .wit file (found ${files.length}); put other packages in nested \`package ns:pkg { ... }\` blocks`);
  }
  return readFileSync(join(path, files[0]!), 'utf8');
}

/**
 * A shared WIT file as nested package blocks. A file written as one package (`package a:b;` then
 * items) is wrapped into `package a:b { ... }`, since a WIT source may declare only one top-level
 * package: the guest's own.
 */
function asNestedPackages(text: string): string {
  const declaration = /^(\s*(?:\/\/[^\n]*\n\s*)*)package\s+([^\s;{]+)\s*;/.exec(text);
  if (!declaration) return text;
  return `${declaration[1]}package ${declaration[2]} {${text.slice(declaration[0].length)}\n}\n`;
}

/** Splits nested-package WIT text into `package name { ... }` blocks (comments skipped for braces). */
function packageBlocks(text: string): { name: string; text: string }[] {
  const blocks: { name: string; text: string }[] = [];
  const header = /package\s+([^\s;{]+)\s*\{/g;
  let match: RegExpExecArray | null;
  while ((match = header.exec(text))) {
    let depth = 1;
    let i = header.lastIndex;
    while (depth > 0 && i < text.length) {
      const skipTo = text.startsWith('//', i) ? '\n' : text.startsWith('/*', i) ? '*/' : null;
      if (skipTo) {
        const end = text.indexOf(skipTo, i + 2);
        i = end < 0 ? text.length : end + skipTo.length;
        continue;
      }
      depth += text[i] === '{' ? 1 : text[i] === '}' ? -1 : 0;
      i++;
    }
    blocks.push({ name: match[1]!, text: text.slice(match.index, i) });
    header.lastIndex = i;
  }
  return blocks;
}

/**
 * One WIT source for `componentEmbed`: the guest's own WIT followed by the packages of the shared
 * WIT texts that it does not define itself (a guest may inline its own copy of, say,
 * `wasi:io@0.2.0`; defining a package twice is an error in wasm-tools).
 */
export function composeWit(own: string, sharedTexts: string[] = sharedWitTexts()): string {
  const defined = new Set(packageBlocks(own).map((b) => b.name));
  const shared: string[] = [];
  for (const text of sharedTexts) {
    for (const block of packageBlocks(asNestedPackages(text))) {
      if (!defined.has(block.name)) shared.push(block.text);
      defined.add(block.name);
    }
  }
  return [own, ...shared].join('\n');
}

/** The names of the worlds the top-level package of `own` declares. */
export function worldNames(own: string): string[] {
  // Nested package blocks may declare worlds too: drop them before looking.
  let top = own;
  for (const block of packageBlocks(own)) top = top.replace(block.text, '');
  return [...top.matchAll(/^\s*world\s+([\w-]+)\s*\{/gm)].map((m) => m[1]!);
}
