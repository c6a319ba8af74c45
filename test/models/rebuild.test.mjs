// Rebuilding the models from source gives byte-identical files (seeded training and weights).
// Runs models/build.mjs --check in a child process: trains the digits CNN (~8 s) and regenerates
// image224, then compares with the committed files and their recorded sha256.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const build = fileURLToPath(new URL('../../models/build.mjs', import.meta.url));

test('models/build.mjs --check reproduces digits.onnx, digits-test.bin and image224.onnx', () => {
  const result = spawnSync(process.execPath, [build, '--check', '--only', 'digits,image224'], { encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  for (const name of ['digits.onnx', 'digits-test.bin', 'image224.onnx']) {
    assert.match(result.stderr, `same: models/${name}`);
  }
  assert.not.match(result.stderr, 'DIFFERENT');
});

test.run();
