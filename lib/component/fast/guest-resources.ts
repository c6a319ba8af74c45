/**
 * Handles of resources the component defines (and exports), exactly as jco 1.35's glue keeps
 * them: one table per resource type and instance, `[free-list head | T_FLAG, 0, scope, rep | T_FLAG,
 * ...]`, shared by the guest's `resource.new/rep/drop` and the host's handle objects. A handle
 * object is an instance of the resource's per-instance class carrying its table index under a
 * private symbol; lowering it as `own` moves the handle into the guest (the object is spent),
 * lowering it as `borrow` passes the rep (the callee defines the type), `[Symbol.dispose]()` drops
 * it and runs the destructor.
 *
 * Unlike jco, no FinalizationRegistry runs a destructor when an undisposed object is collected:
 * that would run guest code outside any call and its limits. The runtime releases what its own
 * handles hold (lib/invoke/handles.ts).
 */

const T_FLAG = 1 << 30;

/** The private key of a handle object's table index. */
export const GUEST_HANDLE: unique symbol = Symbol('handle') as never;
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');
const emptyFunc = (): void => {};

type HandleObject = Record<symbol, unknown>;

/** The handles of one defined resource type in one component instance. */
export class GuestResourceTable {
  /** `[free-list head | T_FLAG, 0, scope, rep | T_FLAG, ...]` as in jco. */
  private readonly slots: number[] = [T_FLAG, 0];
  /** The class handle objects are made of (the exported class, once the export object is built). */
  cls: { prototype: object } = { prototype: Object.prototype };

  /**
   * @param className jco's class name, for its error messages.
   * @param dtor the destructor, called with the rep when an owned handle is dropped (resolved
   *   lazily: it is a core export that exists only once the instance is built).
   */
  constructor(readonly className: string, private readonly dtor: () => ((rep: number) => void) | undefined) {}

  /** The slots right after initialisation, restored by `reset()`. */
  private saved: number[] | undefined;

  /** Records the table as it is after initialisation. */
  mark(): void {
    this.saved = this.slots.slice();
  }

  /**
   * Restores the table to `mark()` (pool `reset`): the guest's own handles restart with its
   * restored memory. Host handle objects lifted since are pinned by their `ResourceHandle`s, so a
   * pinned instance is never reset (lib/invoke/handles.ts).
   */
  reset(): void {
    const saved = this.saved!;
    const t = this.slots;
    t.length = saved.length;
    for (let i = 0; i < t.length; i++) t[i] = saved[i]!;
  }

  // ---- the guest's built-ins ----

  /** `canon resource.new`: a new owned handle for `rep`. */
  readonly newHandle = (rep: number): number => {
    const t = this.slots;
    const free = t[0]! & ~T_FLAG;
    if (free === 0) {
      t.push(0, rep | T_FLAG);
      return (t.length >> 1) - 1;
    }
    t[0] = t[free << 1]!;
    t[free << 1] = 0;
    t[(free << 1) + 1] = rep | T_FLAG;
    return free;
  };

  /** `canon resource.rep`. */
  readonly rep = (handle: number): number => {
    const scope = this.slots[handle << 1]!;
    const val = this.slots[(handle << 1) + 1]!;
    const rep = val & ~T_FLAG;
    if (rep === 0 || (scope & T_FLAG) !== 0) throw new WebAssembly.RuntimeError(`unknown handle index ${(handle << 1) + 1}`);
    return rep;
  };

  /** `canon resource.drop`: frees the handle; an owned one runs the destructor. */
  readonly dropHandle = (handle: number): void => {
    const { rep, own } = this.remove(handle);
    if (own) this.dtor()?.(rep);
  };

  // ---- the host side ----

  /** Guest → host `own<R>` (an export's result): a new handle object. */
  liftOwn(handle: number): object {
    const obj = Object.create(this.cls.prototype) as HandleObject;
    Object.defineProperty(obj, GUEST_HANDLE, { writable: true, value: handle });
    Object.defineProperty(obj, DISPOSE, {
      writable: true,
      value: () => {
        const { rep } = this.remove(handle);
        obj[DISPOSE] = emptyFunc;
        obj[GUEST_HANDLE] = undefined;
        this.dtor()?.(rep);
      },
    });
    return obj;
  }

  /** Host → guest `own<R>`: the object's handle moves into the guest; the object is spent. */
  lowerOwn(v: unknown): number {
    const obj = v as HandleObject;
    const handle = obj[GUEST_HANDLE] as number | undefined;
    if (!handle) throw new TypeError(`Resource error: Not a valid "${this.className}" resource.`);
    obj[DISPOSE] = emptyFunc;
    obj[GUEST_HANDLE] = undefined;
    return handle;
  }

  /** Host → guest `borrow<R>` (the guest defines R): the rep behind a live owned handle. */
  lowerBorrow(v: unknown): number {
    const handle = (v as HandleObject)[GUEST_HANDLE] as number | undefined;
    if (!handle || (this.slots[(handle << 1) + 1]! & T_FLAG) === 0) {
      throw new TypeError(`Resource error: Not a valid "${this.className}" resource.`);
    }
    return this.slots[(handle << 1) + 1]! & ~T_FLAG;
  }

  /** jco's `rscTableRemove`, with its checks. */
  private remove(handle: number): { rep: number; own: boolean } {
    const t = this.slots;
    const scope = t[handle << 1]!;
    const val = t[(handle << 1) + 1]!;
    const own = (val & T_FLAG) !== 0;
    const rep = val & ~T_FLAG;
    if (val === 0 || (scope & T_FLAG) !== 0) throw new WebAssembly.RuntimeError(`unknown handle index ${(handle << 1) + 1}`);
    if (own && scope !== 0) throw new WebAssembly.RuntimeError('cannot remove owned resource while borrowed');
    t[handle << 1] = t[0]! | T_FLAG;
    t[0] = handle | T_FLAG;
    return { rep, own };
  }
}
