// Loads models/digits-test.bin: the 2,000 held-out MNIST digits the digits model was evaluated on
// (format in models/README.md and models/digits-test-format.ts). Plain JavaScript with no
// dependencies so tests and benchmarks work from the published package.
import { readFileSync } from 'node:fs';

const HEADER_BYTES = 20;

/**
 * Reads the held-out digits.
 * @param {string | URL} [file] defaults to digits-test.bin next to this module
 * @returns {{ images: Uint8Array[], labels: number[] }} `images[i]` is 784 bytes (28×28,
 *   row-major, 0–255; the model expects pixel/255), `labels[i]` its digit 0–9
 * @throws {Error} when the file is not in the expected format
 */
export function loadDigitsTest(file = new URL('./digits-test.bin', import.meta.url)) {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = bytes.subarray(0, 4).toString('latin1');
  if (bytes.length < HEADER_BYTES || magic !== 'SFDT' || view.getUint32(4, true) !== 1) {
    throw new Error(`${file}: not a version 1 digits-test file`);
  }
  const count = view.getUint32(8, true);
  const pixels = view.getUint32(12, true) * view.getUint32(16, true);
  if (bytes.length !== HEADER_BYTES + count * (pixels + 1)) throw new Error(`${file}: truncated or oversized`);
  const images = [];
  const labels = [];
  const labelOffset = HEADER_BYTES + count * pixels;
  for (let i = 0; i < count; i++) {
    const start = HEADER_BYTES + i * pixels;
    images.push(new Uint8Array(bytes.buffer, bytes.byteOffset + start, pixels));
    labels.push(bytes[labelOffset + i]);
  }
  return { images, labels };
}
