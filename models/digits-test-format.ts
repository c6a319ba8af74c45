/**
 * Writes `digits-test.bin`, the held-out digits for tests and benchmarks (read back by
 * `digits-test.mjs`). Layout, all integers little-endian:
 *
 *   0  4 bytes  magic "SFDT"
 *   4  u32      format version (1)
 *   8  u32      count
 *  12  u32      rows (28)
 *  16  u32      cols (28)
 *  20  count × rows × cols u8 pixels (0–255, row-major, image after image)
 *  ..  count u8 labels (0–9)
 */
import { PIXELS, type DigitSet } from './mnist-digits.js';

/** The four bytes every digits-test file starts with. */
export const DIGITS_TEST_MAGIC = 'SFDT';
/** Bytes before the pixels. */
export const DIGITS_TEST_HEADER_BYTES = 20;

/** Serialises `set` in the layout above. */
export function encodeDigitsTest(set: DigitSet): Uint8Array {
  const out = new Uint8Array(DIGITS_TEST_HEADER_BYTES + set.count * (PIXELS + 1));
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = DIGITS_TEST_MAGIC.charCodeAt(i);
  view.setUint32(4, 1, true);
  view.setUint32(8, set.count, true);
  view.setUint32(12, 28, true);
  view.setUint32(16, 28, true);
  out.set(set.pixels, DIGITS_TEST_HEADER_BYTES);
  out.set(set.labels, DIGITS_TEST_HEADER_BYTES + set.count * PIXELS);
  return out;
}
