// The public types are part of the API: `tsc --strict` must reject a misspelled error code, and
// the declarations `sfirt types` writes must type `call()` (names, arguments, results).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const cli = join(root, 'dist', 'cli', 'main.js');

/** Type-checks `files` (name → source) in `dir` with --strict; `sfirt` resolves to this build's declarations. */
function check(dir, files) {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
      types: ['node'], typeRoots: [join(root, 'node_modules', '@types')], paths: { sfirt: [join(root, 'dist', 'index.d.ts')] },
    },
    include: ['*.ts', 'types/**/*.ts'],
  }));
  const r = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { encoding: 'utf8', cwd: dir });
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'sfirt-types-'));
for (const g of ['compute', 'classifier', 'hello']) {
  execFileSync(process.execPath, [cli, 'types', join(root, 'guests', 'dist', `${g}.wasm`), '--out-dir', join(dir, 'types')], { stdio: 'pipe' });
}
const TYPO = "import type { SfiError } from 'sfirt';\nexport function f(e: SfiError) { return e.code === 'FUEL_EXHUASTED'; }\n";
const GOOD = [
  "import { SfiError, type SfiErrorCode } from 'sfirt';",
  "export function f(e: SfiError): boolean { return e.code === 'FUEL_EXHAUSTED' || e.code === 'INVALID_MANIFEST'; }",
  "export function g(e: unknown): SfiErrorCode | undefined { return e instanceof SfiError ? e.code : undefined; }",
  '',
].join('\n');
const USAGE = [
  "import { createRuntime } from 'sfirt';",
  "import type { Compute } from './types/compute.js';",
  "import type { Classifier } from './types/classifier.js';",
  "import type { Hello } from './types/hello.js';",
  'export async function main() {',
  '  const rt = createRuntime();',
  "  const compute: Compute = await rt.load('compute', 'compute.wasm');",
  "  const big: bigint = await compute.call('fib', 90);",
  "  const sum: number = await compute.call('add', 1, 2);",
  "  const inv = await compute.invoke('matmul', [8, 1]);",
  '  const product: number = inv.value;',
  "  const hello: Hello = await rt.load('hello', 'hello.wasm');",
  "  const text: string = await hello.call('greet', 'world');",
  "  const classifier: Classifier = await rt.load('classifier', 'classifier.wasm');",
  "  const r = await classifier.call('classify', new Uint8Array(784));",
  "  const label: number | string = r.tag === 'ok' ? r.val.label : r.val.code;",
  '  // @ts-expect-error: an argument of the wrong type',
  "  await compute.call('add', 'one', 2);",
  '  // @ts-expect-error: a missing argument',
  "  await compute.call('add', 1);",
  '  // @ts-expect-error: an export the component does not have',
  "  await compute.call('fibonacci', 3);",
  '  // @ts-expect-error: the result is a string, not a number',
  "  const wrong: number = await hello.call('greet', 'x');",
  '  return [big, sum, product, text, label, wrong];',
  '}',
  '',
].join('\n');
// One tsc run for everything (it takes seconds): the typo must be the only error.
const result = check(dir, { 'typo.ts': TYPO, 'good.ts': GOOD, 'usage.ts': USAGE });
const errors = result.output.split('\n').filter((l) => /error TS\d+/.test(l));

test('tsc --strict rejects a misspelled error code and accepts the real ones', () => {
  assert.ok(errors.some((l) => l.startsWith('typo.ts') && l.includes('TS2367') && l.includes('FUEL_EXHUASTED')), result.output);
  assert.not.ok(errors.some((l) => l.startsWith('good.ts')), result.output);
});

test('sfirt types: call() knows export names, argument types and result types', () => {
  // Unused @ts-expect-error lines would be errors here too (TS2578).
  assert.equal(errors.filter((l) => !l.startsWith('typo.ts')), [], result.output);
  assert.is(errors.length, 1, result.output);
});

test.run();
