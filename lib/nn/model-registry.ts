import { createHash } from 'node:crypto';
import type { NnEngine, NnSession } from './engine.js';
import { NnError } from './errors.js';

/**
 * The models an engine has loaded, shared by every guest instance that uses the engine: named
 * models from the runtime config (loaded on first `load-by-name`, kept until disposal) and models
 * a guest passed as bytes (shared by content hash, released when the last graph using them is
 * dropped).
 */
export class ModelRegistry {
  readonly #named = new Map<string, NnSession>();
  readonly #byHash = new Map<string, { session: NnSession; refs: number }>();

  constructor(
    readonly engine: NnEngine,
    readonly modelBytes: ReadonlyMap<string, Uint8Array>,
    /** Cap on distinct models loaded from guest bytes at once. */
    readonly maxGuestModels: number,
  ) {}

  /** The session of the configured model `name`. Throws `NnError('not-found')` for an unknown name. */
  named(name: string): NnSession {
    const cached = this.#named.get(name);
    if (cached) return cached;
    const bytes = this.modelBytes.get(name);
    if (bytes === undefined) throw new NnError('not-found', `no model named \`${name}\` is configured`);
    const session = this.engine.createSession(bytes);
    this.#named.set(name, session);
    return session;
  }

  /** A session for guest-supplied model bytes plus the function that releases this use of it. */
  acquire(bytes: Uint8Array): { session: NnSession; release: () => void } {
    const hash = createHash('sha256').update(bytes).digest('hex');
    let entry = this.#byHash.get(hash);
    if (!entry) {
      if (this.#byHash.size >= this.maxGuestModels) {
        throw new NnError('too-large', `too many distinct models loaded from bytes at once (limit ${this.maxGuestModels}); drop unused graphs`);
      }
      entry = { session: this.engine.createSession(bytes), refs: 0 };
      this.#byHash.set(hash, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return {
      session: held.session,
      release: () => {
        if (released) return;
        released = true;
        if (--held.refs === 0 && this.#byHash.get(hash) === held) {
          this.#byHash.delete(hash);
          held.session.release();
        }
      },
    };
  }

  /** Releases every session (the engine itself is disposed by its owner). */
  dispose(): void {
    for (const s of this.#named.values()) s.release();
    for (const e of this.#byHash.values()) e.session.release();
    this.#named.clear();
    this.#byHash.clear();
  }
}
