/**
 * Path resolution under a descriptor, the way cap-std does it for Wasmtime: one component at a
 * time, starting from the descriptor's own directory, on handles the host holds (`DirHandle`).
 *
 * - `..` pops a directory this walk actually entered; popping the descriptor itself is
 *   `not-permitted`. A descriptor is a capability for its own subtree: even a sub-directory
 *   handle cannot climb to its parent.
 * - Every intermediate directory is entered without following a symlink in its place; a symlink
 *   met on the way (host-made or guest-made) is read and its target spliced into the walk, so
 *   its `..` steps are bounded by the same stack. An absolute target is `not-permitted`; more than
 *   `MAX_SYMLINK_HOPS` links is `loop`.
 * - The last component is returned unresolved (with the directory that holds it), so that each
 *   operation applies it with its own semantics: `open` with `O_NOFOLLOW`, `mkdir`/`rename`/
 *   `unlink` (which never follow it), or `follow()` when the guest asked for `symlink-follow`.
 *
 * This check at resolution time is the real guard: a symlink's meaning changes whenever the tree
 * around it changes (a rename moves it, a directory is swapped), so no check made when a link is
 * created can stand in for it.
 */
import type { DirHandle } from './dir-handle.js';
import { parseLinkTarget, parsePath } from './path.js';

/** Symlinks followed in one resolution before `loop` (Linux's own limit). */
export const MAX_SYMLINK_HOPS = 40;
/**
 * Steps one resolution may take before `name-too-long`: components walked (symlink targets
 * included) plus directories reopened after climbing out of the open window. Every step is one
 * host call at most, so this bounds the host work one guest call can ask for.
 */
export const MAX_WALK_STEPS = 8192;
/**
 * Directories a walk keeps open at once. Deeper ones are closed as the walk goes down (and
 * reopened by name from the descriptor if `..` climbs back to them), so a 2,000-level path costs
 * the host 16 fds, not 2,000, while it resolves.
 */
export const OPEN_WINDOW = 16;

interface Level {
  /** The directory's name in its parent (as walked: symlinks already replaced by their targets). */
  name: string;
  /** Its handle, or undefined once it fell out of the open window. */
  handle: DirHandle | undefined;
}

export class Walk {
  /** Directories entered, from the descriptor's (index 0, not ours to close) down. */
  #stack: Level[];
  #hops = 0;
  #steps = 0;
  /** The last component still to be applied, or undefined when the path names `dir` itself. */
  name: string | undefined;
  /** The path ended with `/`: its target must be a directory. */
  dirOnly = false;

  constructor(base: DirHandle) {
    this.#stack = [{ name: '', handle: base }];
  }

  /** The directory holding `name` (or named by the path, when `name` is undefined). */
  get dir(): DirHandle {
    return this.#stack[this.#stack.length - 1]!.handle!;
  }

  /** How many directories `dir` is below the descriptor. */
  get depth(): number {
    return this.#stack.length - 1;
  }

  /** Resolves a guest path up to its last component. Throws an `error-code`. */
  start(path: unknown): this {
    const { parts, dirOnly } = parsePath(path);
    this.dirOnly = dirOnly;
    this.#run(parts);
    return this;
  }

  /**
   * `name` turned out to be a symlink with this target: continues the walk through it (from
   * `dir`), up to the target's own last component.
   */
  through(target: string): void {
    if (++this.#hops > MAX_SYMLINK_HOPS) throw 'loop';
    this.#run(parseLinkTarget(target));
  }

  /** Follows `name` while it is a symlink (for `symlink-follow`, or a path ending in `/`). */
  follow(): void {
    for (;;) {
      if (this.name === undefined) return;
      const target = this.dir.readLink(this.name);
      if (target === undefined) return;
      this.through(target);
    }
  }

  /** Closes the directories this walk opened (never the descriptor's). */
  release(): void {
    for (let i = this.#stack.length - 1; i > 0; i--) this.#stack[i]!.handle?.close();
    this.#stack.length = 1;
  }

  #run(parts: string[]): void {
    this.name = undefined;
    // A queue of components: symlink targets met on the way are spliced in front.
    let queue = parts;
    let at = 0;
    while (at < queue.length) {
      if (++this.#steps > MAX_WALK_STEPS) throw 'name-too-long';
      const part = queue[at++]!;
      if (part === '..') {
        this.#up();
        continue;
      }
      if (at === queue.length) {
        this.name = part;
        return;
      }
      const next = this.dir.openDir(part);
      if (typeof next !== 'string') {
        this.#push(part, next);
        continue;
      }
      if (++this.#hops > MAX_SYMLINK_HOPS) throw 'loop';
      queue = [...parseLinkTarget(next), ...queue.slice(at)];
      at = 0;
    }
  }

  #push(name: string, handle: DirHandle): void {
    const stack = this.#stack;
    stack.push({ name, handle });
    const old = stack.length - 1 - OPEN_WINDOW;
    if (old > 0) {
      stack[old]!.handle?.close();
      stack[old]!.handle = undefined;
    }
  }

  #up(): void {
    const stack = this.#stack;
    if (stack.length === 1) throw 'not-permitted';
    stack.pop()!.handle?.close();
    if (stack[stack.length - 1]!.handle) return;
    // Climbed back out of the open window: reopen the path down to here from the descriptor, by
    // the names walked. Each step is the same confined, no-follow step as before; if the tree
    // changed meanwhile (a directory became a symlink), the walk fails rather than follow it.
    // Each reopen is a step too: without that, a deep chain climbed with `..` (16 at a time) made
    // one call reopen the chain again and again, O(depth²) host opens within the step budget.
    const levels = stack.slice(1);
    stack.length = 1;
    for (const level of levels) {
      if (++this.#steps > MAX_WALK_STEPS) throw 'name-too-long';
      const next = this.dir.openDir(level.name);
      if (typeof next === 'string') throw 'no-entry';
      this.#push(level.name, next);
    }
  }
}

/** Runs `fn` on a walk of `path` under `base`, releasing the walk's handles afterwards. */
export function walkPath<T>(base: DirHandle, path: unknown, fn: (walk: Walk) => T): T {
  const walk = new Walk(base);
  try {
    walk.start(path);
    return fn(walk);
  } finally {
    walk.release();
  }
}
