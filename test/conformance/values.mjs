// Seeded random values for the fuzzer's types (integers at their limits, NaNs, -0, every kind of
// string), the reference serialization of a value (what the guest's `dump` writes), its parser, and
// the value shapes jco uses. Handles appear as placeholders `{ $thing: rep }` / `{ $host: v }`,
// which each implementation turns into its own handle objects.
import { discSize, layout, taggedOption, variantCases } from './types.mjs';

const camels = new Map();
/** jco's lowerCamelCase for WIT names. */
export function camel(name) {
  let c = camels.get(name);
  if (c === undefined) {
    const parts = name.split('-');
    c = parts[0].toLowerCase() + parts.slice(1).map((p) => (p ? p[0].toUpperCase() + p.slice(1).toLowerCase() : '')).join('');
    camels.set(name, c);
  }
  return c;
}

const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];

const F64_SPECIAL = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** 53, 1e-310, 3.4028234663852886e38, 1.401298464324817e-45];
const STRINGS = ['', 'a', 'hello', 'wörld', 'ÿ\u0080é', 'Ā', '中文字', '🌍 emoji', 'a\u0000b', 'x'.repeat(70), 'ünïcødé ✓', 'mixed ÿ and Ā', '\u{10FFFF}', '\uFFFD', 'tab\t\nnl'];

/** A NaN with payload bits (f64), as V8 may keep them through memory. */
function nanWithPayload(r) {
  const bits = 0x7ff0000000000000n | BigInt(int(r, 1, 0xfffff)) << 20n | BigInt(int(r, 0, 0xfffff));
  return new Float64Array(new BigUint64Array([r() < 0.5 ? bits : bits | (1n << 63n)]).buffer)[0];
}

function randomChar(r) {
  const cp = pick(r, [0, 0x41, 0x7f, 0x80, 0xff, 0x100, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff, int(r, 0x20, 0x7e), int(r, 0x100, 0xd7ff), int(r, 0x10000, 0x10ffff)]);
  return String.fromCodePoint(cp);
}

function randomString(r) {
  if (r() < 0.6) return pick(r, STRINGS);
  let s = '';
  for (let n = int(r, 0, 12); n > 0; n--) s += randomChar(r);
  return s;
}

const BIG = { u64: [0n, 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n], s64: [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n] };
const INT_RANGE = { u8: [0, 255], s8: [-128, 127], u16: [0, 65535], s16: [-32768, 32767], u32: [0, 2 ** 32 - 1], s32: [-(2 ** 31), 2 ** 31 - 1] };
const TYPED = { u8: Uint8Array, s8: Int8Array, u16: Uint16Array, s16: Int16Array, u32: Uint32Array, s32: Int32Array, u64: BigUint64Array, s64: BigInt64Array, f32: Float32Array, f64: Float64Array };

/**
 * A random value of `t`. `ctx.rep()` hands out unique resource reps (non-zero u32).
 */
export function randomValue(r, t, ctx) {
  switch (t.k) {
    case 'bool': return r() < 0.5;
    case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32': {
      const [lo, hi] = INT_RANGE[t.k];
      return r() < 0.3 ? pick(r, [lo, hi, 0, lo + 1, hi - 1]) : int(r, lo, hi);
    }
    case 'u64': return r() < 0.3 ? pick(r, BIG.u64) : BigInt.asUintN(64, (BigInt(int(r, 0, 0xffffffff)) << 32n) | BigInt(int(r, 0, 0xffffffff)));
    case 's64': return r() < 0.3 ? pick(r, BIG.s64) : BigInt.asIntN(64, (BigInt(int(r, 0, 0xffffffff)) << 32n) | BigInt(int(r, 0, 0xffffffff)));
    case 'f32': case 'f64': {
      const x = r();
      if (x < 0.25) return pick(r, F64_SPECIAL);
      if (x < 0.3) return nanWithPayload(r);
      const v = (r() - 0.5) * 10 ** int(r, -40, 40);
      return t.k === 'f32' && r() < 0.5 ? Math.fround(v) : v;
    }
    case 'char': return randomChar(r);
    case 'string': return randomString(r);
    case 'list': {
      const n = r() < 0.02 ? int(r, 40, 120) : int(r, 0, 6);
      const items = Array.from({ length: n }, () => randomValue(r, t.elem, ctx));
      const typed = TYPED[t.elem.k];
      return typed && r() < 0.5 ? typed.from(items) : items;
    }
    case 'record': return Object.fromEntries(t.fields.map((f) => [camel(f.name), randomValue(r, f.t, ctx)]));
    case 'tuple': return t.ts.map((x) => randomValue(r, x, ctx));
    case 'enum': return pick(r, t.cases);
    case 'flags': {
      const o = {};
      for (const f of t.flags) if (r() < 0.6) o[camel(f)] = r() < 0.5;
      return o;
    }
    case 'variant': {
      const c = pick(r, t.cases);
      return c.t ? { tag: c.name, val: randomValue(r, c.t, ctx) } : { tag: c.name };
    }
    case 'option':
      if (taggedOption(t)) return r() < 0.3 ? { tag: 'none' } : { tag: 'some', val: randomValue(r, t.t, ctx) };
      return r() < 0.3 ? (r() < 0.5 ? undefined : null) : randomValue(r, t.t, ctx);
    case 'result': {
      const ok = r() < 0.5;
      const payload = ok ? t.ok : t.err;
      return payload ? { tag: ok ? 'ok' : 'err', val: randomValue(r, payload, ctx) } : { tag: ok ? 'ok' : 'err' };
    }
    case 'own': case 'borrow': return t.res === 'thing' ? { $thing: ctx.rep() } : { $host: ctx.rep() };
  }
  throw new Error(`no value for ${t.k}`);
}

// ---- serialization: what the guest's `dump` writes for a value in memory ----

/** A growable byte sink. */
class Sink {
  constructor() { this.buf = new Uint8Array(256); this.dv = new DataView(this.buf.buffer); this.n = 0; }
  room(k) {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v) { this.room(1); this.dv.setUint8(this.n, v); this.n += 1; }
  u16(v) { this.room(2); this.dv.setUint16(this.n, v, true); this.n += 2; }
  u32(v) { this.room(4); this.dv.setUint32(this.n, v >>> 0, true); this.n += 4; }
  u64(v) { this.room(8); this.dv.setBigUint64(this.n, BigInt.asUintN(64, v), true); this.n += 8; }
  f32(v, canon) { this.room(4); if (canon && Number.isNaN(v)) this.dv.setUint32(this.n, 0x7fc00000, true); else this.dv.setFloat32(this.n, v, true); this.n += 4; }
  f64(v, canon) { this.room(8); if (canon && Number.isNaN(v)) this.dv.setBigUint64(this.n, 0x7ff8000000000000n, true); else this.dv.setFloat64(this.n, v, true); this.n += 8; }
  bytes(b) { this.room(b.length); this.buf.set(b, this.n); this.n += b.length; }
  done() { return this.buf.slice(0, this.n); }
}

const utf8 = new TextEncoder();

/** A string as the canonical ABI stores it in `enc`: [length field, bytes]. */
function stringBytes(s, enc) {
  if (enc === 'utf8') { const b = utf8.encode(s); return [b.length, b]; }
  const units = s.length;
  const wide = enc === 'utf16' || [...Array(units).keys()].some((i) => s.charCodeAt(i) > 0xff);
  if (!wide) return [units, Uint8Array.from({ length: units }, (_, i) => s.charCodeAt(i))];
  const b = new Uint8Array(units * 2);
  for (let i = 0; i < units; i++) { const c = s.charCodeAt(i); b[2 * i] = c & 0xff; b[2 * i + 1] = c >>> 8; }
  return [enc === 'utf16' ? units : (units | 0x80000000) >>> 0, b];
}

/** Discriminant of a value of a variant-like type, and its payload. */
export function caseOf(t, v) {
  switch (t.k) {
    case 'enum': return [t.cases.indexOf(v), undefined];
    case 'variant': return [t.cases.findIndex((c) => c.name === v.tag), v.val];
    case 'option':
      if (taggedOption(t)) return v.tag === 'none' ? [0, undefined] : [1, v.val];
      return v === undefined || v === null ? [0, undefined] : [1, v];
    case 'result': return v.tag === 'ok' ? [0, v.val] : [1, v.val];
  }
  throw new Error(t.k);
}

/**
 * The serialization of `v` (a value of `t`, handles as placeholders): integers little-endian at
 * their width, floats as their bits (`canonNaN`: every NaN as the canonical one), strings as the
 * ABI's length field + bytes in `enc`, lists as a u32 count + elements, flags as their memory
 * words, discriminants as u32, handles as their rep.
 */
export function serialize(t, v, enc, canonNaN = false) {
  const s = new Sink();
  ser(s, t, v, enc, canonNaN);
  return s.done();
}

function ser(s, t, v, enc, canon) {
  switch (t.k) {
    case 'bool': s.u8(v ? 1 : 0); return;
    case 'u8': case 's8': s.u8(v & 0xff); return;
    case 'u16': case 's16': s.u16(v & 0xffff); return;
    case 'u32': case 's32': s.u32(v); return;
    case 'u64': case 's64': s.u64(BigInt(v)); return;
    case 'f32': s.f32(v, canon); return;
    case 'f64': s.f64(v, canon); return;
    case 'char': s.u32(v.codePointAt(0)); return;
    case 'string': { const [len, b] = stringBytes(v, enc); s.u32(len); s.bytes(b); return; }
    case 'list': { const items = Array.from(v); s.u32(items.length); for (const x of items) ser(s, t.elem, x, enc, canon); return; }
    case 'record': for (const f of t.fields) ser(s, f.t, v[camel(f.name)], enc, canon); return;
    case 'tuple': t.ts.forEach((x, i) => ser(s, x, v[i], enc, canon)); return;
    case 'flags': {
      const words = new Array(Math.ceil(t.flags.length / 32)).fill(0);
      t.flags.forEach((f, i) => { if (v?.[camel(f)]) words[i >> 5] |= 1 << (i & 31); });
      const size = layout(t).size;
      if (size === 1) s.u8(words[0]); else if (size === 2) s.u16(words[0]); else words.forEach((w) => s.u32(w));
      return;
    }
    case 'enum': case 'variant': case 'option': case 'result': {
      const [i, payload] = caseOf(t, v);
      s.u32(i);
      const c = variantCases(t)[i];
      if (c) ser(s, c, payload, enc, canon);
      return;
    }
    case 'own': case 'borrow': s.u32(v.$thing ?? v.$host); return;
  }
  throw new Error(t.k);
}

/** Parses a serialization back into a value (jco's shapes; handles as placeholders). */
export function deserialize(t, bytes, enc) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pos = { i: 0 };
  const v = de(dv, pos, t, enc);
  if (pos.i !== bytes.length) throw new Error(`serialization has ${bytes.length - pos.i} trailing bytes`);
  return v;
}

const utf8d = new TextDecoder();
const utf16d = new TextDecoder('utf-16le');

function de(dv, p, t, enc) {
  const u32 = () => { const x = dv.getUint32(p.i, true); p.i += 4; return x; };
  switch (t.k) {
    case 'bool': return dv.getUint8(p.i++) !== 0;
    case 'u8': return dv.getUint8(p.i++);
    case 's8': return dv.getInt8(p.i++);
    case 'u16': { const x = dv.getUint16(p.i, true); p.i += 2; return x; }
    case 's16': { const x = dv.getInt16(p.i, true); p.i += 2; return x; }
    case 'u32': return u32();
    case 's32': { const x = dv.getInt32(p.i, true); p.i += 4; return x; }
    case 'u64': { const x = dv.getBigUint64(p.i, true); p.i += 8; return x; }
    case 's64': { const x = dv.getBigInt64(p.i, true); p.i += 8; return x; }
    case 'f32': { const x = dv.getFloat32(p.i, true); p.i += 4; return x; }
    case 'f64': { const x = dv.getFloat64(p.i, true); p.i += 8; return x; }
    case 'char': return String.fromCodePoint(u32());
    case 'string': {
      const len = u32();
      const wide = enc === 'utf16' || (enc === 'latin1+utf16' && len >= 0x80000000);
      const n = enc === 'utf8' ? len : wide ? 2 * (len & 0x7fffffff) : len;
      const b = new Uint8Array(dv.buffer, dv.byteOffset + p.i, n);
      p.i += n;
      return enc === 'utf8' ? utf8d.decode(b) : wide ? utf16d.decode(b) : String.fromCharCode(...b);
    }
    case 'list': { const n = u32(); return Array.from({ length: n }, () => de(dv, p, t.elem, enc)); }
    case 'record': return Object.fromEntries(t.fields.map((f) => [camel(f.name), de(dv, p, f.t, enc)]));
    case 'tuple': return t.ts.map((x) => de(dv, p, x, enc));
    case 'flags': {
      const size = layout(t).size;
      const words = [];
      if (size === 1) words.push(dv.getUint8(p.i++));
      else if (size === 2) { words.push(dv.getUint16(p.i, true)); p.i += 2; } else for (let k = 0; k < size / 4; k++) words.push(u32());
      return Object.fromEntries(t.flags.map((f, i) => [camel(f), (words[i >> 5] & (1 << (i & 31))) !== 0]));
    }
    case 'enum': case 'variant': case 'option': case 'result': {
      const i = u32();
      const c = variantCases(t)[i];
      const payload = c ? de(dv, p, c, enc) : undefined;
      switch (t.k) {
        case 'enum': return t.cases[i];
        case 'variant': return c ? { tag: t.cases[i].name, val: payload } : { tag: t.cases[i].name };
        case 'option': return taggedOption(t) ? (i === 0 ? { tag: 'none' } : { tag: 'some', val: payload }) : (i === 0 ? undefined : payload);
        case 'result': return { tag: i === 0 ? 'ok' : 'err', val: payload };
      }
    }
    // falls through (unreachable)
    case 'own': case 'borrow': { const rep = u32(); return t.res === 'thing' ? { $thing: rep } : { $host: rep }; }
  }
  throw new Error(t.k);
}

/** `bytes` with every float NaN made canonical (parse, then serialize with `canonNaN`). */
export function canonicalBytes(t, bytes, enc) {
  return serialize(t, deserialize(t, bytes, enc), enc, true);
}

/**
 * Serializations the guest's `make` turns into invalid values (a discriminant, bool or char out of
 * range) or not: a corruption of one random node of `v`. Returns the bytes.
 */
export function corruptSerialization(r, t, v, enc) {
  const nodes = [];
  const collect = (tt, vv, path) => {
    if (['bool', 'char', 'enum', 'variant', 'option', 'result'].includes(tt.k)) nodes.push(path);
    switch (tt.k) {
      case 'list': Array.from(vv).forEach((x, i) => collect(tt.elem, x, [...path, i])); break;
      case 'record': tt.fields.forEach((f) => collect(f.t, vv[camel(f.name)], [...path, camel(f.name)])); break;
      case 'tuple': tt.ts.forEach((x, i) => collect(x, vv[i], [...path, i])); break;
      case 'enum': case 'variant': case 'option': case 'result': {
        const [i, payload] = caseOf(tt, vv);
        const c = variantCases(tt)[i];
        if (c) collect(c, payload, [...path, 'val']);
        break;
      }
    }
  };
  collect(t, v, []);
  if (nodes.length === 0) return serialize(t, v, enc);
  const target = pick(r, nodes).join('/');
  const s = new Sink();
  const corrupt = (tt, vv, path) => {
    if (path.join('/') !== target) return false;
    if (tt.k === 'bool') { s.u8(int(r, 2, 255)); return true; }
    if (tt.k === 'char') { s.u32(pick(r, [0xd800, 0xdfff, 0x110000, 0xffffffff])); return true; }
    const n = variantCases(tt).length;
    const max = 2 ** (8 * discSize(n)) - 1;
    s.u32(int(r, n, Math.min(max, n + 3))); // out of range, but representable in its memory width
    return true;
  };
  // Serialize with one node replaced (its payload, if any, is left out: the guest reads none).
  const walkSer = (tt, vv, path) => {
    if (corrupt(tt, vv, path)) return;
    switch (tt.k) {
      case 'list': { const items = Array.from(vv); s.u32(items.length); items.forEach((x, i) => walkSer(tt.elem, x, [...path, i])); return; }
      case 'record': tt.fields.forEach((f) => walkSer(f.t, vv[camel(f.name)], [...path, camel(f.name)])); return;
      case 'tuple': tt.ts.forEach((x, i) => walkSer(x, vv[i], [...path, i])); return;
      case 'enum': case 'variant': case 'option': case 'result': {
        const [i, payload] = caseOf(tt, vv);
        s.u32(i);
        const c = variantCases(tt)[i];
        if (c) walkSer(c, payload, [...path, 'val']);
        return;
      }
      default: ser(s, tt, vv, enc, false);
    }
  };
  walkSer(t, v, []);
  return s.done();
}
