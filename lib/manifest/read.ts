/**
 * Reads and validates `sfirt.json` against its JSON Schema (Ajv; errors point at the field:
 * `functions.greeter.limits.fuel must be integer,null`), checks what the schema cannot (routes
 * name functions that exist), and makes every path absolute.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { InvalidManifestError } from './errors.js';
import type { Manifest, ManifestFunction } from './types.js';

/** The shipped schema file. */
export const MANIFEST_SCHEMA_PATH = new URL('../../schema/sfirt.schema.json', import.meta.url);

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(MANIFEST_SCHEMA_PATH, 'utf8')) as object;
    // Ajv is loaded with the first manifest, not with sfirt (~1.3 MB of heap every process paid).
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    validator = new Ajv({ allErrors: true, strict: true }).compile(schema);
  }
  return validator;
}

/** `/functions/greeter/limits/fuel` → `functions.greeter.limits.fuel`. */
function fieldOf(e: ErrorObject): string {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'additionalProperties') path.push(String((e.params as { additionalProperty: string }).additionalProperty));
  return path.join('.') || '(top level)';
}

function describeError(e: ErrorObject): string {
  const field = fieldOf(e);
  if (e.keyword === 'additionalProperties') return `${field} is not a known field`;
  if (e.keyword === 'enum') return `${field} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${field} ${e.message ?? 'is invalid'}`;
}

/** Reads a manifest. @throws InvalidManifestError naming the file and the first offending field(s). */
export function readManifest(path: string): Manifest {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidManifestError(file, '(file)', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InvalidManifestError(file, '(file)', `${path} is not JSON: ${(err as Error).message}`);
  }
  const check = validate();
  if (!check(data)) {
    // oneOf failures repeat the branch errors; keep the most specific ones, in order.
    const errors = (check.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
    const first = errors[0] ?? check.errors![0]!;
    const all = [...new Set(errors.map(describeError))];
    throw new InvalidManifestError(file, fieldOf(first), `${path}: ${all.slice(0, 5).join('; ')}${all.length > 5 ? ` (and ${all.length - 5} more)` : ''}`);
  }
  const raw = data as Omit<Manifest, 'path' | 'dir' | 'routes' | 'server'> & Partial<Pick<Manifest, 'routes' | 'server'>>;
  const dir = dirname(file);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const functions: Record<string, ManifestFunction> = {};
  for (const [name, fn] of Object.entries(raw.functions)) {
    const preopens = fn.wasi?.preopens && Object.fromEntries(Object.entries(fn.wasi.preopens).map(([guest, grant]) => [
      guest, typeof grant === 'string' ? abs(grant) : { ...grant, hostPath: abs(grant.hostPath) },
    ]));
    functions[name] = { ...fn, source: abs(fn.source), ...(fn.wasi ? { wasi: { ...fn.wasi, ...(preopens ? { preopens } : {}) } } : {}) };
  }
  const routes = raw.routes ?? [];
  routes.forEach((r, i) => {
    // Own names only: `in` also finds `toString`, `constructor`… on Object.prototype.
    if (!Object.hasOwn(functions, r.function)) {
      throw new InvalidManifestError(file, `routes.${i}.function`, `${path}: routes.${i}.function names "${r.function}", which is not in functions (${Object.keys(functions).join(', ') || 'none'})`);
    }
  });
  const nn = raw.nn && { ...raw.nn, ...(raw.nn.models ? { models: Object.fromEntries(Object.entries(raw.nn.models).map(([k, v]) => [k, abs(v)])) } : {}) };
  return { path: file, dir, functions, ...(nn ? { nn } : {}), routes, server: raw.server ?? {} };
}
