// Built guests for the HTTP tests, from guests/build.mjs, built here only when missing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const guestUrl = (name) => new URL(`../../guests/dist/${name}.wasm`, import.meta.url);

/** Builds any of `names` that is missing from guests/dist. */
export async function ensureGuests(...names) {
  const missing = names.filter((n) => !existsSync(fileURLToPath(guestUrl(n))));
  if (missing.length) {
    const { buildGuests } = await import('../../guests/build.mjs');
    await buildGuests({ only: missing });
  }
}
