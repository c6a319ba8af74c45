/**
 * Finds the optional build toolchains (AssemblyScript, componentize-js): first in the guest
 * project's own `node_modules` (walking up from it), then beside sfirt. They are optional peer
 * dependencies, so an app that never builds guests does not download them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A toolchain that `sfirt build` loads on demand. */
export interface Toolchain {
  /** npm package name. */
  pkg: string;
  /** File inside the package to import (its ESM entry). */
  entry: string;
  /** Version range sfirt is tested with (for the install hint). */
  range: string;
  /** What it is for, for the error message. */
  purpose: string;
  /** The packages to install for it (`npm install --save-dev …`). */
  install: string;
}

export const ASSEMBLYSCRIPT: Toolchain = { pkg: 'assemblyscript', entry: 'dist/asc.js', range: '^0.28.20', purpose: 'AssemblyScript guests (--lang as)', install: 'assemblyscript@^0.28.20' };
/**
 * componentize-js imports `@bytecodealliance/preview2-shim` without declaring it, and next to sfirt
 * npm may not hoist it (a peer range of jco's own jco-std conflicts): installing it beside is what works.
 */
export const COMPONENTIZE_JS: Toolchain = {
  pkg: '@bytecodealliance/componentize-js', entry: 'src/componentize.js', range: '^0.22.0', purpose: 'JavaScript guests (--lang js)',
  install: '@bytecodealliance/componentize-js@^0.22.0 @bytecodealliance/preview2-shim@^0.26.1',
};

/** The toolchain is not installed: the message says how to install it. */
export class ToolchainMissingError extends Error {
  readonly code = 'TOOLCHAIN_MISSING';
  constructor(readonly toolchain: Toolchain, cause?: unknown) {
    super(`${toolchain.pkg} is not installed; sfirt build needs it for ${toolchain.purpose}: npm install --save-dev ${toolchain.install}`, { cause });
    this.name = 'ToolchainMissingError';
  }
}

/** The installed version of a toolchain found from `fromDir`, if any. */
export function findToolchain(toolchain: Toolchain, fromDir: string): { dir: string; version: string } | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', toolchain.pkg);
    if (existsSync(join(pkgDir, toolchain.entry))) {
      const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
      return { dir: pkgDir, version };
    }
    if (dir === dirname(dir)) return undefined;
  }
}

/** Imports a toolchain, from the project first, else from beside sfirt; `ToolchainMissingError` when neither has it. */
export async function importToolchain<T>(toolchain: Toolchain, projectDir: string): Promise<T> {
  const found = findToolchain(toolchain, projectDir) ?? findToolchain(toolchain, dirname(fileURLToPath(import.meta.url)));
  if (!found) throw new ToolchainMissingError(toolchain);
  return (await import(pathToFileURL(join(found.dir, toolchain.entry)).href)) as T;
}
