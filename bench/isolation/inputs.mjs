// The fixed request set: held-out digits from models/digits-test.bin, as protocol lines.
import { pathToFileURL } from 'node:url';
import { DIGITS_LOADER } from './paths.mjs';

/**
 * Loads the first `count` held-out digits.
 * @param {number} [count]
 * @returns {Promise<{ payloads: string[], labels: number[] }>} `payloads[i]` is the base64 image
 *   (prefix a request id and a space to make a protocol line)
 */
export async function loadInputs(count = 2000) {
  const { loadDigitsTest } = await import(pathToFileURL(DIGITS_LOADER).href);
  const { images, labels } = loadDigitsTest();
  const n = Math.min(count, images.length);
  return {
    payloads: images.slice(0, n).map((image) => Buffer.from(image).toString('base64')),
    labels: labels.slice(0, n),
  };
}

/** Parses a response line `<id> <label> <probability>`; throws on an error response. */
export function parseResponse(line) {
  const [id, label, probability] = line.split(' ');
  if (label === 'error' || !/^\d$/.test(label ?? '')) throw new Error(`bad response: ${line}`);
  return { id, label: Number(label), probability: Number(probability) };
}
