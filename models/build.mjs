#!/usr/bin/env node
// Rebuilds the ONNX models from source: `node models/build.mjs [--only digits|image224] [--check]`.
// The generators are TypeScript; esbuild bundles each one in memory (npm packages stay external,
// resolved from this folder) and the result runs here, so no compiled copy lands on disk.
// --check builds in memory and compares against the files on disk instead of writing them
// (exit code 1 on any difference): the determinism check.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const modelsDir = dirname(fileURLToPath(import.meta.url));

/** Bundles `file` (TypeScript) to CommonJS in memory and returns its exports. */
export async function loadTypeScript(file) {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'warning',
  });
  const module = { exports: {} };
  const require = createRequire(file);
  new Function('require', 'module', 'exports', result.outputFiles[0].text)(require, module, module.exports);
  return module.exports;
}

/** Builds the requested models; returns { [fileName]: bytes } for everything that would be written. */
export async function buildModels({ only = ['digits', 'image224'], log = console.error } = {}) {
  const files = {};
  if (only.includes('digits')) {
    const { trainDigits } = await loadTypeScript(join(modelsDir, 'train-digits.ts'));
    const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
    const { onnx, info, testSet } = trainDigits({ digitsDir, log });
    log(`digits: held-out accuracy ${info.heldOutAccuracy}, trained in ${info.training.seconds} s`);
    files['digits.onnx'] = onnx;
    files['digits.json'] = jsonBytes(info);
    files['digits-test.bin'] = testSet;
  }
  if (only.includes('image224')) {
    const { generateImage224 } = await loadTypeScript(join(modelsDir, 'gen-image224.ts'));
    const { onnx, info } = generateImage224({});
    log(`image224: ${info.parameters} parameters, ${info.macs} MACs`);
    files['image224.onnx'] = onnx;
    files['image224.json'] = jsonBytes(info);
  }
  return files;
}

function jsonBytes(value) {
  return new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n');
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function main(argv) {
  const check = argv.includes('--check');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1].split(',') : undefined;
  const files = await buildModels({ only });
  let differences = 0;
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(modelsDir, name);
    if (!check) {
      writeFileSync(path, bytes);
      console.error(`wrote models/${name} (${bytes.length} bytes, sha256 ${sha256(bytes)})`);
      continue;
    }
    // Training time in digits.json varies from run to run; every other byte must match.
    if (name.endsWith('.json')) continue;
    const same = existsSync(path) && sha256(readFileSync(path)) === sha256(bytes);
    console.error(`${same ? 'same' : 'DIFFERENT'}: models/${name} (rebuilt sha256 ${sha256(bytes)})`);
    if (!same) differences++;
  }
  if (check) {
    for (const name of Object.keys(files).filter((n) => n.endsWith('.onnx'))) {
      const jsonPath = join(modelsDir, name.replace(/\.onnx$/, '.json'));
      const recorded = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')).sha256 : undefined;
      if (recorded !== sha256(files[name])) {
        console.error(`DIFFERENT: sha256 recorded in ${name.replace(/\.onnx$/, '.json')}`);
        differences++;
      }
    }
  }
  if (differences > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
