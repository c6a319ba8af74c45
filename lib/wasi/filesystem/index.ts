/**
 * Our `wasi:filesystem` host (`types` + `preopens`), built for confinement first: see README.md.
 *
 * `filesystemImports(grants, options)` is called once per function (it checks the grants) and
 * returns the per-instance factory: each instance gets its own preopen descriptors and its own
 * count of open files in its `InstanceScope`; the classes and the grants' root directories are
 * shared.
 */
import type { InstanceImports } from '../../host/scope.js';
import { Descriptor } from './descriptor.js';
import { DirectoryEntryStream } from './directory-stream.js';
import { DEFAULT_OPEN_FILES, OpenFiles } from './open-files.js';
import { PreopenRoot, type PreopenGrant } from './preopens.js';
import { filesystemErrorCode } from './streams.js';

export type { PreopenGrant } from './preopens.js';
export { DEFAULT_OPEN_FILES } from './open-files.js';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES } from './quota.js';
export { Descriptor } from './descriptor.js';
export { DirectoryEntryStream } from './directory-stream.js';

export interface FilesystemOptions {
  /** Cap on the filesystem resources one instance holds at once (`limits.openFiles`); `Infinity` for none. */
  openFiles?: number;
  /** Host directories no read-write grant may overlap (the runtime's precompile caches). */
  protectedDirs?: readonly string[];
}

/** The `wasi:filesystem/types` entry: the same classes for every instance (handles are checked against them). */
const types = Object.freeze({ Descriptor, DirectoryEntryStream, filesystemErrorCode });

/**
 * Import-object entries for `wasi:filesystem/types` and `wasi:filesystem/preopens` exposing exactly
 * `grants` (guest path → host directory). Throws `InvalidArgumentError` for a grant that is not a
 * host directory, or a read-write grant that overlaps `protectedDirs`.
 */
export function filesystemImports(grants: Record<string, PreopenGrant>, options: FilesystemOptions = {}): InstanceImports {
  const roots = Object.entries(grants).map(([guestPath, grant]) => PreopenRoot.fromGrant(guestPath, grant, options.protectedDirs));
  const limit = options.openFiles ?? DEFAULT_OPEN_FILES;
  return (scope) => {
    const files = new OpenFiles(scope, limit);
    const preopens = roots.map((root) => [Descriptor.preopen(files, root), root.guestPath] as const);
    return {
      'wasi:filesystem/types': types,
      // The same descriptors on every call: dropping a preopen's handle releases nothing.
      'wasi:filesystem/preopens': { getDirectories: () => preopens.map(([d, p]) => [d, p]) },
    };
  };
}
