/**
 * Decoder of the component binary format (component-model `design/mvp/Binary.md`) into a flat,
 * ordered list of definitions. It resolves nothing: index spaces are built by `plan.ts`, which
 * walks the definitions in order exactly as a validator would. Anything the fast path does not
 * implement (async, threads, start functions, GC core types, ...) throws `Unsupported`.
 */
import { Reader, Unsupported } from './reader.js';

export type CoreSort = 'core:func' | 'core:table' | 'core:memory' | 'core:global' | 'core:type' | 'core:module' | 'core:instance';
export type Sort = CoreSort | 'func' | 'value' | 'type' | 'component' | 'instance';

export type PrimName = 'bool' | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64' | 'f32' | 'f64' | 'char' | 'string';

/** A value type as written: a primitive or a reference into the type index space. */
export type ValTypeRef = { prim: PrimName } | { idx: number };

export type TypeDef =
  | { k: 'prim'; prim: PrimName }
  | { k: 'record'; fields: { name: string; t: ValTypeRef }[] }
  | { k: 'variant'; cases: { name: string; t?: ValTypeRef }[] }
  | { k: 'list'; t: ValTypeRef }
  | { k: 'tuple'; ts: ValTypeRef[] }
  | { k: 'flags'; names: string[] }
  | { k: 'enum'; names: string[] }
  | { k: 'option'; t: ValTypeRef }
  | { k: 'result'; ok?: ValTypeRef; err?: ValTypeRef }
  | { k: 'own' | 'borrow'; idx: number }
  | { k: 'func'; params: { name: string; t: ValTypeRef }[]; result?: ValTypeRef }
  | { k: 'instance'; decls: Decl[] }
  | { k: 'component'; decls: Decl[] }
  /** A resource type the component defines: `dtor` is a core function index, if any. */
  | { k: 'resource'; dtor?: number }
  /** Types we decode only to skip (stream, future, error-context, fixed lists, async funcs). */
  | { k: 'unsupported'; what: string };

export type ExternDesc =
  | { k: 'module'; idx: number }
  | { k: 'func'; idx: number }
  | { k: 'value' }
  | { k: 'type'; eq?: number; subResource?: boolean }
  | { k: 'component'; idx: number }
  | { k: 'instance'; idx: number };

export type Alias =
  | { k: 'export'; instance: number; name: string }
  | { k: 'coreExport'; instance: number; name: string }
  | { k: 'outer'; count: number; idx: number };

/** A declarator inside an instance or component type. */
export type Decl =
  | { k: 'coreType' }
  | { k: 'type'; def: TypeDef }
  | { k: 'alias'; sort: Sort; target: Alias }
  | { k: 'export'; name: string; desc: ExternDesc }
  | { k: 'import'; name: string; desc: ExternDesc };

export interface CanonOptions {
  memory?: number;
  realloc?: number;
  postReturn?: number;
  /** utf8 unless told otherwise. */
  encoding: 'utf8' | 'utf16' | 'latin1+utf16';
  async: boolean;
  callback?: number;
}

export type Definition =
  | { s: 'coreModule'; bytes: Uint8Array }
  | { s: 'coreInstance'; k: 'instantiate'; module: number; args: { name: string; instance: number }[] }
  | { s: 'coreInstance'; k: 'exports'; exports: { name: string; sort: CoreSort; idx: number }[] }
  | { s: 'coreType' }
  | { s: 'component'; component: ParsedComponent }
  | { s: 'instance'; k: 'instantiate'; component: number; args: { name: string; sort: Sort; idx: number }[] }
  | { s: 'instance'; k: 'exports'; exports: { name: string; sort: Sort; idx: number }[] }
  | { s: 'alias'; sort: Sort; target: Alias }
  | { s: 'type'; def: TypeDef }
  | { s: 'canon'; k: 'lift'; coreFunc: number; opts: CanonOptions; type: number }
  | { s: 'canon'; k: 'lower'; func: number; opts: CanonOptions }
  | { s: 'canon'; k: 'resource.drop'; type: number }
  | { s: 'canon'; k: 'resource.new'; type: number }
  | { s: 'canon'; k: 'resource.rep'; type: number }
  | { s: 'import'; name: string; desc: ExternDesc }
  | { s: 'export'; name: string; sort: Sort; idx: number; desc?: ExternDesc };

export interface ParsedComponent {
  definitions: Definition[];
}

const PRIMS: Record<number, PrimName> = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32',
  0x78: 's64', 0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string',
};

const CORE_SORTS: Record<number, CoreSort> = {
  0x00: 'core:func', 0x01: 'core:table', 0x02: 'core:memory', 0x03: 'core:global',
  0x10: 'core:type', 0x11: 'core:module', 0x12: 'core:instance',
};

/** True when the bytes start with the component preamble (as opposed to a core module). */
export function isComponentBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d
    && bytes[6] === 0x01 && bytes[7] === 0x00;
}

/** Decodes a whole component (header included). Throws `Unsupported` on anything unexpected. */
export function parseComponent(bytes: Uint8Array): ParsedComponent {
  if (!isComponentBinary(bytes)) throw new Unsupported('not a component binary');
  if (bytes[4] !== 0x0d || bytes[5] !== 0x00) throw new Unsupported(`component binary version ${bytes[4]} is not 0x0d`);
  const r = new Reader(bytes, 8);
  const definitions: Definition[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.length) throw new Unsupported('section runs past the end of the binary');
    const s = new Reader(bytes, r.pos, end);
    readSection(id, s, definitions);
    if (s.pos !== end) throw new Unsupported(`section ${id} was not fully decoded (${end - s.pos} bytes left)`);
    r.pos = end;
  }
  return { definitions };
}

function readSection(id: number, r: Reader, out: Definition[]): void {
  switch (id) {
    case 0: r.pos = r.end; return; // custom section: names, producers
    case 1: out.push({ s: 'coreModule', bytes: r.take(r.end - r.pos) }); return;
    case 2: for (const d of r.vec(readCoreInstance)) out.push(d); return;
    case 3: for (const _ of r.vec(readCoreType)) out.push({ s: 'coreType' }); return;
    case 4: out.push({ s: 'component', component: parseComponent(r.take(r.end - r.pos)) }); return;
    case 5: for (const d of r.vec(readInstance)) out.push(d); return;
    case 6: for (const a of r.vec(readAlias)) out.push({ s: 'alias', ...a }); return;
    case 7: for (const def of r.vec(readTypeDef)) out.push({ s: 'type', def }); return;
    case 8: for (const d of r.vec(readCanon)) out.push(d); return;
    case 9: throw new Unsupported('component start functions');
    case 10: for (const d of r.vec(readImport)) out.push(d); return;
    case 11: for (const d of r.vec(readExport)) out.push(d); return;
    default: throw new Unsupported(`unknown component section id ${id}`);
  }
}

function readCoreSort(r: Reader): CoreSort {
  const b = r.byte();
  const sort = CORE_SORTS[b];
  if (!sort) throw new Unsupported(`unknown core sort 0x${b.toString(16)}`);
  return sort;
}

function readSort(r: Reader): Sort {
  const b = r.byte();
  switch (b) {
    case 0x00: return readCoreSort(r);
    case 0x01: return 'func';
    case 0x02: return 'value';
    case 0x03: return 'type';
    case 0x04: return 'component';
    case 0x05: return 'instance';
    default: throw new Unsupported(`unknown sort 0x${b.toString(16)}`);
  }
}

/** `importname'` / `exportname'`: a discriminant byte (plain or legacy interface form) then the name. */
function readExternName(r: Reader): string {
  const b = r.byte();
  if (b !== 0x00 && b !== 0x01) throw new Unsupported(`unknown extern name form 0x${b.toString(16)}`);
  return r.name();
}

function readCoreInstance(r: Reader): Definition {
  const b = r.byte();
  if (b === 0x00) {
    const module = r.u32();
    const args = r.vec((a) => {
      const name = a.name();
      if (a.byte() !== 0x12) throw new Unsupported('core instantiate argument that is not an instance');
      return { name, instance: a.u32() };
    });
    return { s: 'coreInstance', k: 'instantiate', module, args };
  }
  if (b === 0x01) {
    const exports = r.vec((a) => ({ name: a.name(), sort: readCoreSort(a), idx: a.u32() }));
    return { s: 'coreInstance', k: 'exports', exports };
  }
  throw new Unsupported(`unknown core instance form 0x${b.toString(16)}`);
}

function readCoreValType(r: Reader): void {
  const b = r.byte();
  // i32 i64 f32 f64 v128 funcref externref
  if (b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) return;
  throw new Unsupported(`core value type 0x${b.toString(16)} (GC types)`);
}

function readCoreType(r: Reader): void {
  const b = r.byte();
  if (b === 0x60) {
    r.vec(readCoreValType);
    r.vec(readCoreValType);
    return;
  }
  throw new Unsupported(b === 0x50 ? 'core module types' : `core type form 0x${b.toString(16)}`);
}

function readInstance(r: Reader): Definition {
  const b = r.byte();
  if (b === 0x00) {
    const component = r.u32();
    const args = r.vec((a) => ({ name: a.name(), sort: readSort(a), idx: a.u32() }));
    return { s: 'instance', k: 'instantiate', component, args };
  }
  if (b === 0x01) {
    const exports = r.vec((a) => ({ name: readExternName(a), sort: readSort(a), idx: a.u32() }));
    return { s: 'instance', k: 'exports', exports };
  }
  throw new Unsupported(`unknown instance form 0x${b.toString(16)}`);
}

function readAlias(r: Reader): { sort: Sort; target: Alias } {
  const sort = readSort(r);
  const b = r.byte();
  switch (b) {
    case 0x00: return { sort, target: { k: 'export', instance: r.u32(), name: r.name() } };
    case 0x01: return { sort, target: { k: 'coreExport', instance: r.u32(), name: r.name() } };
    case 0x02: return { sort, target: { k: 'outer', count: r.u32(), idx: r.u32() } };
    default: throw new Unsupported(`unknown alias target 0x${b.toString(16)}`);
  }
}

function readValType(r: Reader): ValTypeRef {
  const b = r.peek();
  if (b >= 0x40 && b <= 0x7f) {
    r.pos++;
    const prim = PRIMS[b];
    if (!prim) throw new Unsupported(`value type 0x${b.toString(16)}`);
    return { prim };
  }
  return { idx: r.u32() };
}

function readOptionalValType(r: Reader): ValTypeRef | undefined {
  const b = r.byte();
  if (b === 0x00) return undefined;
  if (b === 0x01) return readValType(r);
  throw new Unsupported(`bad optional value type marker 0x${b.toString(16)}`);
}

function readTypeDef(r: Reader): TypeDef {
  const b = r.byte();
  const prim = PRIMS[b];
  if (prim) return { k: 'prim', prim };
  switch (b) {
    case 0x72: return { k: 'record', fields: r.vec((a) => ({ name: a.name(), t: readValType(a) })) };
    case 0x71: return {
      k: 'variant', cases: r.vec((a) => {
        const name = a.name();
        const t = readOptionalValType(a);
        const refines = a.byte();
        if (refines === 0x01) a.u32();
        else if (refines !== 0x00) throw new Unsupported('bad variant case');
        return t ? { name, t } : { name };
      }),
    };
    case 0x70: return { k: 'list', t: readValType(r) };
    case 0x6f: return { k: 'tuple', ts: r.vec(readValType) };
    case 0x6e: return { k: 'flags', names: r.vec((a) => a.name()) };
    case 0x6d: return { k: 'enum', names: r.vec((a) => a.name()) };
    case 0x6b: return { k: 'option', t: readValType(r) };
    case 0x6a: {
      const ok = readOptionalValType(r);
      const err = readOptionalValType(r);
      return { k: 'result', ...(ok ? { ok } : {}), ...(err ? { err } : {}) };
    }
    case 0x69: return { k: 'own', idx: r.u32() };
    case 0x68: return { k: 'borrow', idx: r.u32() };
    case 0x67: readValType(r); r.u32(); return { k: 'unsupported', what: 'fixed-size list' };
    case 0x66: readOptionalValType(r); return { k: 'unsupported', what: 'stream' };
    case 0x65: readOptionalValType(r); return { k: 'unsupported', what: 'future' };
    case 0x64: return { k: 'unsupported', what: 'error-context' };
    case 0x40: case 0x43: {
      const params = r.vec((a) => ({ name: a.name(), t: readValType(a) }));
      const rb = r.byte();
      let result: ValTypeRef | undefined;
      if (rb === 0x00) result = readValType(r);
      else if (rb === 0x01) {
        if (r.vec((a) => ({ name: a.name(), t: readValType(a) })).length > 0) throw new Unsupported('named function results');
      } else throw new Unsupported('bad function result list');
      if (b === 0x43) return { k: 'unsupported', what: 'async function' };
      return { k: 'func', params, ...(result ? { result } : {}) };
    }
    case 0x41: return { k: 'component', decls: r.vec((a) => readDecl(a, true)) };
    case 0x42: return { k: 'instance', decls: r.vec((a) => readDecl(a, false)) };
    case 0x3f: {
      if (r.byte() !== 0x7f) throw new Unsupported('resource representation other than i32');
      const dtor = readOptionalFuncIdx(r);
      return dtor === undefined ? { k: 'resource' } : { k: 'resource', dtor };
    }
    default: throw new Unsupported(`type definition 0x${b.toString(16)}`);
  }
}

function readOptionalFuncIdx(r: Reader): number | undefined {
  const b = r.byte();
  if (b === 0x01) return r.u32();
  if (b !== 0x00) throw new Unsupported('bad optional index');
  return undefined;
}

function readDecl(r: Reader, inComponent: boolean): Decl {
  const b = r.byte();
  switch (b) {
    case 0x00: readCoreType(r); return { k: 'coreType' };
    case 0x01: return { k: 'type', def: readTypeDef(r) };
    case 0x02: return { k: 'alias', ...readAlias(r) };
    case 0x03:
      if (!inComponent) throw new Unsupported('import declarator in an instance type');
      return { k: 'import', name: readExternName(r), desc: readExternDesc(r) };
    case 0x04: return { k: 'export', name: readExternName(r), desc: readExternDesc(r) };
    default: throw new Unsupported(`unknown declarator 0x${b.toString(16)}`);
  }
}

function readExternDesc(r: Reader): ExternDesc {
  const b = r.byte();
  switch (b) {
    case 0x00:
      if (r.byte() !== 0x11) throw new Unsupported('bad core module extern descriptor');
      return { k: 'module', idx: r.u32() };
    case 0x01: return { k: 'func', idx: r.u32() };
    case 0x02: {
      const vb = r.byte();
      if (vb === 0x00) r.u32(); else readValType(r);
      return { k: 'value' };
    }
    case 0x03: {
      const tb = r.byte();
      if (tb === 0x00) return { k: 'type', eq: r.u32() };
      if (tb === 0x01) return { k: 'type', subResource: true };
      throw new Unsupported('bad type bound');
    }
    case 0x04: return { k: 'component', idx: r.u32() };
    case 0x05: return { k: 'instance', idx: r.u32() };
    default: throw new Unsupported(`unknown extern descriptor 0x${b.toString(16)}`);
  }
}

function readCanonOptions(r: Reader): CanonOptions {
  const opts: CanonOptions = { encoding: 'utf8', async: false };
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const b = r.byte();
    switch (b) {
      case 0x00: opts.encoding = 'utf8'; break;
      case 0x01: opts.encoding = 'utf16'; break;
      case 0x02: opts.encoding = 'latin1+utf16'; break;
      case 0x03: opts.memory = r.u32(); break;
      case 0x04: opts.realloc = r.u32(); break;
      case 0x05: opts.postReturn = r.u32(); break;
      case 0x06: opts.async = true; break;
      case 0x07: opts.callback = r.u32(); break;
      default: throw new Unsupported(`canonical option 0x${b.toString(16)}`);
    }
  }
  return opts;
}

/** Names of the canonical built-ins we refuse, for readable "unsupported" reasons. */
const CANON_BUILTINS: Record<number, string> = {
  0x02: 'resource.new', 0x03: 'resource.drop', 0x04: 'resource.rep', 0x07: 'resource.drop async',
  0x05: 'thread.spawn_ref', 0x06: 'thread.available_parallelism',
};

function readCanon(r: Reader): Definition {
  const op = r.byte();
  if (op === 0x00) {
    if (r.byte() !== 0x00) throw new Unsupported('canon lift of a non-function');
    const coreFunc = r.u32();
    const opts = readCanonOptions(r);
    return { s: 'canon', k: 'lift', coreFunc, opts, type: r.u32() };
  }
  if (op === 0x01) {
    if (r.byte() !== 0x00) throw new Unsupported('canon lower of a non-function');
    const func = r.u32();
    return { s: 'canon', k: 'lower', func, opts: readCanonOptions(r) };
  }
  if (op === 0x03) return { s: 'canon', k: 'resource.drop', type: r.u32() };
  if (op === 0x02) return { s: 'canon', k: 'resource.new', type: r.u32() };
  if (op === 0x04) return { s: 'canon', k: 'resource.rep', type: r.u32() };
  const builtin = CANON_BUILTINS[op] ?? 'async/thread built-in';
  throw new Unsupported(`canon ${builtin} (0x${op.toString(16)})`);
}

function readImport(r: Reader): Definition {
  return { s: 'import', name: readExternName(r), desc: readExternDesc(r) };
}

function readExport(r: Reader): Definition {
  const name = readExternName(r);
  const sort = readSort(r);
  const idx = r.u32();
  const has = r.byte();
  if (has === 0x01) return { s: 'export', name, sort, idx, desc: readExternDesc(r) };
  if (has !== 0x00) throw new Unsupported('bad export type ascription marker');
  return { s: 'export', name, sort, idx };
}

/** True when any canonical function of the component (nested ones included) uses `encoding`. */
export function usesStringEncoding(parsed: ParsedComponent, encoding: CanonOptions['encoding']): boolean {
  return parsed.definitions.some((d) => (d.s === 'canon' && (d.k === 'lift' || d.k === 'lower') && d.opts.encoding === encoding)
    || (d.s === 'component' && usesStringEncoding(d.component, encoding)));
}
