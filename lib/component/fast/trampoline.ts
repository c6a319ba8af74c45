/**
 * Import trampolines generated per signature. The generic trampoline of `compileImport` is one
 * function literal shared by every import of every component: V8 keeps one feedback vector (and one
 * optimised code object) for all of them, so with twenty imports in a hot loop (a `wasi:http`
 * handler: fields, streams, bodies, the outparam) each of its call sites (`liftFlat`, the host call,
 * `store`) is megamorphic, and the rest parameters, position object and argument array are real
 * allocations. Here each signature gets its own function built from source text, with one local per
 * core parameter, handles lifted inline from the instance's table, scalars through their own lift,
 * and the host called directly (`self.m(a, b)`, `new C(a)`, `C.m(a)`, `f(a)`): every call site sees
 * one shape. What it computes is exactly what the generic trampoline computes (same codecs for
 * anything not inlined, same result/err handling); a signature it does not cover, or a process that
 * forbids code generation from strings, keeps the generic one.
 */
import type { ImportBinding, HostCallShape } from './bindings.js';
import { boxedArray, scalarFunctions, type Codec, type MemoryContext } from './codec.js';
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
  // Anything else: its codec, reading this parameter's flat values only.
  return `P${i}.liftFlat(cx, [${args.join(', ')}], { i: 0 })`;
}

/** How the host value `ret` becomes the single flat result (not in memory). */
function lowerExpr(t: ValType, result: Codec, resultFloats: boolean, deps: unknown[]): string {
  if (t.kind === 'own' && t.resource.defined === undefined && Number.isInteger(t.resource.index)) return `cx.rt[${t.resource.index}].lowerOwn(ret)`;
  const s = scalarFunctions(t);
  if (s) { const d = deps.push(s.lower) - 1; return `d${d}(ret)`; }
  const r = deps.push(result) - 1;
  const b = deps.push(boxedArray) - 1;
  return `(() => { const out = ${resultFloats ? `d${b}()` : '[]'}; d${r}.lowerFlat(cx, ret, out); return out[0]; })()`;
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
  let body: string;
  if (spec.catchesErr) {
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
  if (!spec.result) tail = 'return undefined;';
  else if (spec.resultInMemory) tail = 'storeResult(cx, R, ret, retptr); return undefined;';
  else tail = `return ${lowerExpr(type.result!, spec.result, spec.resultFloats, deps)};`;
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
    const factory = new Function('BORROWED', 'borrowing', 'copying', 'R', 'errorPayload', 'storeResult', ...depNames, source) as (...a: unknown[]) => (b: ImportBinding) => Trampoline;
    return factory(spec.borrowedLists, spec.borrowingParams, spec.copyingParams, spec.result, spec.errorPayload, spec.storeResult, ...deps);
  } catch {
    return undefined; // e.g. --disallow-code-generation-from-strings
  }
}
