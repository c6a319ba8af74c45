/**
 * The resource handle tables a component's glue keeps per instance, as state a pool can reset.
 *
 * Both glues (ours in lib/component/fast, jco's generated one) keep, per instance, one table per
 * resource type mapping the guest's handle numbers to reps, and for imported (host) resources a
 * map from rep to the host's object. Those tables outlive a call: a guest that opens a file and
 * returns leaves an entry behind, and the next caller could name that handle number. So each
 * glue records its tables right after initialisation and hangs a `GlueState` on the export object
 * under `GLUE_STATE`:
 *
 * - `reset()` (pool `reset`) puts every table back as it was after initialisation, so a later
 *   caller sees no handle number an earlier one was given, and disposes of (`[Symbol.dispose]`,
 *   as the guest dropping it would) every host object handed to the guest since;
 * - `releaseAll()` (the instance is discarded) disposes of every host object the guest still holds.
 *
 * Host objects of WASI, `wasi:nn` and `wasi:http` are also released through the instance's
 * `InstanceScope`; disposing of them twice is harmless (their release is idempotent). The glue's
 * tables are the only place that reaches resources of the app's own host imports.
 *
 * jco's glue is generated code: `withGlueState` adds the hook to its text before it is evaluated,
 * from the shapes jco 1.35 emits (`const handleTableN = [T_FLAG, 0];`, `const captureTableN= new
 * Map();`, the init generator's final `return {`). Glue it does not recognise is left as is and
 * reports no state: the runtime then discards such instances after each call instead of resetting
 * them (`fresh` behaviour), which is safe.
 */

/** Where a glue's export object carries its `GlueState` (a registered symbol: the jco text names it too). */
export const GLUE_STATE: unique symbol = Symbol.for('sfirt.glueState') as never;

/** A glue instance's handle tables, restorable to their post-initialisation state. */
export interface GlueState {
  /**
   * Records every table as it is now as the post-initialisation state (the glue records it once
   * when it is built; the runtime records it again after the guest's init export ran).
   */
  mark(): void;
  /** Restores every handle table; disposes of the host objects handed out since initialisation. */
  reset(): void;
  /** Disposes of every host object the guest still holds (the instance is being discarded). */
  releaseAll(): void;
}

/** The `GlueState` of an export object, if its glue provides one. */
export function glueStateOf(exports: Record<PropertyKey, unknown>): GlueState | undefined {
  return exports[GLUE_STATE] as GlueState | undefined;
}

/** Calls a host object's disposer, as the glue does when the guest drops an owned handle; never throws. */
export function disposeHostObject(obj: unknown): void {
  const dispose = (obj as Record<symbol, unknown> | undefined)?.[DISPOSE];
  if (typeof dispose !== 'function') return;
  try {
    (dispose as () => void).call(obj);
  } catch {
    // The app's (or a host interface's) disposer failed: releasing is best effort, like the
    // scope's, and must neither stop the other releases nor reach a caller.
  }
}

const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

const HANDLE_TABLE = /^\s*const (handleTable\d+) = \[T_FLAG, 0\];$/gm;
const CAPTURE_TABLE = /^\s*const (captureTable\d+)= new Map\(\);$/gm;
/**
 * The init generator's final statement, `return { ... };` on one line just before the generator's
 * `})();` and jco's `let promise, resolve, reject;` (indented or not, as jco emits either).
 */
const FINAL_RETURN = /\n([ \t]*)return \{(?=[^\n]*\n[ \t]*\}\)\(\);\n[ \t]*let promise, resolve, reject;)/g;

/**
 * jco's glue text with a `GlueState` on the object its `instantiate` returns, or the text as is
 * when it does not have the expected shape (no resources: nothing to reset; or another jco).
 */
export function withGlueState(source: string): { source: string; patched: boolean } {
  const tables = [...source.matchAll(HANDLE_TABLE)].map((m) => m[1]!);
  const captures = [...source.matchAll(CAPTURE_TABLE)].map((m) => m[1]!);
  const returns = [...source.matchAll(FINAL_RETURN)];
  if (returns.length !== 1) return { source, patched: false };
  const match = returns[0]!;
  const indent = match[1]!;
  const hook = `\n${indent}const sfirtGlueState = (${glueStateFactory.toString()})([${tables.join(', ')}], [${captures.join(', ')}]);` +
    `\n${indent}return {[Symbol.for('sfirt.glueState')]: sfirtGlueState, `;
  return { source: source.slice(0, match.index!) + hook + source.slice(match.index! + match[0].length), patched: true };
}

/**
 * Runs inside jco's glue (its text is inserted there): records jco's tables now, right after
 * initialisation. Self-contained on purpose: it cannot see this module's scope.
 */
function glueStateFactory(tables: (number[] & { _createdReps?: Set<number> })[], captures: Map<number, unknown>[]) {
  const dispose = Symbol.dispose || Symbol.for('dispose');
  const release = (obj: unknown) => {
    const f = (obj as Record<symbol, unknown> | undefined)?.[dispose];
    if (typeof f === 'function') try { f.call(obj); } catch { /* best effort */ }
  };
  let savedTables: number[][] = [];
  let savedReps: Set<number>[] = [];
  let savedCaptures: Map<number, unknown>[] = [];
  const mark = (): void => {
    savedTables = tables.map((t) => t.slice());
    savedReps = tables.map((t) => new Set(t._createdReps ?? []));
    savedCaptures = captures.map((c) => new Map(c));
  };
  mark();
  return {
    mark,
    reset(): void {
      for (let i = 0; i < tables.length; i++) {
        const t = tables[i]!;
        const s = savedTables[i]!;
        t.length = s.length;
        for (let j = 0; j < s.length; j++) t[j] = s[j]!;
        const reps = t._createdReps;
        if (reps && reps.size !== savedReps[i]!.size) { reps.clear(); for (const r of savedReps[i]!) reps.add(r); }
      }
      for (let i = 0; i < captures.length; i++) {
        const c = captures[i]!;
        const keep = savedCaptures[i]!;
        if (c.size === 0 && keep.size === 0) continue;
        for (const [rep, obj] of c) if (keep.get(rep) !== obj) { c.delete(rep); release(obj); }
        for (const [rep, obj] of keep) c.set(rep, obj);
      }
    },
    releaseAll(): void {
      for (const c of captures) { const objs = [...c.values()]; c.clear(); for (const o of objs) release(o); }
    },
  };
}
