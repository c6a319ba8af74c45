/**
 * Handles of imported (host-defined) resources, exactly as jco 1.35's glue keeps them: one table
 * per resource type and instance, laid out as `[scope, rep | T_FLAG]` pairs with an in-table
 * free list, plus a "capture table" from rep to the host's JS object. Keeping jco's layout (and
 * its lack of checks on borrows) makes every handle number, error and dispose call identical.
 */

import { disposeHostObject } from '../glue-state.js';

/** jco's flag bit: set on the rep cell of a live own handle and on free-list links. */
const T_FLAG = 1 << 30;

/** jco's private "this placeholder already has a handle" key; ours is equally private. */
const HANDLE = Symbol('handle');
/** A host object may carry its own rep under this global key (jco reads it when lowering). */
const REP = Symbol.for('cabiRep');
const CABI_DISPOSE = Symbol.for('cabiDispose');
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/**
 * Source of `HandleTable.lowerOwn(v)` for table `table` written inline (trampoline.ts), leaving the
 * handle in `out`: the same class check, the same reads of `v` in the same order, then `ownNew`.
 * A megamorphic `instanceof` and two megamorphic symbol reads in the shared method were ~0.08 µs
 * per handle; at a site of its own each sees one class. `HANDLE` and `REP` are its arguments' names.
 */
export function ownLowering(table: string, v: string, out: string): string {
  return `const ${out}t = ${table}; if (!(${v} instanceof ${out}t.cls)) throw ${out}t.invalid();
      const ${out}e = ${v}[HANDLE]; const ${out} = ${out}e ? ${out}e : ${out}t.ownNew(${v}, ${v}[REP]);`;
}

/** The keys `ownLowering`'s source reads, by the names it uses. */
export const OWN_KEYS = { HANDLE, REP };

type HostClass = (abstract new (...args: never[]) => object) & Record<PropertyKey, unknown>;

/** The handles of one imported resource type in one component instance. */
export class HandleTable {
  /**
   * `[free-list head | T_FLAG, 0, scope, rep | T_FLAG, ...]` as in jco, whose length is {@link n}:
   * cells at `n` and beyond are stale (they read as absent, see `cell`). A reset only moves `n`
   * back, never the array's length: setting a JS array's length far below its capacity makes V8
   * trim it, and the next handle grow it again (a new backing store per table per call, ~1.5 KB of
   * a wasi:http request's ~10 KB of garbage).
   */
  private readonly slots: (number | undefined)[] = [T_FLAG, 0];
  /** The table's length as jco's array would have it. */
  private n = 2;
  /**
   * rep → host object. An object that is gone leaves its key mapped to `undefined` (see `forget`):
   * every read treats that as absent, as jco's deleted key.
   */
  private readonly objects = new Map<number, object | undefined>();
  /** Upper bound on the keys of `objects` mapped to `undefined` (a revived key is not subtracted). */
  private dead = 0;
  /** Keys of `objects` mapped to an object. */
  private live = 0;
  private reps = 0;
  /** Set by every change to the table since `mark()`/`reset()`: an untouched table needs no restore. */
  private touched = false;

  /** `cls` is the host's class from the import object (undefined while the type is unused). */
  constructor(readonly cls: HostClass | undefined, readonly className: string) {}

  /**
   * Host → guest `own<R>`: checks the class, registers the object, returns a new handle. The
   * trampolines generated in trampoline.ts inline their own copy of the check and the two reads
   * (see `ownLowering`), so that each site sees one class, and end in `ownNew`.
   */
  lowerOwn(obj: unknown): number {
    const cls = this.cls!;
    if (!(obj instanceof cls)) throw this.invalid();
    const o = obj as Record<symbol, unknown>;
    const existing = o[HANDLE] as number | undefined;
    if (existing) return existing;
    return this.ownNew(obj, o[REP]);
  }

  /** `lowerOwn` past its checks, for an object without a handle whose `cabiRep` property is `rep`. */
  ownNew(obj: object, rep: unknown): number {
    this.touched = true;
    const r = (rep as number) || ++this.reps;
    this.keep(r, obj);
    return this.createOwn(r);
  }

  /** The error of lowering a value that is not an instance of the resource's class. */
  invalid(): TypeError {
    return new TypeError(`Resource error: Not a valid "${this.className}" resource.`);
  }

  /**
   * Host → guest `borrow<R>` (an export's parameter): a borrow handle lent for the object, as
   * jco lends it (scope 0; the guest is expected to drop it before returning).
   */
  lowerBorrow(obj: unknown): number {
    const cls = this.cls!;
    if (!(obj instanceof cls)) throw new TypeError(`Resource error: Not a valid "${this.className}" resource.`);
    const o = obj as Record<symbol, unknown>;
    const existing = o[HANDLE] as number | undefined;
    if (existing) return existing;
    this.touched = true;
    const rep = (o[REP] as number) || ++this.reps;
    this.keep(rep, obj);
    return this.take(rep);
  }

  /** Guest → host `own<R>`: the object behind the handle; the handle is released. */
  liftOwn(handle: number): object {
    this.touched = true;
    const rep = this.cell((handle << 1) + 1)! & ~T_FLAG;
    let obj = this.objects.get(rep);
    if (!obj) obj = this.placeholder(handle, rep);
    else this.forget(rep);
    this.remove(handle);
    return obj;
  }

  /** Guest → host `borrow<R>`: the object behind the handle (jco does not validate borrows). */
  liftBorrow(handle: number): object {
    const rep = this.cell((handle << 1) + 1)! & ~T_FLAG;
    return this.objects.get(rep) ?? this.placeholder(handle, rep);
  }

  /** `canon resource.drop`: releases the handle and disposes of an owned host object. */
  drop(handle: number): void {
    this.touched = true;
    const val = this.remove(handle);
    if ((val & T_FLAG) === 0) return;
    const rep = val & ~T_FLAG;
    const obj = this.objects.get(rep) as Record<symbol, unknown> | undefined;
    if (obj) {
      const dispose = obj[DISPOSE] as (() => void) | undefined;
      if (dispose) dispose.call(obj);
      this.forget(rep);
    } else if (this.cls?.[CABI_DISPOSE]) {
      (this.cls[CABI_DISPOSE] as (rep: number) => void)(rep);
    }
  }

  /** The table right after initialisation (`mark()`), restored by `reset()`. */
  private saved: { slots: number[]; objects: Map<number, object>; reps: number } | undefined;

  /** Records the table as it is after initialisation. */
  mark(): void {
    const objects = new Map<number, object>();
    for (const [rep, obj] of this.objects) if (obj !== undefined) objects.set(rep, obj);
    this.saved = { slots: this.slots.slice(0, this.n) as number[], objects, reps: this.reps };
    this.touched = false;
  }

  /**
   * The object of `rep` is gone. Its key stays, mapped to `undefined`: deleting it would let V8
   * shrink the map's table, and the next handle grow it again (two table allocations per handle
   * for a guest that holds one or two at a time, ~1.4 KB per wasi:http request). Reps restart at
   * each reset, so the same keys serve the next call; stale keys are swept once they are many.
   */
  private forget(rep: number): void {
    this.live--;
    this.objects.set(rep, undefined);
    if (++this.dead > 64 && this.dead > this.objects.size >> 1) this.sweep();
  }

  /** Maps `rep` to `obj` (a new key, a revived one, or the same object again). */
  private keep(rep: number, obj: object): void {
    if (this.objects.get(rep) === undefined) this.live++;
    this.objects.set(rep, obj);
  }

  private sweep(): void {
    for (const [rep, obj] of this.objects) if (obj === undefined) this.objects.delete(rep);
    this.dead = 0;
  }

  /**
   * Restores the table to `mark()`: handle numbers restart, and every host object handed to the
   * guest since is disposed of, as if the guest had dropped it (see lib/component/glue-state.ts).
   */
  reset(): void {
    // Every path that changes slots, objects or reps sets `touched` first (placeholders
    // change nothing), so an untouched table is exactly as `mark()` or the last reset left it.
    if (!this.touched) return;
    this.touched = false;
    const saved = this.saved!;
    const t = this.slots;
    if (this.n === 2 && saved.slots.length === 2 && this.live === 0 && saved.objects.size === 0) return;
    const n = saved.slots.length;
    // A table a guest made huge (out-of-range handles extend it, as in jco) is cut back.
    if (t.length > 4 * n + 1024) t.length = n;
    for (let i = 0; i < n; i++) t[i] = saved.slots[i]!;
    this.n = n;
    // The usual case: the guest dropped (or returned) everything, no object is left to dispose of
    // (only keys mapped to `undefined`).
    if (this.live !== 0) {
      for (const [rep, obj] of this.objects) {
        if (obj === undefined || saved.objects.get(rep) === obj) continue;
        this.forget(rep);
        disposeHostObject(obj);
      }
    }
    if (saved.objects.size !== 0) for (const [rep, obj] of saved.objects) this.keep(rep, obj);
    this.reps = saved.reps;
  }

  /** Disposes of every host object the guest holds (the instance is discarded). */
  releaseAll(): void {
    const objects = [...this.objects.values()];
    this.objects.clear();
    this.dead = 0;
    this.live = 0;
    for (const obj of objects) if (obj !== undefined) disposeHostObject(obj);
  }

  /** What jco hands the host for a handle it has no object for (a guest bug): a bare instance. */
  private placeholder(handle: number, rep: number): object {
    const obj = Object.create(this.cls!.prototype as object) as object;
    Object.defineProperty(obj, HANDLE, { writable: true, value: handle });
    Object.defineProperty(obj, REP, { writable: true, value: rep });
    return obj;
  }

  private createOwn(rep: number): number {
    return this.take(rep | T_FLAG);
  }

  /** A new handle whose rep cell is `repCell`: the free list's head, or a new pair at the end (jco's `push`). */
  private take(repCell: number): number {
    const free = this.cell(0)! & ~T_FLAG;
    if (free === 0) {
      const n = this.n;
      this.set(n, 0);
      this.set(n + 1, repCell);
      return ((n + 2) >> 1) - 1;
    }
    this.set(0, this.cell(free << 1)!);
    this.set(free << 1, 0);
    this.set((free << 1) + 1, repCell);
    return free;
  }

  /** Cell `i` as jco's array reads it: absent at or past the length (a negative `i` is a plain property, as there). */
  private cell(i: number): number | undefined {
    return i < this.n ? this.slots[i] : undefined;
  }

  /** Writes cell `i` as jco's array does: past the length, the array grows to `i + 1` with holes between. */
  private set(i: number, value: number): void {
    const t = this.slots;
    if (i < this.n) { t[i] = value; return; }
    if (i === this.n) { t[i] = value; this.n = i + 1; return; }
    // Past the end (a guest's out-of-range handle): stale cells must read as holes, so the array
    // is cut to the table's length first and grows as jco's would (an index past 2^32 - 2 is a
    // plain property and leaves the length as it is).
    t.length = this.n;
    t[i] = value;
    this.n = t.length;
  }

  /** Frees the handle; returns its rep cell (the rep, with T_FLAG when the handle was an own). */
  private remove(handle: number): number {
    const scope = this.cell(handle << 1)!;
    const val = this.cell((handle << 1) + 1)!;
    const own = (val & T_FLAG) !== 0;
    // Same checks as jco, including what they let through: an out-of-range handle reads
    // `undefined` cells, passes both, and is "freed" like jco does it.
    if (val === 0 || (scope & T_FLAG) !== 0) throw new WebAssembly.RuntimeError(`unknown handle index ${(handle << 1) + 1}`);
    if (own && scope !== 0) throw new WebAssembly.RuntimeError('cannot remove owned resource while borrowed');
    this.set(handle << 1, this.cell(0)! | T_FLAG);
    this.set(0, handle | T_FLAG);
    return val;
  }
}
