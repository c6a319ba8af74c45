/**
 * Ownership of the `wasi:http` resources a guest holds.
 *
 * Every resource is registered with an owner: the `InstanceScope` of the instance that created it
 * (for what the guest constructs: fields, responses, outgoing requests, request options, and
 * everything derived from them), or the request's own scope (for the incoming request, its
 * response-outparam and everything derived from them, released when the `handle` call ends, so a
 * handle a guest keeps past its request reaches nothing of that request's caller). Releasing a
 * resource wipes what it holds; a later use of it is a trap.
 */

/** What owns resources: an `InstanceScope` (lib/host/scope.ts) fits. */
export interface ResourceOwner {
  track<T extends object>(resource: T, kind: string, release: (resource: T) => void): T;
  untrack(resource: object): void;
  count(kind: string): number;
}

/** The kind every `wasi:http` resource is counted under in its owner. */
export const HTTP_RESOURCE_KIND = 'wasi:http';

/**
 * Live `wasi:http` resources one owner may hold at once (a request needs about ten). Past it,
 * creating one traps: a guest that never drops what it creates cannot grow host memory unbounded.
 */
export const MAX_LIVE_HTTP_RESOURCES = 1024;

/** Trap raised when a guest uses a resource after its owner released it, or creates too many. */
export class HttpResourceTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpResourceTrap';
  }
}

const release = (r: { release(): void }) => r.release();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor = abstract new (...args: any[]) => object;

/**
 * Adds resource ownership to `Base` (a mixin: the stream classes must extend the shim's, whose
 * prototypes the glue checks with `instanceof`): owner registration, release, and the drop hook.
 */
export function resourceClass<B extends Constructor>(Base: B) {
  abstract class Resource extends Base {
    // `declare`d, with defaults on the prototype below: a field initializer here would run in the
    // shared base of every resource class, and such polymorphic defining stores cost ~µs each.
    /** Owner this resource is registered with (children are registered with their parent's). */
    declare owner: ResourceOwner | undefined;
    declare released: boolean;
    /** Index in the `RequestScope` that owns it (see there); -1 otherwise. */
    declare scopeSlot: number;

    /** Registers with `owner` (none: plain garbage collection, as before per-instance imports). */
    adopt(owner: ResourceOwner | undefined): this {
      if (!owner) return this;
      if (owner.count(HTTP_RESOURCE_KIND) >= MAX_LIVE_HTTP_RESOURCES) {
        throw new HttpResourceTrap(`guest holds more than ${MAX_LIVE_HTTP_RESOURCES} wasi:http resources`);
      }
      this.owner = owner;
      owner.track(this, HTTP_RESOURCE_KIND, release);
      return this;
    }

    /** Throws (a trap for the guest) once released. */
    alive(): void {
      if (this.released) throw new HttpResourceTrap('use of a wasi:http resource that belongs to a finished request');
    }

    /** Drops what the resource holds; later uses trap. Subclasses wipe their state in `wipe`. */
    release(): void {
      if (this.released) return;
      this.released = true;
      this.wipe();
    }

    abstract wipe(): void;

    /** The guest dropped its handle: stop counting it against the owner. */
    [Symbol.dispose](): void {
      this.owner?.untrack(this);
      this.dropped();
    }

    /** What a drop means beyond uncounting (an outgoing body dropped unfinished is aborted). */
    dropped(): void {}
  }
  Resource.prototype.owner = undefined;
  Resource.prototype.released = false;
  Resource.prototype.scopeSlot = -1;
  return Resource;
}

/** Base of the `wasi:http/types` resource classes. */
export abstract class HttpResource extends resourceClass(Object) {}

/** A resource as a `RequestScope` holds it: `scopeSlot` is its index in the scope's list (-1: none). */
interface Slotted { release(): void; scopeSlot: number }

/**
 * The owner of one incoming request's resources, released when its `handle` call ends. Lighter
 * than an `InstanceScope` (no counts by kind), and O(1) per track/untrack: a guest that creates and
 * drops resources in a loop costs constant time per resource, and the list holds only live ones.
 * The resources are kept in a plain array, each knowing its index (`scopeSlot`, a number on the
 * resource): an untrack moves the last one into the freed slot. A `Set` cost ~0.7 µs per request
 * of the hello component (about ten resources); this is a few array stores.
 */
export class RequestScope implements ResourceOwner {
  #live: Slotted[] = [];
  track<T extends object>(resource: T): T {
    const r = resource as unknown as Slotted;
    r.scopeSlot = this.#live.push(r) - 1;
    return resource;
  }
  untrack(resource: object): void {
    const r = resource as Slotted;
    const live = this.#live;
    const i = r.scopeSlot;
    // Not ours (another owner's, or already untracked): nothing to do.
    if (!(i >= 0) || live[i] !== r) return;
    const last = live.pop()!;
    if (last !== r) { live[i] = last; last.scopeSlot = i; }
    r.scopeSlot = -1;
  }
  count(): number { return this.#live.length; }
  /** Releases everything still registered. */
  releaseAll(): void {
    const live = this.#live;
    this.#live = [];
    for (let i = 0; i < live.length; i++) {
      const r = live[i]!;
      r.scopeSlot = -1;
      r.release();
    }
  }
}

/**
 * The owner of what a guest constructs while no instance scope owns it (imports shared by every
 * instance, `wasiHttpImports()`): the request whose `handle` call is running, set around the
 * synchronous part of the call (see `runIncomingHandler`). Undefined outside a call.
 */
export let currentRequestOwner: ResourceOwner | undefined;

/** Makes `owner` the owner of what the guest constructs from now on; returns the previous one (to put back). */
export function setRequestOwner(owner: ResourceOwner | undefined): ResourceOwner | undefined {
  const previous = currentRequestOwner;
  currentRequestOwner = owner;
  return previous;
}

/** Runs `fn` with `owner` as the owner of what the guest constructs meanwhile. */
export function withRequestOwner<T>(owner: ResourceOwner, fn: () => T): T {
  const previous = currentRequestOwner;
  currentRequestOwner = owner;
  try {
    return fn();
  } finally {
    currentRequestOwner = previous;
  }
}
