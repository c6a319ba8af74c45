// Assembles the WIT text a guest is embedded with: its own world.wit plus shared packages.

/**
 * A shared WIT file as nested package blocks. A file written as one package (`package a:b;` then
 * items) is wrapped into `package a:b { ... }`, since a WIT source may declare only one top-level
 * package: the guest's own.
 */
function asNestedPackages(text) {
  const declaration = /^(\s*(?:\/\/[^\n]*\n\s*)*)package\s+([^\s;{]+)\s*;/.exec(text);
  if (!declaration) return text;
  return `${declaration[1]}package ${declaration[2]} {${text.slice(declaration[0].length)}\n}\n`;
}

/** Splits nested-package WIT text into `package name { ... }` blocks (comments skipped for braces). */
function packageBlocks(text) {
  const blocks = [];
  const header = /package\s+([^\s;{]+)\s*\{/g;
  let match;
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
    blocks.push({ name: match[1], text: text.slice(match.index, i) });
    header.lastIndex = i;
  }
  return blocks;
}

/**
 * One WIT source for `componentEmbed`: the guest's world.wit followed by the packages of the
 * shared WIT texts (guests/_wit/*.wit) that it does not define itself (a guest may inline its own
 * copy of, say, `wasi:io@0.2.0`; defining a package twice is an error in wasm-tools).
 */
export function composeWit(own, sharedTexts) {
  const defined = new Set(packageBlocks(own).map((b) => b.name));
  const shared = [];
  for (const text of sharedTexts) {
    for (const block of packageBlocks(asNestedPackages(text))) {
      if (!defined.has(block.name)) shared.push(block.text);
      defined.add(block.name);
    }
  }
  return [own, ...shared].join('\n');
}
