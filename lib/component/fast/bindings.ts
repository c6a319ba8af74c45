/**
 * Function adapters compiled once per signature: `compileExport` turns a `canon lift` into a
 * factory of JS functions (lower args → call core → lift result → post-return), `compileImport`
 * turns a `canon lower` into a factory of core-callable trampolines around a host function.
 * Per instance, only the small closures binding them to that instance's memory are created.
 */
import { BORROWED_LISTS, boxedArray, codecOf, scalarFunctions, type Codec, type MemoryContext } from './codec.js';
import { generateImport } from './trampoline.js';
import { camelCase, type FuncType, type ValType } from './types.js';
import { suspendCall } from '../../limits/call-frame.js';
import { MAY_SUSPEND } from '../jspi.js';
import { markDirty } from '../../instrument/dirty-map.js';
import { DIRTY_PAGE_SHIFT } from '../../instrument/dirty-pages.js';

/**
 * Set by the runtime (lib/invoke/function.ts) around a synchronous export call whose instance is
 * reset or discarded right after it returns, before anything else runs in it (pool `reset`, a
 * call without handles). A pure post-return ({@link ExportBinding.postReturnPure}) is then not
 * run: the guest gave back the call's memory only for the reset to restore it (its frees and
 * collection were 0.35–0.6 µs of a ~20 µs wasi:nn call), so the call's `fuelUsed` does not count
 * it. Any other post-return runs, as the Canonical ABI says. Thread state, like `callDeadline`:
 * calls on a thread run one at a time, and the runtime restores the previous value after each.
 */
export const resetFollows = { now: false };

/** True when the post-return whose purity `pure` tells (see `ExportBinding.postReturnPure`) is skipped for this call. */
function skipsPostReturn(pure: (() => boolean) | undefined): boolean {
  return resetFollows.now && pure?.() === true;
}

const MAX_FLAT_PARAMS = 16;
const MAX_FLAT_RESULTS = 1;

/**
 * The error jco's glue throws when an export returns `result::err`: same shape (`payload`,
 * enumerable unless the payload is a string; same message), so callers can treat both alike.
 */
export class ComponentError extends Error {
  declare readonly payload: unknown;
  constructor(value: unknown) {
    const enumerable = typeof value !== 'string';
    super(enumerable ? `${String(value)} (see error.payload)` : (value as string));
    Object.defineProperty(this, 'payload', { value, enumerable });
  }
}

/** Per-instance "may we enter" state: a trap poisons the instance, as in jco. */
export interface InstanceState {
  trapped: boolean;
}

/** Per-instance bindings of one lifted export. */
export interface ExportBinding {
  cx: MemoryContext;
  core: (...args: unknown[]) => unknown;
  postReturn: ((...args: unknown[]) => unknown) | undefined;
  /**
   * True when the post-return provably calls nothing outside its core module (reach.ts
   * `postReturnPurity`): it can change only the instance's own memory, globals and tables. Such a
   * post-return is skipped when the runtime says a reset follows the call ({@link resetFollows}),
   * which puts all of those back anyway. Asked only then (it reads the module on first use).
   */
  postReturnPure?: () => boolean;
  state: InstanceState;
  /**
   * `core` is wrapped in `WebAssembly.promising` (the instance has async imports): it returns a
   * promise, and so does the adapter.
   */
  promising?: boolean;
}

/** Per-instance bindings of one lowered import. */
export interface ImportBinding {
  cx: MemoryContext;
  /** The host function, or the resource's class for constructors, methods and statics. */
  host: (...args: unknown[]) => unknown;
  /**
   * The host returns a promise the guest awaits (JSPI): the trampoline is async, and the caller
   * wraps it in `WebAssembly.Suspending`.
   */
  async?: boolean;
}

/** How the trampoline calls the host (see `HostCall` in plan.ts); `js` names the method. */
export interface HostCallShape {
  k: 'func' | 'constructor' | 'method' | 'static';
  js: string;
}

type Invoke = (host: (...args: unknown[]) => unknown, args: unknown[]) => unknown;

/** The call jco's glue makes for each kind of import: `f(...)`, `new C(...)`, `self.m(...)`, `C.m(...)`. */
function invokerOf(shape: HostCallShape): Invoke {
  const js = shape.js;
  switch (shape.k) {
    case 'func': return (host, args) => host(...args);
    case 'constructor': return (host, args) => new (host as unknown as new (...a: unknown[]) => unknown)(...args);
    case 'static': return (host, args) => (host as unknown as Record<string, (...a: unknown[]) => unknown>)[js]!(...args);
    case 'method': return (_host, args) => {
      const self = args[0] as Record<string, (...a: unknown[]) => unknown>;
      return self[js]!.apply(self, args.slice(1));
    };
  }
}

type Scalar = { lower: (v: unknown) => unknown; lift: (v: unknown) => unknown };

const hasOwn = Object.prototype.hasOwnProperty;

function tupleOf(params: { type: ValType }[]): Codec {
  return codecOf({ kind: 'tuple', types: params.map((p) => p.type) });
}

/** A single-flat primitive (integers, floats, bool, char): lowered and lifted without memory. */
function scalarOf(t: ValType | undefined): Scalar | undefined {
  return t ? scalarFunctions(t) : undefined;
}

/** jco rewrites V8's trap messages into wasmtime's wording; so do we, for identical errors. */
const CORE_TRAP_MESSAGES = new Map([
  ['unreachable', 'wasm trap: wasm `unreachable` instruction executed'],
  ['memory access out of bounds', 'wasm trap: out of bounds memory access'],
  ['divide by zero', 'wasm trap: integer divide by zero'],
  ['remainder by zero', 'wasm trap: integer divide by zero'],
  ['divide result unrepresentable', 'wasm trap: integer overflow'],
  ['float unrepresentable in integer range', 'wasm trap: invalid conversion to integer'],
  ['table index is out of bounds', 'wasm trap: undefined element: out of bounds table access'],
  ['function signature mismatch', 'wasm trap: indirect call type mismatch'],
  ['call stack exhausted', 'wasm trap: call stack exhausted'],
]);

/** Marks the instance trapped (poisoned) and normalises the message, as jco's `markTrapped`. */
function trapped(state: InstanceState, err: unknown): void {
  if (!(err instanceof WebAssembly.RuntimeError)) return;
  state.trapped = true;
  const message = CORE_TRAP_MESSAGES.get(err.message);
  if (message !== undefined) err.message = message;
}

function enter(state: InstanceState): void {
  if (state.trapped) throw new WebAssembly.RuntimeError('wasm trap: cannot enter component instance');
}

function callCore(b: ExportBinding, flat: unknown[]): unknown {
  try {
    return b.core(...flat);
  } catch (err) {
    trapped(b.state, err);
    throw err;
  }
}

/** `callCore` with one, two or three flat arguments passed as such (no array, no spread). */
function callCore1(b: ExportBinding, x: unknown): unknown {
  try { return b.core(x); } catch (err) { trapped(b.state, err); throw err; }
}
function callCore2(b: ExportBinding, x: unknown, y: unknown): unknown {
  try { return b.core(x, y); } catch (err) { trapped(b.state, err); throw err; }
}
function callCore3(b: ExportBinding, x: unknown, y: unknown, z: unknown): unknown {
  try { return b.core(x, y, z); } catch (err) { trapped(b.state, err); throw err; }
}

/** Compiles a lifted function's adapter; returns a per-instance factory of the JS function. */
export function compileExport(type: FuncType): (b: ExportBinding) => (...args: unknown[]) => unknown {
  const params = type.params.map((p) => codecOf(p.type));
  const nParams = params.length;
  const flatParams = params.reduce((n, c) => n + c.flat.length, 0);
  const paramsInMemory = flatParams > MAX_FLAT_PARAMS;
  const paramTuple = paramsInMemory ? tupleOf(type.params) : undefined;
  const result = type.result ? codecOf(type.result) : undefined;
  const resultInMemory = !!result && result.flat.length > MAX_FLAT_RESULTS;
  const throwsErr = type.result?.kind === 'result';

  const finish = (b: ExportBinding, ret: unknown): unknown => {
    let value: unknown;
    if (result) value = resultInMemory ? result.load(b.cx, ret as number) : result.liftFlat(b.cx, [ret], { i: 0 });
    if (b.postReturn && !skipsPostReturn(b.postReturnPure)) {
      if (result) b.postReturn(ret); else b.postReturn();
    }
    if (throwsErr) {
      const r = value as { tag: string; val: unknown };
      if (r.tag === 'err') throw new ComponentError(r.val);
      return r.val;
    }
    return value;
  };

  // Lowers the arguments and calls the promising core; the result is lifted once the guest
  // returned, in this call's frame again (other calls may have run meanwhile).
  const promisingAdapter = (b: ExportBinding) => Object.defineProperty(async function (...args: unknown[]) {
    enter(b.state);
    const flat: unknown[] = [];
    if (paramTuple) {
      const ptr = b.cx.realloc!(0, 0, paramTuple.align, paramTuple.size);
      paramTuple.store(b.cx, args.slice(0, nParams), ptr);
      flat.push(ptr);
    } else {
      for (let i = 0; i < nParams; i++) params[i]!.lowerFlat(b.cx, args[i], flat);
    }
    const resume = suspendCall();
    let ret: unknown;
    try {
      ret = await b.core(...flat);
    } catch (err) {
      resume();
      trapped(b.state, err);
      throw err;
    }
    resume();
    return finish(b, ret);
  }, MAY_SUSPEND, { value: true });

  // Fast path: every parameter and the result are single-flat scalars (add(u32, u32) and friends).
  const scalarParams = type.params.every((p) => scalarOf(p.type));
  const scalarResult = !type.result || scalarOf(type.result);
  if (scalarParams && scalarResult && !throwsErr && nParams <= 3) {
    const lowers = type.params.map((p) => scalarOf(p.type)!.lower);
    const lift = type.result ? scalarOf(type.result)!.lift : undefined;
    const l0 = lowers[0]!, l1 = lowers[1]!, l2 = lowers[2]!;
    return (b) => {
      if (b.promising) return promisingAdapter(b);
      const { state, core } = b;
      const post = b.postReturn;
      const pure = b.postReturnPure;
      const done = (ret: unknown): unknown => {
        const v = lift ? lift(ret) : undefined;
        if (post && !skipsPostReturn(pure)) { if (lift) post(ret); else post(); }
        return v;
      };
      const trap = (err: unknown): never => {
        trapped(state, err);
        throw err;
      };
      switch (nParams) {
        case 0: return function () { enter(state); let r; try { r = core(); } catch (e) { trap(e); } return done(r); };
        case 1: return function (a: unknown) { enter(state); const x = l0(a); let r; try { r = core(x); } catch (e) { trap(e); } return done(r); };
        case 2: return function (a: unknown, c: unknown) { enter(state); const x = l0(a), y = l1(c); let r; try { r = core(x, y); } catch (e) { trap(e); } return done(r); };
        default: return function (a: unknown, c: unknown, d: unknown) { enter(state); const x = l0(a), y = l1(c), z = l2(d); let r; try { r = core(x, y, z); } catch (e) { trap(e); } return done(r); };
      }
    };
  }

  // One to three parameters of one i32 each (resource handles, say: a wasi:http `handle(request,
  // response-out)`): each is lowered into a slot array of the binding, reused, and the core called
  // with locals, with no rest array, flat array or spread call per call. Same lowering, order and
  // trap handling as the general adapter below.
  if (!paramsInMemory && nParams >= 1 && nParams <= 3 && params.every((c) => c.flat.length === 1 && c.flat[0] === 'i32')) {
    const [p0, p1, p2] = params;
    return (b) => {
      if (b.promising) return promisingAdapter(b);
      const slot: unknown[] = [];
      // `pop`: the value this lowering pushed, even if a host getter re-entered meanwhile.
      const one = (codec: Codec, v: unknown): unknown => {
        codec.lowerFlat(b.cx, v, slot);
        return slot.pop();
      };
      switch (nParams) {
        case 1: return function (a: unknown) { enter(b.state); const x = one(p0!, a); return finish(b, callCore1(b, x)); };
        case 2: return function (a: unknown, c: unknown) { enter(b.state); const x = one(p0!, a), y = one(p1!, c); return finish(b, callCore2(b, x, y)); };
        default: return function (a: unknown, c: unknown, d: unknown) { enter(b.state); const x = one(p0!, a), y = one(p1!, c), z = one(p2!, d); return finish(b, callCore3(b, x, y, z)); };
      }
    };
  }

  // Arrays of flat values are boxed only when a float may pass through them (see `boxedArray`):
  // an all-integer array stays V8's fastest kind.
  const floats = params.some((c) => c.flat.includes('f32') || c.flat.includes('f64'));
  return (b) => (b.promising ? promisingAdapter(b) : function (...args: unknown[]) {
    enter(b.state);
    const flat = floats ? boxedArray() : [];
    if (paramTuple) {
      const ptr = b.cx.realloc!(0, 0, paramTuple.align, paramTuple.size);
      paramTuple.store(b.cx, args.slice(0, nParams), ptr);
      flat.push(ptr);
    } else {
      for (let i = 0; i < nParams; i++) params[i]!.lowerFlat(b.cx, args[i], flat);
    }
    return finish(b, callCore(b, flat));
  });
}

/**
 * jco 1.35's rule (probed on its generated glue): the tags among `ok`/`err` that a `result`'s ok
 * value may carry itself, so a host's return value tagged so is taken as the ok payload. The ok
 * type, options peeled: a result carries both; a variant, its cases named so; a record or flags
 * with a member named `tag`, both.
 */
function okTags(t: { ok?: ValType }): Set<string> {
  let ok = t.ok;
  while (ok?.kind === 'option') ok = ok.type;
  switch (ok?.kind) {
    case 'result': return new Set(['ok', 'err']);
    case 'variant': return new Set(ok.cases.map((c) => c.name).filter((n) => n === 'ok' || n === 'err'));
    case 'record': return new Set(ok.fields.some((f) => camelCase(f.name) === 'tag') ? ['ok', 'err'] : []);
    case 'flags': return new Set(ok.names.some((n) => camelCase(n) === 'tag') ? ['ok', 'err'] : []);
    default: return new Set();
  }
}

/** jco's `getErrorPayload`: a thrown `{ payload }` or plain value becomes `err`; Errors propagate. */
function errorPayload(e: unknown): unknown {
  if (e && hasOwn.call(e, 'payload')) return (e as { payload: unknown }).payload;
  if (e instanceof Error) throw e;
  return e;
}

/**
 * Stores an import's result at the guest's return pointer: the one place the generic and the
 * generated trampolines (trampoline.ts) write a result into guest memory, so whatever must happen
 * around such a write (e.g. marking the pages for a `reset` pool) is done for both.
 */
export function storeResult(cx: MemoryContext, result: Codec, ret: unknown, retptr: number): void {
  const dirty = cx.dirty;
  if (dirty) markResult(dirty, retptr, result.size);
  result.store(cx, ret, retptr);
}

/**
 * Marks the pages of a `size`-byte result at `retptr` in a `reset` pool's dirty map: `storeResult`'s
 * marking, also called by the result stores generated in trampoline.ts before they write.
 */
export function markResult(dirty: Uint8Array, retptr: number, size: number): void {
  // The usual case inline: a result within one page (`markDirty` handles the rest; a span
  // that wraps past 4 GiB gives two different pages here and goes there too).
  const first = (retptr >>> 0) >>> DIRTY_PAGE_SHIFT;
  if (first === (((retptr >>> 0) + size - 1) >>> DIRTY_PAGE_SHIFT) && first < dirty.length && size > 0) dirty[first] = 1;
  else markDirty(dirty, retptr, size);
}

/**
 * Compiles a lowered import's adapter; returns a per-instance factory of the core trampoline. A host
 * marked with {@link BORROWED_LISTS} gets views of guest memory for its typed-list parameters.
 */
export function compileImport(type: FuncType, shape: HostCallShape = { k: 'func', js: '' }): (b: ImportBinding) => (...coreArgs: unknown[]) => unknown {
  const invoke = invokerOf(shape);
  const copyingParams = type.params.map((p) => codecOf(p.type));
  const borrowingParams = copyingParams.map((c) => c.borrowed ?? c);
  const nParams = copyingParams.length;
  const flatParams = copyingParams.reduce((n, c) => n + c.flat.length, 0);
  const paramTuple = flatParams > MAX_FLAT_PARAMS ? tupleOf(type.params) : undefined;
  const result = type.result ? codecOf(type.result) : undefined;
  const resultInMemory = !!result && result.flat.length > MAX_FLAT_RESULTS;
  const catchesErr = type.result?.kind === 'result';
  const resultFloats = !!result && (result.flat.includes('f32') || result.flat.includes('f64'));
  // jco takes a host's `{ tag: 'ok' | 'err' }` return value as the result itself, except for a tag
  // an ok value may carry itself (see `okTags`): such a value is always the ok payload, so that
  // `ok(err(x))` is told apart from `err(x)`.
  const ambiguous = catchesErr ? okTags(type.result as { kind: 'result'; ok?: ValType }) : new Set<string>();
  const okTag = !ambiguous.has('ok');
  const errTag = !ambiguous.has('err');
  const generated = generateImport({
    type, shape, copyingParams, borrowingParams, result, resultInMemory, resultFloats, catchesErr, okTag, errTag,
    borrowedLists: BORROWED_LISTS, errorPayload, storeResult, markResult,
  });

  /** The host's value (or throw, for a `result`) as the value to lower. */
  const settle = (r: unknown): unknown => {
    if (!catchesErr) return r;
    const t = r as { tag?: unknown } | null;
    return t !== null && typeof t === 'object' && ((okTag && t.tag === 'ok') || (errTag && t.tag === 'err')) ? t : { tag: 'ok', val: t };
  };
  const lowerResult = (cx: MemoryContext, ret: unknown, coreArgs: unknown[]): unknown => {
    if (!result) return undefined;
    if (resultInMemory) {
      storeResult(cx, result, ret, coreArgs[coreArgs.length - 1] as number);
      return undefined;
    }
    const out = resultFloats ? boxedArray() : [];
    result.lowerFlat(cx, ret, out);
    return out[0];
  };
  // An async host (JSPI): the guest is suspended from the `await` until the promise settles; the
  // result is lowered in this call's frame again (other calls may have run meanwhile).
  const asyncTrampoline = (b: ImportBinding, params: Codec[]) => async function (...coreArgs: unknown[]) {
    const { cx, host } = b;
    let args: unknown[];
    if (paramTuple) args = paramTuple.load(cx, coreArgs[0] as number) as unknown[];
    else {
      args = boxedArray();
      const pos = { i: 0 };
      for (let i = 0; i < nParams; i++) args.push(params[i]!.liftFlat(cx, coreArgs, pos));
    }
    const resume = suspendCall();
    let ret: unknown;
    try {
      ret = settle(await invoke(host, args));
    } catch (e) {
      resume();
      if (!catchesErr || e instanceof WebAssembly.RuntimeError) throw e;
      ret = { tag: 'err', val: errorPayload(e) };
    }
    resume();
    return lowerResult(cx, ret, coreArgs);
  };

  return (b) => {
    const params = (b.host as unknown as Record<symbol, unknown>)[BORROWED_LISTS] === true ? borrowingParams : copyingParams;
    // An async host needs the suspending path: the generated trampolines call the host synchronously.
    if (b.async) return asyncTrampoline(b, params);
    if (generated) return generated(b);
    return function (...coreArgs: unknown[]) {
      const { cx, host } = b;
      let args: unknown[];
      if (paramTuple) args = paramTuple.load(cx, coreArgs[0] as number) as unknown[];
      else {
        args = boxedArray();
        const pos = { i: 0 };
        for (let i = 0; i < nParams; i++) args.push(params[i]!.liftFlat(cx, coreArgs, pos));
      }
      let ret: unknown;
      if (catchesErr) {
        try {
          const r = invoke(host, args) as { tag?: unknown } | null;
          ret = r !== null && typeof r === 'object' && ((okTag && r.tag === 'ok') || (errTag && r.tag === 'err')) ? r : { tag: 'ok', val: r };
        } catch (e) {
          if (e instanceof WebAssembly.RuntimeError) throw e;
          ret = { tag: 'err', val: errorPayload(e) };
        }
      } else {
        ret = invoke(host, args);
      }
      return lowerResult(cx, ret, coreArgs);
    };
  };
}
