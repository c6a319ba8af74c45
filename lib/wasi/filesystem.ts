import { filesystem } from './shim.js';

/** A host directory the guest may see, at `guestPath`. Read-only unless `readOnly: false`. */
export interface PreopenGrant {
  hostPath: string;
  readOnly?: boolean;
}

const MUTATORS = [
  'write', 'writeViaStream', 'appendViaStream', 'setSize', 'setTimes', 'setTimesAt',
  'createDirectoryAt', 'removeDirectoryAt', 'symlinkAt', 'unlinkFileAt',
] as const;

type Descriptor = Record<string | symbol, unknown>;
type OpenFlags = { create?: boolean; directory?: boolean; exclusive?: boolean; truncate?: boolean };
type DescriptorFlags = { read?: boolean; write?: boolean; mutateDirectory?: boolean };

/**
 * `wasi:filesystem/{types,preopens}` exposing exactly the granted directories. Path confinement
 * (no `..` or absolute escapes) is the shim's; we add read-only grants: every descriptor opened
 * under a read-only preopen refuses writes with the WASI error `read-only`, and a writable one
 * cannot rename or link into a read-only tree.
 */
export function preopenedFilesystem(grants: Record<string, PreopenGrant>): Record<string, object> {
  const readOnly = new WeakSet<object>();
  const hostPaths = Object.fromEntries(Object.entries(grants).map(([guest, g]) => [guest, g.hostPath]));
  const fs = filesystem.createFilesystem({ preopens: hostPaths });
  const dirs = fs.preopens.getDirectories();
  dirs.forEach(([desc, guestPath]) => guard(desc as Descriptor, grants[guestPath]?.readOnly !== false));

  function guard(d: Descriptor, ro: boolean): Descriptor {
    const proto = Object.getPrototypeOf(d) as Record<string, (...a: unknown[]) => unknown>;
    if (ro) {
      readOnly.add(d);
      for (const m of MUTATORS) d[m] = () => { throw 'read-only'; };
    }
    d.openAt = (pathFlags: unknown, path: string, open: OpenFlags, flags: DescriptorFlags) => {
      if (ro && (open.create || open.truncate || open.exclusive || flags.write || flags.mutateDirectory)) throw 'read-only';
      return guard(proto.openAt!.call(d, pathFlags, path, open, flags) as Descriptor, ro);
    };
    for (const m of ['renameAt', 'linkAt'] as const) {
      d[m] = (...args: unknown[]) => {
        if (ro || readOnly.has(args[m === 'renameAt' ? 1 : 2] as object)) throw 'read-only';
        return proto[m]!.apply(d, args);
      };
    }
    return d;
  }

  return {
    'wasi:filesystem/types': filesystem.types,
    'wasi:filesystem/preopens': { getDirectories: () => [...dirs] },
  };
}
