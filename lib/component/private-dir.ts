/**
 * Is a directory private to the current user? The precompile cache keeps JavaScript the runtime
 * evaluates, so its directory gets the checks ssh gives `~/.ssh`: the directory itself must be
 * owned by us and not writable by group or others, and so must every directory above it (owned by
 * us or root), except that a sticky directory such as `/tmp` may be writable by all (the sticky
 * bit stops others from renaming or deleting what we own inside it).
 */
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/** Why a directory was not accepted as private; `message` names the directory. */
export class NotPrivateError extends Error {}

/**
 * Creates `dir` if needed (mode 0700) and checks it is private to the current user. Resolves to
 * its real path, which is what later file operations must use (a symlink is judged by its target).
 * Rejects with `NotPrivateError` saying why not. Ownership and mode are not checked on platforms
 * without POSIX user ids (Windows: the user profile's ACLs apply).
 *
 * Checked on every load, never remembered: a directory can stop being private between loads. The
 * calls are synchronous: a realpath and a stat per level of an existing directory cost tens of
 * µs in total, less than the thread-pool round trips of their async forms on a busy machine.
 */
export async function ensurePrivateDir(dir: string): Promise<string> {
  return ensurePrivateDirSync(dir);
}

function ensurePrivateDirSync(dir: string): string {
  let real: string;
  try {
    real = realpathSync.native(dir);
  } catch {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      real = realpathSync.native(dir);
    } catch (err) {
      throw new NotPrivateError(`cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const uid = process.getuid?.();
  if (uid === undefined) return real;
  const chain = [real];
  for (let p = dirname(real); p !== chain.at(-1); p = dirname(p)) chain.push(p);
  const [own, ...parents] = chain.map((p) => statSync(p));
  if (!own!.isDirectory()) throw new NotPrivateError(`${real} is not a directory`);
  if (own!.uid !== uid) throw new NotPrivateError(`${real} is owned by uid ${own!.uid}, not by this user (uid ${uid})`);
  if (own!.mode & GROUP_OR_OTHER_WRITE) throw new NotPrivateError(`${real} is writable by group or others (mode ${octal(own!.mode)})`);
  parents.forEach((st, i) => {
    const parent = chain[i + 1];
    if (st.uid !== uid && st.uid !== 0) throw new NotPrivateError(`${real}: its parent ${parent} is owned by uid ${st.uid}, neither this user nor root`);
    if (st.mode & GROUP_OR_OTHER_WRITE && !(st.mode & STICKY)) {
      throw new NotPrivateError(`${real}: its parent ${parent} is writable by group or others (mode ${octal(st.mode)}), so its entries could be replaced`);
    }
  });
  return real;
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}
