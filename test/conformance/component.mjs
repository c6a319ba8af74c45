// Builds a fuzz component from a list of types: its WIT, and a core module in WAT that implements
// the exports with the canonical ABI by hand (forwarding to the host, serializing a value from its
// memory layout, building a value from a serialization), then `componentEmbed` + `componentNew`.
//
// Per type Ti, interface `fuzz:c/api` exports (when the type allows it):
//   echo-i(x: Ti) -> Ti                  forwards to the host's echo-i (flat or memory params/result)
//   dump-i(x: list<Ti>) -> list<u8>      the guest serializes the values from their memory layout
//   make-i(b: list<u8>) -> list<Ti>      the guest builds the values from a serialization
//   host-dump-i(x: Ti) -> list<u8>       forwards to the host's dump-i (the host serializes in JS)
//   host-dump-list-i(x: list<Ti>) -> list<u8>   the same through memory
//   host-make-i() -> list<u8>            the guest serializes what the host's make-i returns
// and over all types: dump-all(x0: T0, ..., pad) (parameters in memory) and host-dump-all(x0, ...).
// Resource `thing` (defined by the guest: rep = the constructor's argument, `get` returns it) and
// `host-thing` (imported) appear in types as own/borrow handles.
import { hasBorrow, hasGuestResource, hasHostResource, layout, namedTypes, witDefinition, witType } from './types.mjs';

export const PACKAGE = 'fuzz:c@0.1.0';
export const API = 'fuzz:c/api@0.1.0';
export const HOST = 'fuzz:c/host@0.1.0';
const BASE = 1024;
const PAD = { k: 'tuple', ts: Array.from({ length: 16 }, () => ({ k: 'u64' })) };

/** Which functions type `t` gets (see the module comment). */
export function functionsOf(t) {
  const guest = hasGuestResource(t);
  const borrow = hasBorrow(t);
  return {
    echo: !guest && !borrow,
    dump: true,
    make: !borrow,
    hostDump: !guest,
    hostMake: !guest && !borrow,
  };
}

/** WIT and WAT of the component for `types` (strings in `encoding`). */
export function componentSource(types, encoding) {
  const fns = types.map(functionsOf);
  const usesThing = types.some(hasGuestResource);
  const usesHostThing = types.some(hasHostResource);
  const allHost = types.map((t, i) => i).filter((i) => fns[i].hostDump);
  const hostTypes = types.filter((t, i) => fns[i].hostDump);
  const host = [];
  const api = [];
  types.forEach((t, i) => {
    const T = witType(t);
    if (fns[i].echo) { host.push(`echo-${i}: func(x: ${T}) -> ${T};`); api.push(`echo-${i}: func(x: ${T}) -> ${T};`); }
    api.push(`dump-${i}: func(x: list<${T}>) -> list<u8>;`);
    if (fns[i].make) api.push(`make-${i}: func(b: list<u8>) -> list<${T}>;`);
    if (fns[i].hostDump) {
      host.push(`dump-${i}: func(x: ${T}) -> list<u8>;`, `dump-list-${i}: func(x: list<${T}>) -> list<u8>;`);
      api.push(`host-dump-${i}: func(x: ${T}) -> list<u8>;`, `host-dump-list-${i}: func(x: list<${T}>) -> list<u8>;`);
    }
    if (fns[i].hostMake) { host.push(`make-${i}: func() -> list<${T}>;`); api.push(`host-make-${i}: func() -> list<u8>;`); }
  });
  api.push(`dump-all: func(${types.map((t, i) => `x${i}: ${witType(t)}, `).join('')}pad: ${witType(PAD)}) -> list<u8>;`);
  if (allHost.length) {
    const params = allHost.map((i) => `x${i}: ${witType(types[i])}`).join(', ');
    host.push(`dump-all: func(${params}) -> list<u8>;`);
    api.push(`host-dump-all: func(${params}) -> list<u8>;`);
  }
  api.push('dropped: func() -> u32;');
  const apiTypes = namedTypes(types);
  const hostNamed = namedTypes(hostTypes);
  const wit = `package ${PACKAGE};

interface host {
${usesHostThing ? '  resource host-thing { constructor(v: u32); get: func() -> u32; }\n' : ''}${hostNamed.map((t) => `  ${witDefinition(t)}\n`).join('')}${host.map((l) => `  ${l}\n`).join('')}}

interface api {
${usesHostThing ? '  use host.{host-thing};\n' : ''}${usesThing ? '  resource thing { constructor(v: u32); get: func() -> u32; }\n' : ''}${apiTypes.map((t) => `  ${witDefinition(t)}\n`).join('')}${api.map((l) => `  ${l}\n`).join('')}}

world fuzz {
  import host;
  export api;
}
`;
  return { wit, wat: coreWat(types, fns, allHost, encoding, usesThing, usesHostThing) };
}

/** Builds the component (bytes) with jco's wasm-tools. */
export async function buildComponent(jco, types, encoding) {
  const { wit, wat } = componentSource(types, encoding);
  const core = await jco.parse(wat);
  const stringEncoding = encoding === 'latin1+utf16' ? 'compact-utf16' : encoding;
  const embedded = await jco.componentEmbed({ binary: core, witSource: wit, world: 'fuzz', stringEncoding });
  return { bytes: await jco.componentNew(embedded), wit, wat };
}

// ---- core module ----

/** One core function under construction: locals and instructions. */
class Fn {
  constructor(params) {
    this.params = params;
    this.locals = [];
    this.code = [];
    this.labels = 0;
  }
  local(type = 'i32') {
    const name = `$l${this.params.length + this.locals.length}`;
    this.locals.push([name, type]);
    return name;
  }
  label() { return `$b${this.labels++}`; }
  emit(...lines) { this.code.push(...lines); }
  text(head) {
    return `(func ${head}\n    ${this.locals.map(([n, t]) => `(local ${n} ${t})`).join(' ')}\n    ${this.code.join('\n    ')})`;
  }
}

const LOAD = { bool: 'i32.load8_u', u8: 'i32.load8_u', s8: 'i32.load8_u', u16: 'i32.load16_u', s16: 'i32.load16_u', u32: 'i32.load', s32: 'i32.load', char: 'i32.load', f32: 'i32.load', u64: 'i64.load', s64: 'i64.load', f64: 'i64.load' };
const WRITE = { 1: '$w8', 2: '$w16', 4: '$w32', 8: '$w64' };
const READ = { 1: '$r8', 2: '$r16', 4: '$r32', 8: '$r64' };
const STORE = { 1: 'i32.store8', 2: 'i32.store16', 4: 'i32.store', 8: 'i64.store' };

/** Byte length of a string from its ABI length field (in `len`). */
function stringByteLength(fn, len, encoding) {
  if (encoding === 'utf8') fn.emit(`local.get ${len}`);
  else if (encoding === 'utf16') fn.emit(`local.get ${len}`, 'i32.const 1', 'i32.shl');
  else fn.emit(`local.get ${len}`, 'i32.const 0x7fffffff', 'i32.and', 'i32.const 1', 'i32.shl', `local.get ${len}`, `local.get ${len}`, 'i32.const 0', 'i32.lt_s', 'select');
}

/** Appends the serialization of the value at `addr + off` to the output. */
function genSer(fn, t, addr, off, encoding) {
  const l = layout(t);
  switch (t.k) {
    case 'string': {
      const p = fn.local(); const n = fn.local(); const b = fn.local();
      fn.emit(`local.get ${addr}`, `i32.load offset=${off}`, `local.set ${p}`, `local.get ${addr}`, `i32.load offset=${off + 4}`, `local.set ${n}`);
      fn.emit(`local.get ${n}`, 'call $w32');
      stringByteLength(fn, n, encoding);
      fn.emit(`local.set ${b}`, `local.get ${p}`, `local.get ${b}`, 'call $wbytes');
      return;
    }
    case 'list': {
      const p = fn.local(); const n = fn.local(); const i = fn.local(); const e = fn.local();
      const brk = fn.label(); const top = fn.label();
      const size = layout(t.elem).size;
      fn.emit(`local.get ${addr}`, `i32.load offset=${off}`, `local.set ${p}`, `local.get ${addr}`, `i32.load offset=${off + 4}`, `local.set ${n}`);
      fn.emit(`local.get ${n}`, 'call $w32', 'i32.const 0', `local.set ${i}`, `block ${brk}`, `loop ${top}`);
      fn.emit(`local.get ${i}`, `local.get ${n}`, 'i32.ge_u', `br_if ${brk}`);
      fn.emit(`local.get ${p}`, `local.get ${i}`, `i32.const ${size}`, 'i32.mul', 'i32.add', `local.set ${e}`);
      genSer(fn, t.elem, e, 0, encoding);
      fn.emit(`local.get ${i}`, 'i32.const 1', 'i32.add', `local.set ${i}`, `br ${top}`, 'end', 'end');
      return;
    }
    case 'record': case 'tuple': {
      const members = t.k === 'record' ? t.fields.map((f) => f.t) : t.ts;
      members.forEach((m, i) => genSer(fn, m, addr, off + l.offsets[i], encoding));
      return;
    }
    case 'flags':
      if (l.size === 1) fn.emit(`local.get ${addr}`, `i32.load8_u offset=${off}`, 'call $w8');
      else if (l.size === 2) fn.emit(`local.get ${addr}`, `i32.load16_u offset=${off}`, 'call $w16');
      else for (let k = 0; k < l.size / 4; k++) fn.emit(`local.get ${addr}`, `i32.load offset=${off + 4 * k}`, 'call $w32');
      return;
    case 'enum': case 'variant': case 'option': case 'result': {
      const d = fn.local();
      const load = l.disc === 1 ? 'i32.load8_u' : l.disc === 2 ? 'i32.load16_u' : 'i32.load';
      fn.emit(`local.get ${addr}`, `${load} offset=${off}`, `local.set ${d}`, `local.get ${d}`, 'call $w32');
      dispatch(fn, l.cases, d, (c) => genSer(fn, c, addr, off + l.payload, encoding));
      return;
    }
    case 'own': case 'borrow': {
      const h = fn.local();
      fn.emit(`local.get ${addr}`, `i32.load offset=${off}`, `local.set ${h}`);
      if (t.res === 'thing') {
        // own: a handle into the guest's table (its rep is the value; then dropped); borrow: the rep itself.
        if (t.k === 'own') fn.emit(`local.get ${h}`, 'call $thing_rep', 'call $w32', `local.get ${h}`, 'call $thing_drop');
        else fn.emit(`local.get ${h}`, 'call $w32');
      } else {
        fn.emit(`local.get ${h}`, 'call $hthing_get', 'call $w32', `local.get ${h}`, 'call $hthing_drop');
      }
      return;
    }
    default:
      fn.emit(`local.get ${addr}`, `${LOAD[t.k]} offset=${off}`, `call ${WRITE[l.size]}`);
  }
}

/** Reads a serialization from the input and stores the value at `addr + off`. */
function genDe(fn, t, addr, off, encoding) {
  const l = layout(t);
  switch (t.k) {
    case 'string': {
      const n = fn.local(); const b = fn.local(); const p = fn.local();
      fn.emit('call $r32', `local.set ${n}`);
      stringByteLength(fn, n, encoding);
      fn.emit(`local.set ${b}`, `i32.const ${encoding === 'utf8' ? 1 : 2}`, `local.get ${b}`, 'call $alloc', `local.set ${p}`);
      fn.emit(`local.get ${p}`, 'global.get $in', `local.get ${b}`, 'memory.copy', 'global.get $in', `local.get ${b}`, 'i32.add', 'global.set $in');
      fn.emit(`local.get ${addr}`, `local.get ${p}`, `i32.store offset=${off}`, `local.get ${addr}`, `local.get ${n}`, `i32.store offset=${off + 4}`);
      return;
    }
    case 'list': {
      const el = layout(t.elem);
      const n = fn.local(); const p = fn.local(); const i = fn.local(); const e = fn.local();
      const brk = fn.label(); const top = fn.label();
      fn.emit('call $r32', `local.set ${n}`, `i32.const ${el.align}`, `local.get ${n}`, `i32.const ${el.size}`, 'i32.mul', 'call $alloc', `local.set ${p}`);
      fn.emit('i32.const 0', `local.set ${i}`, `block ${brk}`, `loop ${top}`, `local.get ${i}`, `local.get ${n}`, 'i32.ge_u', `br_if ${brk}`);
      fn.emit(`local.get ${p}`, `local.get ${i}`, `i32.const ${el.size}`, 'i32.mul', 'i32.add', `local.set ${e}`);
      genDe(fn, t.elem, e, 0, encoding);
      fn.emit(`local.get ${i}`, 'i32.const 1', 'i32.add', `local.set ${i}`, `br ${top}`, 'end', 'end');
      fn.emit(`local.get ${addr}`, `local.get ${p}`, `i32.store offset=${off}`, `local.get ${addr}`, `local.get ${n}`, `i32.store offset=${off + 4}`);
      return;
    }
    case 'record': case 'tuple': {
      const members = t.k === 'record' ? t.fields.map((f) => f.t) : t.ts;
      members.forEach((m, i) => genDe(fn, m, addr, off + l.offsets[i], encoding));
      return;
    }
    case 'flags':
      if (l.size === 1) fn.emit(`local.get ${addr}`, 'call $r8', `i32.store8 offset=${off}`);
      else if (l.size === 2) fn.emit(`local.get ${addr}`, 'call $r16', `i32.store16 offset=${off}`);
      else for (let k = 0; k < l.size / 4; k++) fn.emit(`local.get ${addr}`, 'call $r32', `i32.store offset=${off + 4 * k}`);
      return;
    case 'enum': case 'variant': case 'option': case 'result': {
      const d = fn.local();
      fn.emit('call $r32', `local.set ${d}`, `local.get ${addr}`, `local.get ${d}`, `${STORE[l.disc]} offset=${off}`);
      dispatch(fn, l.cases, d, (c) => genDe(fn, c, addr, off + l.payload, encoding));
      return;
    }
    case 'own':
      fn.emit(`local.get ${addr}`, 'call $r32', t.res === 'thing' ? 'call $thing_new' : 'call $hthing_new', `i32.store offset=${off}`);
      return;
    default:
      fn.emit(`local.get ${addr}`, `call ${READ[l.size]}`, `${STORE[l.size]} offset=${off}`);
  }
}

/** `br_table` over a discriminant: `body(caseType)` for each case with a payload; out-of-range: nothing. */
function dispatch(fn, cases, d, body) {
  if (!cases.some(Boolean)) return;
  const end = fn.label();
  const labels = cases.map(() => fn.label());
  fn.emit(`block ${end}`);
  for (let k = cases.length - 1; k >= 0; k--) fn.emit(`block ${labels[k]}`);
  fn.emit(`local.get ${d}`, `br_table ${labels.join(' ')} ${end}`);
  cases.forEach((c, k) => {
    fn.emit(`end ;; case ${k}`);
    if (c) body(c);
    fn.emit(`br ${end}`);
  });
  fn.emit('end');
}

/** Core signature of a function with these params and (optional) result, as the canonical ABI flattens it. */
function coreSig(params, result, { lower }) {
  const flat = params.flatMap((t) => layout(t).flat);
  const p = flat.length > 16 ? ['i32'] : flat;
  const rflat = result ? layout(result).flat : [];
  if (rflat.length <= 1) return { params: p, results: rflat, retptr: false };
  // A lowered import writes its result through a pointer it is given; a lifted export returns one.
  return lower ? { params: [...p, 'i32'], results: [], retptr: true } : { params: p, results: ['i32'], retptr: true };
}

const sigText = (s) => `${s.params.length ? `(param ${s.params.join(' ')})` : ''} ${s.results.length ? `(result ${s.results.join(' ')})` : ''}`;

function coreWat(types, fns, allHost, encoding, usesThing, usesHostThing) {
  const imports = [];
  const funcs = [];
  const LIST_U8 = { k: 'list', elem: { k: 'u8' } };
  const exp = (name, params, result, build) => {
    const sig = coreSig(params, result, { lower: false });
    const fn = new Fn(sig.params);
    build(fn, sig);
    const head = `(export "${API}#${name}") ${sig.params.map((t, i) => `(param $l${i} ${t})`).join(' ')} ${sig.results.length ? `(result ${sig.results.join(' ')})` : ''}`;
    funcs.push(fn.text(head));
    // Post-return: everything the call allocated is garbage once the result is lifted.
    funcs.push(`(func (export "cabi_post_${API}#${name}") ${sig.results.length ? `(param ${sig.results.join(' ')})` : ''} i32.const ${BASE} global.set $bump)`);
  };
  const imp = (name, params, result) => {
    const sig = coreSig(params, result, { lower: true });
    const id = `$h_${name.replaceAll(/[^a-z0-9]/g, '_')}`;
    imports.push(`(import "${HOST}" "${name}" (func ${id} ${sigText(sig)}))`);
    return { id, sig };
  };
  /** Forwards the export's core parameters to a host import of the same shape. */
  const forward = (name, params, result) => {
    const target = imp(name, params, result);
    return (fn, sig) => {
      const args = sig.params.map((_, i) => `local.get $l${i}`);
      if (!target.sig.retptr) { fn.emit(...args, `call ${target.id}`); return; }
      const r = fn.local();
      const rl = layout(result);
      fn.emit(`i32.const ${rl.align}`, `i32.const ${rl.size}`, 'call $alloc', `local.set ${r}`, ...args, `local.get ${r}`, `call ${target.id}`, `local.get ${r}`);
    };
  };
  /** Serializes the list at (p, n) of `t` and returns a pointer to the (ptr, len) of the bytes. */
  const serializeList = (fn, t, p, n) => {
    const start = fn.local(); const r = fn.local();
    const wrap = fn.local(); // a synthetic (ptr, len) cell for genSer's list case
    fn.emit('global.get $bump', 'global.set $out', 'global.get $out', `local.set ${start}`);
    fn.emit('i32.const 4', 'i32.const 8', 'call $scratch', `local.set ${wrap}`);
    fn.emit(`local.get ${wrap}`, `local.get ${p}`, 'i32.store', `local.get ${wrap}`, `local.get ${n}`, 'i32.store offset=4');
    genSer(fn, { k: 'list', elem: t }, wrap, 0, encoding);
    fn.emit('global.get $out', 'global.set $bump', 'i32.const 4', 'i32.const 8', 'call $alloc', `local.set ${r}`);
    fn.emit(`local.get ${r}`, `local.get ${start}`, 'i32.store', `local.get ${r}`, 'global.get $out', `local.get ${start}`, 'i32.sub', 'i32.store offset=4', `local.get ${r}`);
  };

  types.forEach((t, i) => {
    const L = { k: 'list', elem: t };
    if (fns[i].echo) exp(`echo-${i}`, [t], t, forward(`echo-${i}`, [t], t));
    exp(`dump-${i}`, [L], LIST_U8, (fn) => serializeList(fn, t, '$l0', '$l1'));
    if (fns[i].make) {
      exp(`make-${i}`, [LIST_U8], L, (fn) => {
        const r = fn.local(); const cell = fn.local();
        fn.emit('local.get $l0', 'global.set $in', 'i32.const 4', 'i32.const 8', 'call $alloc', `local.set ${cell}`);
        genDe(fn, L, cell, 0, encoding);
        fn.emit(`local.get ${cell}`, `local.set ${r}`, `local.get ${r}`);
      });
    }
    if (fns[i].hostDump) {
      exp(`host-dump-${i}`, [t], LIST_U8, forward(`dump-${i}`, [t], LIST_U8));
      exp(`host-dump-list-${i}`, [L], LIST_U8, forward(`dump-list-${i}`, [L], LIST_U8));
    }
    if (fns[i].hostMake) {
      const target = imp(`make-${i}`, [], L);
      exp(`host-make-${i}`, [], LIST_U8, (fn) => {
        const cell = fn.local(); const p = fn.local(); const n = fn.local();
        fn.emit('i32.const 4', 'i32.const 8', 'call $alloc', `local.set ${cell}`, `local.get ${cell}`, `call ${target.id}`);
        fn.emit(`local.get ${cell}`, 'i32.load', `local.set ${p}`, `local.get ${cell}`, 'i32.load offset=4', `local.set ${n}`);
        serializeList(fn, t, p, n);
      });
    }
  });
  // dump-all: the parameters (types + pad) are in memory as a tuple; serialize all but the pad.
  const all = { k: 'tuple', ts: [...types, PAD] };
  exp('dump-all', [...types, PAD], LIST_U8, (fn) => {
    const start = fn.local(); const r = fn.local();
    fn.emit('global.get $bump', 'global.set $out', 'global.get $out', `local.set ${start}`);
    types.forEach((t, i) => genSer(fn, t, '$l0', layout(all).offsets[i], encoding));
    fn.emit('global.get $out', 'global.set $bump', 'i32.const 4', 'i32.const 8', 'call $alloc', `local.set ${r}`);
    fn.emit(`local.get ${r}`, `local.get ${start}`, 'i32.store', `local.get ${r}`, 'global.get $out', `local.get ${start}`, 'i32.sub', 'i32.store offset=4', `local.get ${r}`);
  });
  if (allHost.length) {
    const ps = allHost.map((i) => types[i]);
    exp('host-dump-all', ps, LIST_U8, forward('dump-all', ps, LIST_U8));
  }
  exp('dropped', [], { k: 'u32' }, (fn) => fn.emit('global.get $dropped'));
  if (usesThing) {
    imports.push(
      `(import "[export]${API}" "[resource-new]thing" (func $thing_new (param i32) (result i32)))`,
      `(import "[export]${API}" "[resource-rep]thing" (func $thing_rep (param i32) (result i32)))`,
      `(import "[export]${API}" "[resource-drop]thing" (func $thing_drop (param i32)))`,
    );
    funcs.push(
      `(func (export "${API}#[constructor]thing") (param i32) (result i32) local.get 0 call $thing_new)`,
      `(func (export "${API}#[method]thing.get") (param i32) (result i32) local.get 0)`,
      `(func (export "${API}#[dtor]thing") (param i32) global.get $dropped i32.const 1 i32.add global.set $dropped)`,
    );
  }
  if (usesHostThing) {
    imports.push(
      `(import "${HOST}" "[constructor]host-thing" (func $hthing_new (param i32) (result i32)))`,
      `(import "${HOST}" "[method]host-thing.get" (func $hthing_get (param i32) (result i32)))`,
      `(import "${HOST}" "[resource-drop]host-thing" (func $hthing_drop (param i32)))`,
    );
  }
  return `(module
  ${imports.join('\n  ')}
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const ${BASE}))
  (global $out (mut i32) (i32.const 0))
  (global $in (mut i32) (i32.const 0))
  (global $dropped (mut i32) (i32.const 0))
  (func $grow (param $end i32)
    (block $ok (loop $more
      local.get $end
      memory.size
      i32.const 16
      i32.shl
      i32.le_u
      br_if $ok
      i32.const 1
      memory.grow
      i32.const -1
      i32.eq
      (if (then unreachable))
      br $more)))
  (func $alloc (param $align i32) (param $size i32) (result i32) (local $p i32)
    global.get $bump
    local.get $align
    i32.add
    i32.const 1
    i32.sub
    i32.const 0
    local.get $align
    i32.sub
    i32.and
    local.tee $p
    local.get $size
    i32.add
    global.set $bump
    global.get $bump
    call $grow
    local.get $p)
  ;; Scratch cells used while the output grows past the bump pointer: below BASE.
  (func $scratch (param i32 i32) (result i32) i32.const 64)
  (func (export "cabi_realloc") (param $old i32) (param $oldSize i32) (param $align i32) (param $size i32) (result i32) (local $p i32)
    local.get $align
    local.get $size
    call $alloc
    local.set $p
    (if (local.get $old) (then
      local.get $p
      local.get $old
      local.get $oldSize
      local.get $size
      local.get $oldSize
      local.get $size
      i32.lt_u
      select
      memory.copy))
    local.get $p)
  (func $w (param $n i32) (result i32) (local $p i32)
    global.get $out
    local.tee $p
    local.get $n
    i32.add
    global.set $out
    global.get $out
    call $grow
    local.get $p)
  (func $w8 (param i32) i32.const 1 call $w local.get 0 i32.store8)
  (func $w16 (param i32) i32.const 2 call $w local.get 0 i32.store16)
  (func $w32 (param i32) i32.const 4 call $w local.get 0 i32.store)
  (func $w64 (param i64) i32.const 8 call $w local.get 0 i64.store)
  (func $wbytes (param $p i32) (param $n i32) local.get $n call $w local.get $p local.get $n memory.copy)
  (func $r (param $n i32) (result i32) (local $p i32)
    global.get $in
    local.tee $p
    local.get $n
    i32.add
    global.set $in
    local.get $p)
  (func $r8 (result i32) i32.const 1 call $r i32.load8_u)
  (func $r16 (result i32) i32.const 2 call $r i32.load16_u)
  (func $r32 (result i32) i32.const 4 call $r i32.load)
  (func $r64 (result i64) i32.const 8 call $r i64.load)
  ${funcs.join('\n  ')})`;
}

