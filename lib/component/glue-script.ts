/**
 * Evaluating jco's glue from bytes the runtime holds, never from a path: the precompile cache
 * verifies an entry's bytes, and the glue that runs must be exactly those bytes (a file could
 * change between the check and an `import()` of its path).
 *
 * jco emits the glue as an ES module whose only module syntax is `export` in front of top-level
 * declarations. `toGlueScript` drops those keywords and wraps the text in a strict function
 * expression that returns `{ instantiate }`; evaluating that (indirect eval, with a `sourceURL`
 * so stack frames read `sfirt-cache/<key>/glue.js:<line>`, lines as in the stored file) is as fast
 * as importing the file and faster than a `data:` URL import, which re-parses a URL several times
 * the glue's size (measured: see lib/component/README.md). Glue that does not convert (V8 rejects
 * the script: another `import`/`export` form, `import.meta`, top-level `await`) is kept as a module
 * and imported from a `data:` URL of the same bytes; so is script glue when the process forbids
 * code generation from strings (`--disallow-code-generation-from-strings`).
 */

/** How stored glue is evaluated: a script expression (`toGlueScript`), or jco's module as is. */
export type GlueFormat = 'script' | 'module';

/** What the runtime uses of jco's glue (instantiation mode `sync`). */
export interface JcoGlue {
  instantiate(
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, object>,
    instantiateCore?: (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance,
  ): Record<string, unknown>;
}

/** `export ` before a top-level declaration: jco writes these at the start of a line. */
const EXPORT_DECLARATION = /^export (?=(?:async\s+)?function[\s*]|(?:const|let|var|class)\s)/gm;
const INSTANTIATE = /^export function instantiate\(/m;

/** Converts jco's module glue to the script form, or returns undefined when it does not convert. */
export function toGlueScript(esm: string): string | undefined {
  if (!INSTANTIATE.test(esm)) return undefined;
  // "use strict" shares the first line with the glue's own first line, so line numbers match.
  const script = `(function () {"use strict";${esm.replace(EXPORT_DECLARATION, '')}\nreturn { instantiate };\n})`;
  try {
    // Parses (lazily, as V8 does) without running anything: rejects what is left of module syntax.
    new Function(`return ${script}`);
  } catch {
    return undefined;
  }
  return script;
}

const indirectEval = globalThis.eval;
/**
 * Glue evaluated in this process, by format and text: loading the same component again reuses it,
 * as `import()` of the same file did (jco's `instantiate` keeps no state between calls).
 */
const evaluated = { script: new Map<string, Promise<JcoGlue>>(), module: new Map<string, Promise<JcoGlue>>() };

/**
 * Evaluates stored glue (already verified by the caller), once per process per text; `name` is
 * what stack frames show (the first evaluation's name).
 */
export function evaluateGlue(source: string, format: GlueFormat, name: string): Promise<JcoGlue> {
  const memo = evaluated[format];
  let glue = memo.get(source);
  if (!glue) {
    glue = evaluate(source, format, name);
    memo.set(source, glue);
    glue.catch(() => memo.delete(source));
  }
  return glue;
}

async function evaluate(source: string, format: GlueFormat, name: string): Promise<JcoGlue> {
  const sourceUrl = `\n//# sourceURL=${name}`;
  if (format === 'module') return (await import(dataUrl(source + sourceUrl))) as JcoGlue;
  let factory: () => JcoGlue;
  try {
    factory = indirectEval(source + sourceUrl) as () => JcoGlue;
  } catch (err) {
    if (!(err instanceof EvalError)) throw err;
    // Code generation from strings is disabled in this process: import the same bytes as a module.
    factory = ((await import(dataUrl(`export default ${source}${sourceUrl}`))) as { default: () => JcoGlue }).default;
  }
  return factory();
}

function dataUrl(source: string): string {
  return `data:text/javascript;base64,${Buffer.from(source).toString('base64')}`;
}
