/**
 * Host state owned by one component instance.
 *
 * Every host interface that hands a guest something to hold — WASI descriptors and streams,
 * `wasi:nn` graphs and contexts, `wasi:http` requests and bodies, resources of the app's own
 * imports — registers it here, in the scope of the instance whose guest holds it. Nothing one
 * caller opens can then be seen by another: a pool that resets an instance releases everything
 * opened since the instance was initialised (`releaseSinceMark`), and a discarded instance
 * releases everything (`releaseAll`). Counting happens here too, so per-instance caps
 * (`limits.openFiles`, `wasi:nn` quotas) are checked in one place.
 *
 * Host interfaces are built per instance by an `InstanceImports` factory that receives the scope.
 */
export class InstanceScope {
  /**
   * Resource → how to release it and its kind, in creation order. One map of small records: a
   * second map (a WeakMap of kinds) made track + untrack cost ~0.7 µs per resource, paid twice per
   * call by a guest that opens a graph and a context in every call.
   */
  #live = new Map<object, Tracked>();
  /** Resources that existed when `mark()` was called (the instance's initial state). */
  #initial: Set<object> | undefined;
  #closed = false;
  /** Set when a resource of `#initial` is released before the instance is discarded. */
  #initialLost = false;
  /** Host state that is not a resource (deterministic clocks and random): how to save it. */
  #states: (() => () => void)[] = [];
  /** What `mark()` saved of `#states`: each restores its state to the marked point. */
  #restores: (() => void)[] = [];

  /** Number of live resources of a kind (`kind` as passed to `track`). */
  #counts = new Map<string, number>();

  /** Live resources of `kind` (e.g. `'descriptor'`), for per-instance caps. */
  count(kind: string): number {
    return this.#counts.get(kind) ?? 0;
  }

  /**
   * Registers `resource`, released with `release` when the instance is reset or discarded.
   * Returns the resource. After `releaseAll()` the scope refuses new resources (releases them at once).
   */
  track<T extends object>(resource: T, kind: string, release: (resource: T) => void): T {
    if (this.#closed) {
      release(resource);
      return resource;
    }
    this.#live.set(resource, { release: release as (r: object) => void, kind });
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
    return resource;
  }

  /** The guest dropped `resource` and its host side released it: stop tracking it. */
  untrack(resource: object): void {
    const tracked = this.#live.get(resource);
    if (tracked === undefined) return;
    this.#live.delete(resource);
    const kind = tracked.kind;
    this.#counts.set(kind, this.#counts.get(kind)! - 1);
    if (this.#initial !== undefined && this.#initial.size > 0 && this.#initial.delete(resource)) this.#initialLost = true;
  }

  /**
   * True once a resource the instance held at `mark()` was released (the guest dropped a graph it
   * opened while initialising, say), or a host interface reported such a loss (`loseInitial`): the
   * guest's restored memory and handle tables would name it, so the instance cannot be reset to
   * its initial state and is discarded instead (lib/pool/instance.ts).
   */
  get initialLost(): boolean {
    return this.#initialLost;
  }

  /** A host interface lost state of the instance's initial state that it keeps itself (see `initialLost`). */
  loseInitial(): void {
    if (this.#initial !== undefined) this.#initialLost = true;
  }

  /**
   * Registers host state that a reset puts back where it was at `mark()` (a seeded random
   * stream, a simulated clock): `save` records the current state and returns what restores it.
   */
  state(save: () => () => void): void {
    this.#states.push(save);
  }

  /** The instance finished initialising: what is live now survives a reset, and states are saved. */
  mark(): void {
    this.#initial = new Set(this.#live.keys());
    this.#restores = this.#states.map((save) => save());
  }

  /**
   * Pool `reset`: releases every resource opened since `mark()` and restores the registered
   * states. O(1) when nothing was opened (the common case on the warm-call path).
   */
  releaseSinceMark(): void {
    const keep = this.#initial ?? EMPTY;
    if (this.#live.size > keep.size) {
      for (const resource of [...this.#live.keys()]) {
        if (!keep.has(resource)) this.#release(resource);
      }
    }
    for (const restore of this.#restores) restore();
  }

  /** The instance is discarded: releases everything; later resources are released as they come. */
  releaseAll(): void {
    this.#closed = true;
    for (const resource of [...this.#live.keys()]) this.#release(resource);
  }

  #release(resource: object): void {
    const release = this.#live.get(resource)!.release;
    this.untrack(resource);
    try {
      release(resource);
    } catch {
      // Releasing is best effort (a descriptor already closed by the host, say); never let it
      // stop the other releases or reach the caller.
    }
  }
}

const EMPTY: ReadonlySet<object> = new Set();

interface Tracked {
  release: (resource: object) => void;
  kind: string;
}

/** Builds one instance's host imports (keyed as jco keys them) on that instance's scope. */
export type InstanceImports = (scope: InstanceScope) => Record<string, object>;

/**
 * One instance's import object as a layer over the function's shared one: `forInstance(scope)`'s
 * entries are the instance's own properties, everything else is read through the prototype
 * (`shared`), which the glue reads like any other property. `keys` are the import keys the
 * component reads: a versioned one (`wasi:filesystem/types@0.2.3`, kept by jco when two versions
 * are imported) that `shared` lacks gets the entry of its unversioned per-instance key. An entry
 * of `shared` wins over a per-instance one of the same key (the app's own imports override WASI).
 */
export function layeredImports(shared: Record<string, object>, forInstance: InstanceImports, keys: readonly string[], stripVersion: (key: string) => string): InstanceImports {
  const versioned = keys.filter((k) => !(k in shared) && stripVersion(k) !== k).map((k) => [k, stripVersion(k)] as const);
  return (scope) => {
    const own = forInstance(scope);
    const out = Object.create(shared) as Record<string, object>;
    for (const k in own) if (!(k in shared)) out[k] = own[k]!;
    for (const [k, plain] of versioned) if (!(k in out) && plain in own) out[k] = own[plain]!;
    return out;
  };
}
