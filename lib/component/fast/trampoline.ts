/**
 * Import trampolines generated per signature. The generic trampoline of `compileImport` is one
 * function literal shared by every import of every component: V8 keeps one feedback vector (and one
 * optimised code object) for all of them, so with twenty imports in a hot loop (a `wasi:http`
 * handler: fields, streams, bodies, the outparam) each of its call sites (`liftFlat`, the host call,
 * `store`) is megamorphic, and the rest parameters, position object and argument array are real
 * allocations. Here each signature gets its own function built from source text, with one local per
 * core parameter, handles lifted inline from the instance's table, scalars through their own lift,
 * strings and lists from their pointer and length, options and results by their discriminant, the
 * host called directly (`self.m(a, b)`, `new C(a)`, `C.m(a)`, `f(a)`), handles of its result lowered
 * inline, and a `result` or `option` at the return pointer stored inline: every call site sees one
 * shape (a wasi:http request makes ~20 import calls: ~0.9 µs less than through the codecs). What
 * it computes is exactly what the generic trampoline computes (same codecs for anything not
 * inlined, same result/err handling); a signature it does not cover, or a process that forbids
 * code generation from strings, keeps the generic one.
 */
import type { ImportBinding, HostCallShape } from './bindings.js';
import { alignTo, boxedArray, codecOf, scalarFunctions, view, type Codec, type MemoryContext } from './codec.js';
import { ownLowering, OWN_KEYS } from './resources.js';
import type { FuncType, ValType } from './types.js';

type Trampoline = (...coreArgs: unknown[]) => unknown;

/** What the generated code needs from the compiled signature (see `compileImport`). */
export interface TrampolineSpec {
  type: FuncType;
  shape: HostCallShape;
  copyingParams: Codec[];
  borrowingParams: Codec[];
  result: Codec | undefined;
  resultInMemory: boolean;
  resultFloats: boolean;
  catchesErr: boolean;
  okTag: boolean;
  errTag: boolean;
  borrowedLists: symbol;
  errorPayload: (e: unknown) => unknown;
  /** `storeResult` of bindings.ts: writes a result at the return pointer. */
  storeResult: (cx: MemoryContext, result: Codec, ret: unknown, retptr: number) => void;
  /** `markResult` of bindings.ts: marks a result's pages for a `reset` pool before it is written. */
  markResult: (dirty: Uint8Array, retptr: number, size: number) => void;
}

/** Only names that are plain identifiers are written into generated source (WIT names come from the component). */
const IDENT = /^[A-Za-z_$][\w$]*$/;

/** How one parameter is lifted: inline for handles of imported resources and scalars. */
function liftExpr(t: ValType, i: number, args: string[], deps: unknown[]): string {
  if ((t.kind === 'own' || t.kind === 'borrow') && t.resource.defined === undefined && Number.isInteger(t.resource.index)) {
    return `cx.rt[${t.resource.index}].${t.kind === 'own' ? 'liftOwn' : 'liftBorrow'}(${args[0]})`;
  }
  const s = scalarFunctions(t);
  if (s && args.length === 1) {
    const d = deps.push(s.lift) - 1;
    return `d${d}(${args[0]})`;
  }
  // A string or list: its pointer and length straight to the codec's lift.
  if (args.length === 2 && codecOf(t).liftPair) return `P${i}.liftPair(cx, ${args[0]}, ${args[1]})`;
  // An option or result: its cases told apart here (see `caseLift`).
  const cases = caseLift(t, `P${i}`, args, deps);
  if (cases !== undefined) return cases;
  // Anything else: its codec, reading this parameter's flat values only.
  return `P${i}.liftFlat(cx, [${args.join(', ')}], { i: 0 })`;
}

/**
 * A payload of type `t` (inside an option or result parameter) lifted from the flat values `args`,
 * as its codec's `liftFlat` lifts it. Nested lists are copies, as they are on the generic path.
 */
function nestedLift(t: ValType, args: string[], deps: unknown[]): string {
  if (importedHandle(t)) return `cx.rt[${t.resource.index}].${t.kind === 'own' ? 'liftOwn' : 'liftBorrow'}(${args[0]})`;
  const s = scalarFunctions(t);
  if (s && args.length === 1) return `d${deps.push(s.lift) - 1}(${args[0]})`;
  const codec = codecOf(t);
  const d = `d${deps.push(codec) - 1}`;
  if (args.length === 2 && codec.liftPair) return `${d}.liftPair(cx, ${args[0]}, ${args[1]})`;
  return caseLift(t, d, args, deps) ?? `${d}.liftFlat(cx, [${args.join(', ')}], { i: 0 })`;
}

/**
 * An `option` (represented nullable) or `result` lifted from its flat values `args` as variantCodec's
 * `liftFlat` lifts it, without its shared (megamorphic) code, its temporary arrays and position:
 * discriminant 0 or 1 picks the case, whose payload is lifted from the slots it was passed in; any
 * other discriminant goes to the codec (`codec` names it), which throws its error. Undefined (the
 * codec then lifts it all) when a float may pass or a payload's flat types differ from the slots'
 * (the codec would convert them).
 */
function caseLift(t: ValType, codec: string, args: string[], deps: unknown[]): string | undefined {
  if (t.kind !== 'result' && !(t.kind === 'option' && !nullable(t.type))) return undefined;
  const flat = codecOf(t).flat;
  if (flat.includes('f32') || flat.includes('f64') || flat.length !== args.length) return undefined;
  const disc = args[0]!;
  const slots = args.slice(1);
  const payload = (p: ValType | undefined): string | undefined => {
    if (!p) return 'undefined';
    const f = codecOf(p).flat;
    if (!f.every((x, n) => x === flat[n + 1])) return undefined;
    return nestedLift(p, slots.slice(0, f.length), deps);
  };
  const other = `${codec}.liftFlat(cx, [${args.join(', ')}], { i: 0 })`;
  if (t.kind === 'option') {
    const some = payload(t.type);
    return some === undefined ? undefined : `(${disc} === 0 ? undefined : ${disc} === 1 ? ${some} : ${other})`;
  }
  const ok = payload(t.ok), err = payload(t.err);
  if (ok === undefined || err === undefined) return undefined;
  return `(${disc} === 0 ? { tag: 'ok', val: ${ok} } : ${disc} === 1 ? { tag: 'err', val: ${err} } : ${other})`;
}

/** How the host value `ret` becomes the single flat result (not in memory): statements ending in a `return`. */
function lowerTail(t: ValType, result: Codec, resultFloats: boolean, deps: unknown[]): string {
  if (t.kind === 'own' && importedHandle(t)) return `${ownLowering(`cx.rt[${t.resource.index}]`, 'ret', 'h')} return h;`;
  return `return ${lowerExpr(t, result, resultFloats, deps)};`;
}

/** How the host value `ret` becomes the single flat result, as an expression (no handles of imported resources). */
function lowerExpr(t: ValType, result: Codec, resultFloats: boolean, deps: unknown[]): string {
  const s = scalarFunctions(t);
  if (s) { const d = deps.push(s.lower) - 1; return `d${d}(ret)`; }
  const r = deps.push(result) - 1;
  const b = deps.push(boxedArray) - 1;
  return `(() => { const out = ${resultFloats ? `d${b}()` : '[]'}; d${r}.lowerFlat(cx, ret, out); return out[0]; })()`;
}

/** jco represents `t` by a nullable value (as `nullable` of codec.ts): an option whose payload is not. */
function nullable(t: ValType): boolean {
  return t.kind === 'option' && !nullable(t.type);
}

/** True for a handle of an imported resource, lowered inline from the instance's table. */
function importedHandle(t: ValType): t is Extract<ValType, { kind: 'own' | 'borrow' }> {
  return (t.kind === 'own' || t.kind === 'borrow') && t.resource.defined === undefined && Number.isInteger(t.resource.index);
}

/** Source marking the pages of a `size`-byte result at `retptr` for a `reset` pool, before it is written. */
function markPages(size: number): string {
  return `{ const dirty = cx.dirty; if (dirty) markResult(dirty, retptr, ${size}); }`;
}

/**
 * Source storing host value `v` as a payload of type `t` at `at`: what the payload codec's `store`
 * does (an `own` of an imported resource inline, as `ownCodec`'s store; anything else through its
 * codec, called from this trampoline's own call site).
 */
function payloadStore(t: ValType | undefined, v: string, at: string, deps: unknown[]): string {
  if (!t) return '';
  if (t.kind === 'own' && importedHandle(t)) return `{ ${ownLowering(`cx.rt[${t.resource.index}]`, v, 'h')} view(cx).setInt32(${at}, h, true); }`;
  const d = deps.push(codecOf(t)) - 1;
  return `d${d}.store(cx, ${v}, ${at});`;
}

/**
 * The call and result store of a trampoline whose result is a `result` or a non-nullable `option`
 * passed at a return pointer, written out for this signature: the discriminant and the payload are
 * stored directly, without the `{ tag: 'ok', val }` wrapper a `result`'s host value otherwise gets
 * and without the variant codec's shared (megamorphic) `store`. Computes exactly what
 * `storeResult(cx, R, ret, retptr)` computes after the generic call (same reads of the host's
 * value, same order of writes, same marking); a tagged `{ tag }` value or an `err` still goes
 * through `storeResult`. Undefined for any other result.
 */
function storeInMemory(spec: TrampolineSpec, call: string, deps: unknown[]): string | undefined {
  const t = spec.type.result!;
  const R = spec.result!;
  const mark = markPages(R.size);
  if (t.kind === 'result' && spec.catchesErr) {
    const ok = t.ok && codecOf(t.ok), err = t.err && codecOf(t.err);
    const align = Math.max(1, ok?.align ?? 1, err?.align ?? 1);
    const off = alignTo(1, align);
    // Guards against a layout differing from variantCodec's (a 1-byte discriminant, then the payload).
    if (alignTo(off + Math.max(ok?.size ?? 0, err?.size ?? 0), align) !== R.size || R.align !== align) return undefined;
    return `let r, k = 0;
      try {
        r = ${call};
        if (r !== null && typeof r === 'object' && (${spec.okTag ? "r.tag === 'ok'" : 'false'} || ${spec.errTag ? "r.tag === 'err'" : 'false'})) k = 1;
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) throw e;
        r = errorPayload(e);
        k = 2;
      }
      if (k === 0) {
        ${mark}
        view(cx).setUint8(retptr, 0);
        ${payloadStore(t.ok, 'r', `retptr + ${off}`, deps)}
      } else storeResult(cx, R, k === 1 ? r : { tag: 'err', val: r }, retptr);
      return undefined;`;
  }
  if (t.kind === 'option' && !spec.catchesErr && !nullable(t.type)) {
    const inner = codecOf(t.type);
    const align = Math.max(1, inner.align);
    const off = alignTo(1, align);
    if (alignTo(off + inner.size, align) !== R.size || R.align !== align) return undefined;
    return `const ret = ${call};
      ${mark}
      if (ret === undefined || ret === null) view(cx).setUint8(retptr, 0);
      else {
        view(cx).setUint8(retptr, 1);
        ${payloadStore(t.type, 'ret', `retptr + ${off}`, deps)}
      }
      return undefined;`;
  }
  return undefined;
}

/**
 * The per-instance factory of a generated trampoline for `spec`, or undefined when the signature is
 * outside what is generated (parameters passed in memory) or code generation is unavailable.
 */
export function generateImport(spec: TrampolineSpec): ((b: ImportBinding) => Trampoline) | undefined {
  const { type, shape } = spec;
  const flat = spec.copyingParams.reduce((n, c) => n + c.flat.length, 0);
  if (flat > 16) return undefined;
  if (shape.k !== 'func' && !IDENT.test(shape.js)) return undefined;
  const deps: unknown[] = [];
  const coreNames: string[] = [];
  const lifted: string[] = [];
  const lines: string[] = [];
  let at = 0;
  type.params.forEach((p, i) => {
    const names = spec.copyingParams[i]!.flat.map(() => `c${at++}`);
    coreNames.push(...names);
    lines.push(`const x${i} = ${liftExpr(p.type, i, names, deps)};`);
    lifted.push(`x${i}`);
  });
  if (spec.resultInMemory) coreNames.push('retptr');
  const call = shape.k === 'func' ? `host(${lifted.join(', ')})`
    : shape.k === 'constructor' ? `new host(${lifted.join(', ')})`
      : shape.k === 'static' ? `host.${shape.js}(${lifted.join(', ')})`
        : `x0.${shape.js}(${lifted.slice(1).join(', ')})`;
  if (shape.k === 'method' && lifted.length === 0) return undefined;
  const inMemory = spec.resultInMemory ? storeInMemory(spec, call, deps) : undefined;
  let body: string;
  if (inMemory !== undefined) body = '';
  else if (spec.catchesErr) {
    body = `let ret;
      try {
        const r = ${call};
        ret = r !== null && typeof r === 'object' && (${spec.okTag ? "r.tag === 'ok'" : 'false'} || ${spec.errTag ? "r.tag === 'err'" : 'false'}) ? r : { tag: 'ok', val: r };
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) throw e;
        ret = { tag: 'err', val: errorPayload(e) };
      }`;
  } else body = `const ret = ${call};`;
  let tail: string;
  if (inMemory !== undefined) tail = inMemory;
  else if (!spec.result) tail = 'return undefined;';
  // `storeResult` written out: this site calls one codec's `store` (storeResult's calls them all).
  else if (spec.resultInMemory) tail = `${markPages(spec.result.size)} R.store(cx, ret, retptr); return undefined;`;
  else tail = lowerTail(type.result!, spec.result, spec.resultFloats, deps);
  const paramConsts = type.params.map((_, i) => `const P${i} = params[${i}];`).join(' ');
  const depNames = deps.map((_, i) => `d${i}`);
  const source = `return function make(b) {
    const params = b.host[BORROWED] === true ? borrowing : copying;
    ${paramConsts}
    return function trampoline(${coreNames.join(', ')}) {
      const cx = b.cx, host = b.host;
      ${lines.join('\n      ')}
      ${body}
      ${tail}
    };
  };`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function('BORROWED', 'borrowing', 'copying', 'R', 'errorPayload', 'storeResult', 'markResult', 'view', 'HANDLE', 'REP', ...depNames, source) as (...a: unknown[]) => (b: ImportBinding) => Trampoline;
    return factory(spec.borrowedLists, spec.borrowingParams, spec.copyingParams, spec.result, spec.errorPayload, spec.storeResult, spec.markResult, view, OWN_KEYS.HANDLE, OWN_KEYS.REP, ...deps);
  } catch {
    return undefined; // e.g. --disallow-code-generation-from-strings
  }
}
