// Built guests for the HTTP tests. http-hello has its own build script (see its build.mjs); the
// others come from guests/build.mjs and are built here only when missing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const guestUrl = (name) => new URL(`../../guests/dist/${name}.wasm`, import.meta.url);

/** Builds any of `names` that is missing from guests/dist. */
export async function ensureGuests(...names) {
  const missing = names.filter((n) => !existsSync(fileURLToPath(guestUrl(n))));
  if (missing.includes('http-hello')) {
    const { buildHttpHello } = await import('../../guests/http-hello/build.mjs');
    await buildHttpHello();
  }
  const others = missing.filter((n) => n !== 'http-hello');
  if (others.length) {
    const { buildGuests } = await import('../../guests/build.mjs');
    await buildGuests({ only: others });
  }
}
