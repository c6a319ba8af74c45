// The binary decoder on damaged input: truncated or bit-flipped components must be refused with
// INVALID_COMPONENT (or decode to something), never crash with another error type or hang.
// Component bytes come from users, so this is the decoder's denial-of-service surface.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from '@bytecodealliance/jco';
import { decodeComponentInterfaces } from '../../../dist/component/wit/decode.js';

const sharedDir = fileURLToPath(new URL('../../../../shared/components/', import.meta.url));

/** Small deterministic PRNG (mulberry32), so failures reproduce. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function survives(bytes) {
  try {
    decodeComponentInterfaces(bytes);
  } catch (e) {
    if (e?.code !== 'INVALID_COMPONENT') throw new Error(`decoder threw ${e?.name}: ${e?.message}`);
  }
}

async function inputs() {
  const list = [await parse(readFileSync(new URL('./fixtures/shapes.wat', import.meta.url), 'utf8'))];
  if (existsSync(sharedDir)) list.push(readFileSync(`${sharedDir}records.component.wasm`));
  else console.log('  (../shared is absent: fuzzing only the WAT fixture)');
  return list;
}

test('truncations and byte flips never escape as anything but INVALID_COMPONENT', async () => {
  const rand = prng(42);
  for (const original of await inputs()) {
    const intact = decodeComponentInterfaces(original);
    assert.ok(intact.size >= 1);
    for (let i = 0; i < 150; i++) survives(original.subarray(0, Math.floor(rand() * original.length)));
    for (let i = 0; i < 150; i++) {
      const copy = original.slice();
      for (let k = 0; k < 4; k++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
      survives(copy);
    }
  }
});

test.run();
