// Shared by the fast-glue tests: jco's own glue for the same component (the reference), a
// comparable record of what a call produced, and a seeded PRNG.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const tmp = mkdtempSync(join(tmpdir(), 'sfirt-fast-jco-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let jco;

/**
 * jco's glue for `bytes`, as emitted (`instantiation: sync`): returns `(imports) => exports`,
 * with the transpiled files on `.files`.
 */
export async function jcoInstantiator(bytes, name) {
  jco ??= await import('@bytecodealliance/jco');
  const out = await jco.transpile(bytes, { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true });
  const file = join(tmp, `${name}.mjs`);
  writeFileSync(file, out.files['component.js']);
  const modules = new Map();
  for (const [f, content] of Object.entries(out.files)) if (f.endsWith('.wasm')) modules.set(f, new WebAssembly.Module(content));
  const { instantiate } = await import(pathToFileURL(file).href);
  const instantiator = (imports) => instantiate((n) => modules.get(n), imports);
  instantiator.files = out.files;
  return instantiator;
}

/** What a call produced, comparable across the two glues (`withMessage`: also other errors' messages). */
export function outcome(f, { withMessage = false } = {}) {
  try {
    return { ok: f() };
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) return { threw: 'trap', message: err.message };
    if (err && Object.prototype.hasOwnProperty.call(err, 'payload')) return { threw: 'ComponentError', payload: err.payload };
    const kind = { threw: err?.constructor?.name ?? typeof err };
    return withMessage ? { ...kind, message: err?.message } : kind;
  }
}

/** xorshift32 in [0, 1), seeded. */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

export const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
