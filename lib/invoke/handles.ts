/**
 * Handles of resources a component defines, as `call()`/`invoke()` give and take them.
 *
 * A constructor (or any export returning `own<R>` of such a resource) resolves to a
 * `ResourceHandle`; methods take it as their first argument (`self`, a borrow), other functions
 * take it where their signature has `own<R>` (the handle moves into the guest and is spent) or
 * `borrow<R>` (lent for the call). `handle.drop()` runs the resource's destructor in the guest,
 * under the function's limits.
 *
 * A resource lives in one instance, so a handle pins the instance that made it: while any handle
 * of an instance is alive the pool does not hand that instance to other calls, and does not reset
 * or discard it (whatever the pool mode); calls given a handle run on its instance. When the last
 * handle is dropped or moved, the instance goes back to the pool as after any call (`fresh`:
 * discarded, `reset`: restored). A pinned instance counts toward the pool's `max`. If the instance
 * fails (trap, limit) or the function is closed, every handle on it becomes invalid
 * (`INVALID_HANDLE`). A handle that is garbage-collected without `drop()` unpins too; its instance,
 * which still holds the guest resource, is then discarded rather than reused.
 */
import { inspect } from 'node:util';
import { InvalidArgumentError, InvalidHandleError, type InvalidHandleReason } from '../errors.js';
import { describeValue, isNullable } from '../component/wit/validate.js';
import { toLowerCamel, type ResolvedType } from '../component/wit/types.js';
import type { ComponentInstance } from '../pool/instance.js';

const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** One live (or dead) handle, as its registry keeps it. Holds no reference to the handle object. */
export interface HandleState {
  /** `interface#resource`, e.g. `exports#x` or `test:r/api#thing`. */
  readonly resource: string;
  readonly instance: ComponentInstance;
  /** The glue's own object for the resource (jco's class instance or the fast glue's). */
  readonly glue: Record<symbol, unknown>;
  readonly registry: HandleRegistry;
  dead: InvalidHandleReason | undefined;
}

const states = new WeakMap<ResourceHandle, HandleState>();

/**
 * A resource owned through one instance of one function. Opaque: no enumerable properties;
 * compare handles by identity.
 */
export class ResourceHandle {
  /** @internal Made by the runtime only. */
  constructor(state: HandleState) {
    states.set(this, state);
  }

  /** The resource type, `interface#name` (`exports#x`, `test:r/api#thing`). */
  get resource(): string { return states.get(this)!.resource; }

  /** False once dropped, moved into the guest, or invalidated with its instance. */
  get alive(): boolean { return states.get(this)!.dead === undefined; }

  /**
   * Drops the resource: its destructor runs in the guest, under the function's limits.
   * @throws InvalidHandleError when the handle is no longer alive; a typed error when the
   *   destructor fails (its instance is then discarded).
   */
  drop(): void {
    const s = states.get(this)!;
    s.registry.drop(s);
  }

  /** `using` support: drops the handle if it is still alive. */
  [Symbol.dispose](): void {
    if (this.alive) this.drop();
  }

  [inspect.custom](): string {
    const s = states.get(this)!;
    return `ResourceHandle <${s.resource}${s.dead ? `, ${s.dead}` : ''}>`;
  }
}
if (DISPOSE !== Symbol.dispose) (ResourceHandle.prototype as unknown as Record<symbol, unknown>)[DISPOSE] = ResourceHandle.prototype[Symbol.dispose];

/** What the registry asks of its function. */
export interface HandleHost {
  /** Runs the glue object's destructor on the handle's instance, under limits; ends the handle. */
  runDrop(state: HandleState): void;
  /** A handle was collected undropped: its instance, once nothing pins it, must not be reused. */
  collected(instance: ComponentInstance): void;
}

/** The handles of one function: which instances they pin, and their lifetimes. */
export class HandleRegistry {
  readonly #live = new Map<ComponentInstance, Set<HandleState>>();
  readonly #finalizer = new FinalizationRegistry<HandleState>((s) => this.#collected(s));

  constructor(private readonly host: HandleHost, readonly functionName: string) {}

  /** A new handle for the glue object `glue` of `resource`, pinning `instance`. */
  wrap(instance: ComponentInstance, resource: string, glue: object): ResourceHandle {
    const state: HandleState = { resource, instance, glue: glue as Record<symbol, unknown>, registry: this, dead: undefined };
    let pin = this.#live.get(instance);
    if (!pin) this.#live.set(instance, (pin = new Set()));
    pin.add(state);
    const handle = new ResourceHandle(state);
    this.#finalizer.register(handle, state, state);
    return handle;
  }

  /**
   * The state behind an argument where the signature has a handle of `resource`.
   * @throws InvalidArgumentError for anything but a handle of that resource; InvalidHandleError
   *   for a handle that is not alive or belongs to another function.
   */
  stateOf(value: unknown, resource: string, where: string): HandleState {
    const s = value instanceof ResourceHandle ? states.get(value) : undefined;
    if (!s) throw new InvalidArgumentError(`${where}: expected a handle of resource \`${resource}\` (returned by a call), got ${describeValue(value)}`);
    if (s.registry !== this) throw new InvalidHandleError('other-function', `${where}: the handle belongs to another function than \`${this.functionName}\``);
    if (s.resource !== resource) throw new InvalidArgumentError(`${where}: expected a handle of resource \`${resource}\`, got one of \`${s.resource}\``);
    if (s.dead) throw new InvalidHandleError(s.dead, `${where}: the handle of \`${s.resource}\` is no longer usable (${s.dead})`);
    return s;
  }

  /** True while some live handle pins `instance`. */
  isPinned(instance: ComponentInstance): boolean {
    return this.#live.has(instance);
  }

  /** Marks a handle dead (moved into the guest, dropped, ...); unpins its instance with the last one. */
  end(state: HandleState, reason: InvalidHandleReason): void {
    if (state.dead) return;
    state.dead = reason;
    this.#finalizer.unregister(state);
    const pin = this.#live.get(state.instance);
    if (!pin) return;
    pin.delete(state);
    if (pin.size === 0) this.#live.delete(state.instance);
  }

  /** The instance failed or is discarded: all its handles die. The caller disposes of the instance. */
  instanceGone(instance: ComponentInstance, reason: InvalidHandleReason): void {
    const pin = this.#live.get(instance);
    if (!pin) return;
    for (const s of [...pin]) this.end(s, reason);
  }

  /** Runs a handle's destructor (see `ResourceHandle.drop`). */
  drop(state: HandleState): void {
    if (state.dead) throw new InvalidHandleError(state.dead, `the handle of \`${state.resource}\` is no longer usable (${state.dead})`);
    this.host.runDrop(state);
  }

  /** Every pinned instance, their handles invalidated (the function is closing). */
  closeAll(): ComponentInstance[] {
    const instances = [...this.#live.keys()];
    for (const i of instances) this.instanceGone(i, 'closed');
    return instances;
  }

  #collected(state: HandleState): void {
    if (state.dead) return;
    this.end(state, 'collected');
    this.host.collected(state.instance);
  }
}

/**
 * A compiled walk over the handles of guest-defined resources inside a value of one WIT type:
 * returns the value with every handle replaced by `visit(handle, resource, own)` (new containers;
 * the input is not modified).
 */
export type HandleWalk = (value: unknown, visit: (v: unknown, resource: string, own: boolean) => unknown) => unknown;

/**
 * Compiles the walk for `t`, or undefined when `t` holds no handle of a guest-defined resource.
 * `guestResource` names (`interface#resource`) a resource the component defines, else undefined.
 */
export function handleWalk(t: ResolvedType, guestResource: (r: ResolvedType) => string | undefined): HandleWalk | undefined {
  switch (t.kind) {
    case 'own': case 'borrow': {
      const name = guestResource(t.resource);
      if (name === undefined) return undefined;
      const own = t.kind === 'own';
      return (v, visit) => visit(v, name, own);
    }
    case 'list': {
      const w = handleWalk(t.element, guestResource);
      return w && ((v, visit) => (Array.isArray(v) ? v.map((x) => w(x, visit)) : v));
    }
    case 'option': {
      const w = handleWalk(t.some, guestResource);
      if (!w) return undefined;
      // jco: an option whose payload is nullable is tagged; otherwise null/undefined is none.
      if (isNullable(t.some)) return (v, visit) => tagged(v, (tag) => (tag === 'some' ? w : undefined), visit);
      return (v, visit) => (v === undefined || v === null ? v : w(v, visit));
    }
    case 'result': {
      const ok = t.ok && handleWalk(t.ok, guestResource);
      const err = t.err && handleWalk(t.err, guestResource);
      if (!ok && !err) return undefined;
      return (v, visit) => tagged(v, (tag) => (tag === 'ok' ? ok : tag === 'err' ? err : undefined), visit);
    }
    case 'variant': {
      const cases = new Map(t.cases.map((c) => [c.name, c.type && handleWalk(c.type, guestResource)] as const));
      if (![...cases.values()].some(Boolean)) return undefined;
      return (v, visit) => tagged(v, (tag) => cases.get(tag as string), visit);
    }
    case 'tuple': {
      const ws = t.elements.map((e) => handleWalk(e, guestResource));
      if (!ws.some(Boolean)) return undefined;
      return (v, visit) => (Array.isArray(v) ? v.map((x, i) => (ws[i] ? ws[i]!(x, visit) : x)) : v);
    }
    case 'record': {
      const fields = t.fields.map((f) => [toLowerCamel(f.name), handleWalk(f.type, guestResource)] as const).filter(([, w]) => w);
      if (fields.length === 0) return undefined;
      return (v, visit) => {
        if (typeof v !== 'object' || v === null) return v;
        const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
        for (const [k, w] of fields) out[k] = w!(out[k], visit);
        return out;
      };
    }
    default: return undefined;
  }
}

function tagged(v: unknown, walkOf: (tag: unknown) => HandleWalk | undefined, visit: Parameters<HandleWalk>[1]): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const w = walkOf((v as { tag?: unknown }).tag);
  return w ? { ...(v as object), val: w((v as { val?: unknown }).val, visit) } : v;
}
