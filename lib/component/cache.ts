import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The default on-disk cache: `$SFIRT_CACHE_DIR`, else `$XDG_CACHE_HOME/sfirt`, else
 * `~/.cache/sfirt` (or the OS temp dir when there is no home directory).
 */
export function defaultCacheDir(): string {
  if (process.env.SFIRT_CACHE_DIR) return process.env.SFIRT_CACHE_DIR;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'sfirt');
  const home = homedir();
  return home ? join(home, '.cache', 'sfirt') : join(tmpdir(), 'sfirt-cache');
}

/** A content-addressed directory of files; entries are written atomically (temp dir + rename). */
export class DiskCache {
  constructor(readonly dir: string) {}

  entryDir(key: string): string {
    return join(this.dir, key);
  }

  /** Reads a file of an entry, or `undefined` when the entry (or file) does not exist. */
  async read(key: string, file: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.entryDir(key), file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Writes a whole entry at once. Concurrent writers of the same key race harmlessly: the
   * content is identical, and the loser's rename fails on the existing directory.
   */
  async writeEntry(key: string, files: Record<string, Uint8Array | string>): Promise<void> {
    const target = this.entryDir(key);
    const staging = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(staging, { recursive: true });
    try {
      for (const [name, content] of Object.entries(files)) {
        const path = join(staging, name);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content);
      }
      await rename(staging, target);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  }
}
