// The quick run of the randomized confinement test (`npm run fuzz` runs 10,000 sequences per mode).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspect } from 'node:util';
import { anchorMode } from '../../dist/wasi/filesystem/dir-handle.js';
import { fuzz } from './fuzz-confinement.mjs';

const SEQUENCES = Number(process.env.SFIRT_FS_FUZZ ?? 300);

test(`${SEQUENCES} random sequences in the host's mode: 0 escapes`, async () => {
  const stats = await fuzz({ sequences: SEQUENCES, seed: 1 });
  assert.is(stats.escapes, 0, inspect(stats.failures[0], { depth: 4 }));
  assert.is(stats.sequences, SEQUENCES);
  assert.ok(stats.operations > SEQUENCES * 10, 'the programs ran');
  assert.ok(stats.errors < stats.operations, 'and did not only fail');
});

test(`${SEQUENCES / 2} random sequences in path mode: 0 escapes`, async () => {
  const before = anchorMode();
  try {
    const stats = await fuzz({ sequences: SEQUENCES / 2, seed: 2, mode: 'path' });
    assert.is(stats.mode, 'path');
    assert.is(stats.escapes, 0, inspect(stats.failures[0], { depth: 4 }));
  } finally {
    const { setAnchorMode } = await import('../../dist/wasi/filesystem/dir-handle.js');
    setAnchorMode(before);
  }
});

test.run();
