import { createHash } from 'node:crypto';
import type { NnSession } from './engine.js';
import type { EngineSlot } from './engine-slot.js';
import { NnError, printable } from './errors.js';

/**
 * One loaded model. Named models come from the host's configuration and are shared by every
 * instance of every function; when the engine lost them (restored after a trap, or replaced) they
 * are parsed again on first use. Models from guest bytes are shared only among the instances of
 * one function (so no guest can learn, from how fast `load` answers, whether another function
 * loaded the same bytes) and are lost with the engine state they were parsed in.
 */
export class ModelEntry {
  session: NnSession | undefined;
  /** Guest uses (graphs) holding this entry; named entries are never released. */
  refs = 0;
  /** Model bytes this entry holds of the guests' engine budget (0 once given back). */
  budgetBytes = 0;
  constructor(readonly kind: 'named' | 'guest', readonly key: string) {}
}

/**
 * The models of one wasi:nn host (one engine slot): named models, parsed on first use, and
 * models from guest bytes, keyed by function and content hash, released when the last graph
 * using them is dropped.
 */
export class ModelRegistry {
  readonly #named = new Map<string, ModelEntry>();
  readonly #guest = new Map<string, ModelEntry>();
  /** Bytes of the guest models loaded now, all functions together. */
  #guestBytes = 0;

  /**
   * @param guestBudget most bytes of guest models the engine holds at once, all functions
   *   together: the rest of the engine's memory stays for host-registered models and inference
   */
  constructor(readonly slot: EngineSlot, readonly modelBytes: ReadonlyMap<string, Uint8Array>, readonly guestBudget = Infinity) {}

  /** The entry of configured model `name`. Throws `NnError('not-found')` for an unknown name. */
  named(name: string): ModelEntry {
    let entry = this.#named.get(name);
    if (entry === undefined) {
      if (!this.modelBytes.has(name)) throw new NnError('not-found', `no model named \`${printable(name)}\` is configured`);
      entry = new ModelEntry('named', name);
      this.#named.set(name, entry);
    }
    return entry;
  }

  /**
   * Parses guest model bytes for function `functionKey` (or shares the entry its other instances
   * hold) and takes one reference. Loading stops at `deadline` (`timeout`).
   */
  acquireGuest(functionKey: string, bytes: Uint8Array, deadline: number | undefined): ModelEntry {
    const key = `${functionKey}:${createHash('sha256').update(bytes).digest('hex')}`;
    let entry = this.#guest.get(key);
    if (entry === undefined || this.session(entry, false) === undefined) {
      // Models held by graphs live in the shared engine's memory: without a budget, one function's
      // graphs filled it and another function's inference failed (out of memory) until they were dropped.
      if (entry) this.#unbudget(entry); // lost with an old engine: its graphs hold nothing now
      if (this.#guestBytes + bytes.byteLength > this.guestBudget) {
        throw new NnError('too-large', `models loaded from guest bytes may hold ${this.guestBudget} bytes of the inference engine, all functions together; ${this.#guestBytes} are held now`);
      }
      const session = this.slot.current().createSession(bytes, deadline === undefined ? undefined : { deadline });
      entry = new ModelEntry('guest', key);
      entry.session = session;
      entry.budgetBytes = bytes.byteLength;
      this.#guestBytes += bytes.byteLength;
      this.#guest.set(key, entry);
    }
    entry.refs++;
    return entry;
  }

  /**
   * The session of `entry` on the current engine. A named model lost with an old engine is parsed
   * again; a guest model is not (returns undefined with `required` false, else throws
   * `runtime-error`: the guest must load it again).
   */
  session(entry: ModelEntry, required = true): NnSession | undefined {
    const engine = this.slot.current();
    if (entry.session?.alive) return entry.session;
    if (entry.kind === 'guest') {
      if (!required) return undefined;
      throw new NnError('runtime-error', 'the inference engine was restarted since this model was loaded; load it again');
    }
    entry.session = engine.createSession(this.modelBytes.get(entry.key)!);
    return entry.session;
  }

  /** Drops one reference to a guest entry; the last one releases its session. */
  releaseGuest(entry: ModelEntry): void {
    if (entry.kind !== 'guest' || entry.refs <= 0) return;
    if (--entry.refs > 0) return;
    if (this.#guest.get(entry.key) === entry) this.#guest.delete(entry.key);
    this.#unbudget(entry);
    entry.session?.release();
    entry.session = undefined;
  }

  /** Gives an entry's bytes back to the guests' budget (once). */
  #unbudget(entry: ModelEntry): void {
    this.#guestBytes -= entry.budgetBytes;
    entry.budgetBytes = 0;
  }

  /** Releases every session (the engines are disposed by the slot). */
  dispose(): void {
    for (const e of [...this.#named.values(), ...this.#guest.values()]) {
      e.session?.release();
      e.session = undefined;
    }
    this.#named.clear();
    this.#guest.clear();
  }
}

/** Kept here for the modules that import it from the registry. */
export { printable };
