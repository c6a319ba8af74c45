// The differential fuzzer's own model of component-model value types: a seeded generator, WIT
// printing, the canonical ABI layout (size, alignment, flattening) and a reference serialization
// of values. Written from CanonicalABI.md, independently of lib/ (whose codecs are under test).

/** Primitive kinds. */
export const PRIMS = ['bool', 'u8', 's8', 'u16', 's16', 'u32', 's32', 'u64', 's64', 'f32', 'f64', 'char', 'string'];

/**
 * A type: `{ k: prim }`, `{ k: 'list', elem }`, `{ k: 'record', name, fields: [{ name, t }] }`,
 * `{ k: 'tuple', ts }`, `{ k: 'variant', name, cases: [{ name, t? }] }`, `{ k: 'enum', name, cases }`,
 * `{ k: 'flags', name, flags }`, `{ k: 'option', t }`, `{ k: 'result', ok?, err? }`,
 * `{ k: 'own' | 'borrow', res: 'thing' | 'host-thing' }` (`thing`: defined and exported by the
 * guest; `host-thing`: imported from the host).
 */

const WORDS = ['a', 'b', 'x', 'id', 'name', 'value', 'ok', 'err', 'none', 'some', 'tag', 'val', 'data', 'len', 'kind', 'item', 'next', 'type-of', 'x1', 'q'];

/**
 * Random types. `opts`: `depth` (nesting budget), `resources` (`'none' | 'host' | 'all'`),
 * `borrow` (allow `borrow<...>`), `named` (a counter object for unique names).
 */
export function randomType(r, opts, depth = opts.depth) {
  const leaf = depth <= 0 || r() < 0.3;
  if (leaf) {
    if (opts.resources !== 'none' && r() < 0.25) return handle(r, opts);
    return { k: PRIMS[Math.floor(r() * PRIMS.length)] };
  }
  const sub = () => randomType(r, opts, depth - 1);
  switch (Math.floor(r() * 10)) {
    case 0: return { k: 'list', elem: sub() };
    case 1: return { k: 'record', name: name(opts, 'r'), fields: uniqueNames(r, 1 + Math.floor(r() * 4)).map((n) => ({ name: n, t: sub() })) };
    case 2: return { k: 'tuple', ts: Array.from({ length: 1 + Math.floor(r() * 4) }, sub) };
    case 3: {
      const n = 1 + Math.floor(r() * 5);
      return { k: 'variant', name: name(opts, 'v'), cases: uniqueNames(r, n).map((c) => (r() < 0.7 ? { name: c, t: sub() } : { name: c })) };
    }
    case 4: {
      // Now and then more than 256 cases: a two-byte discriminant.
      const n = r() < 0.1 ? 257 + Math.floor(r() * 20) : 1 + Math.floor(r() * 6);
      return { k: 'enum', name: name(opts, 'e'), cases: Array.from({ length: n }, (_, i) => (i < WORDS.length && r() < 0.5 ? WORDS[i] : `c${i}`)).filter((c, i, a) => a.indexOf(c) === i) };
    }
    case 5: {
      const n = [1, 3, 8, 9, 16, 17, 24, 31, 32][Math.floor(r() * 9)];
      return { k: 'flags', name: name(opts, 'f'), flags: Array.from({ length: n }, (_, i) => `g${i}${r() < 0.3 ? '-x' : ''}`) };
    }
    case 6: return { k: 'option', t: sub() };
    case 7: {
      const ok = r() < 0.75 ? sub() : undefined;
      const err = r() < 0.75 ? sub() : undefined;
      return { k: 'result', ...(ok ? { ok } : {}), ...(err ? { err } : {}) };
    }
    case 8: return { k: 'list', elem: { k: PRIMS[Math.floor(r() * 10)] } }; // typed arrays
    default: return { k: 'option', t: { k: 'result', ...(r() < 0.5 ? { ok: sub() } : {}), err: { k: 'string' } } };
  }
}

function handle(r, opts) {
  const res = opts.resources === 'all' && r() < 0.5 ? 'thing' : 'host-thing';
  return { k: opts.borrow && r() < 0.4 ? 'borrow' : 'own', res };
}

function name(opts, prefix) {
  return `${prefix}${opts.named.n++}`;
}

function uniqueNames(r, n) {
  const out = [];
  while (out.length < n) {
    const w = WORDS[Math.floor(r() * WORDS.length)];
    if (!out.includes(w)) out.push(w);
  }
  return out;
}

/** Visits every type node (pre-order). */
export function walk(t, f) {
  f(t);
  switch (t.k) {
    case 'list': walk(t.elem, f); break;
    case 'option': walk(t.t, f); break;
    case 'record': for (const x of t.fields) walk(x.t, f); break;
    case 'tuple': for (const x of t.ts) walk(x, f); break;
    case 'variant': for (const c of t.cases) if (c.t) walk(c.t, f); break;
    case 'result': if (t.ok) walk(t.ok, f); if (t.err) walk(t.err, f); break;
  }
}

/** jco's representation: an option is nullable unless its payload is; then it is `{ tag }`-tagged. */
export const nullable = (t) => t.k === 'option' && !nullable(t.t);
/** Is this option represented `{ tag: 'none' } | { tag: 'some', val }`? */
export const taggedOption = (t) => nullable(t.t);

export const has = (t, pred) => { let found = false; walk(t, (x) => { if (pred(x)) found = true; }); return found; };
export const hasBorrow = (t) => has(t, (x) => x.k === 'borrow');
export const hasGuestResource = (t) => has(t, (x) => (x.k === 'own' || x.k === 'borrow') && x.res === 'thing');
export const hasHostResource = (t) => has(t, (x) => (x.k === 'own' || x.k === 'borrow') && x.res === 'host-thing');
export const hasHandle = (t) => has(t, (x) => x.k === 'own' || x.k === 'borrow');

// ---- WIT ----

/** The named types (record, variant, enum, flags) of `types`, dependencies first, each once. */
export function namedTypes(types) {
  const out = [];
  const seen = new Set();
  const visit = (t) => {
    switch (t.k) {
      case 'list': visit(t.elem); break;
      case 'option': visit(t.t); break;
      case 'tuple': t.ts.forEach(visit); break;
      case 'result': if (t.ok) visit(t.ok); if (t.err) visit(t.err); break;
      case 'record': t.fields.forEach((f) => visit(f.t)); break;
      case 'variant': t.cases.forEach((c) => c.t && visit(c.t)); break;
    }
    if (['record', 'variant', 'enum', 'flags'].includes(t.k) && !seen.has(t.name)) { seen.add(t.name); out.push(t); }
  };
  types.forEach(visit);
  return out;
}

/** A type in WIT syntax (named types by name). */
export function witType(t) {
  switch (t.k) {
    case 'list': return `list<${witType(t.elem)}>`;
    case 'option': return `option<${witType(t.t)}>`;
    case 'tuple': return `tuple<${t.ts.map(witType).join(', ')}>`;
    case 'result': return !t.ok && !t.err ? 'result' : `result<${t.ok ? witType(t.ok) : '_'}${t.err ? `, ${witType(t.err)}` : ''}>`;
    case 'own': return t.res;
    case 'borrow': return `borrow<${t.res}>`;
    case 'record': case 'variant': case 'enum': case 'flags': return t.name;
    default: return t.k;
  }
}

/** The WIT definition of a named type. */
export function witDefinition(t) {
  const id = (n) => `%${n}`;
  switch (t.k) {
    case 'record': return `record ${t.name} { ${t.fields.map((f) => `${id(f.name)}: ${witType(f.t)}`).join(', ')} }`;
    case 'variant': return `variant ${t.name} { ${t.cases.map((c) => (c.t ? `${id(c.name)}(${witType(c.t)})` : id(c.name))).join(', ')} }`;
    case 'enum': return `enum ${t.name} { ${t.cases.map(id).join(', ')} }`;
    case 'flags': return `flags ${t.name} { ${t.flags.map(id).join(', ')} }`;
  }
  throw new Error(t.k);
}

// ---- canonical ABI layout ----

const alignTo = (n, a) => Math.ceil(n / a) * a;
const PRIM_SIZE = { bool: 1, u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, f32: 4, char: 4, u64: 8, s64: 8, f64: 8 };

/** Number of bytes of a discriminant for `n` cases. */
export function discSize(n) {
  return n <= 256 ? 1 : n <= 65536 ? 2 : 4;
}

function variantCases(t) {
  switch (t.k) {
    case 'variant': return t.cases.map((c) => c.t);
    case 'enum': return t.cases.map(() => undefined);
    case 'option': return [undefined, t.t];
    case 'result': return [t.ok, t.err];
  }
  return undefined;
}

/** `{ size, align, flat }` of a type, memoised on the node. */
export function layout(t) {
  if (t.layout) return t.layout;
  let out;
  if (PRIM_SIZE[t.k]) {
    const s = PRIM_SIZE[t.k];
    out = { size: s, align: s, flat: [t.k === 'f32' ? 'f32' : t.k === 'f64' ? 'f64' : s === 8 ? 'i64' : 'i32'] };
  } else if (t.k === 'string' || t.k === 'list') {
    out = { size: 8, align: 4, flat: ['i32', 'i32'] };
  } else if (t.k === 'own' || t.k === 'borrow') {
    out = { size: 4, align: 4, flat: ['i32'] };
  } else if (t.k === 'record' || t.k === 'tuple') {
    const members = t.k === 'record' ? t.fields.map((f) => f.t) : t.ts;
    let size = 0;
    let align = 1;
    const offsets = [];
    for (const m of members) {
      const l = layout(m);
      size = alignTo(size, l.align);
      offsets.push(size);
      size += l.size;
      align = Math.max(align, l.align);
    }
    out = { size: alignTo(size, align), align, flat: members.flatMap((m) => layout(m).flat), offsets };
  } else if (t.k === 'flags') {
    const n = t.flags.length;
    const size = n <= 8 ? 1 : n <= 16 ? 2 : 4 * Math.ceil(n / 32);
    out = { size, align: Math.min(size, 4), flat: Array(Math.ceil(n / 32)).fill('i32') };
  } else {
    const cases = variantCases(t);
    const ds = discSize(cases.length);
    let maxAlign = ds;
    let maxSize = 0;
    const joined = [];
    for (const c of cases) {
      if (!c) continue;
      const l = layout(c);
      maxAlign = Math.max(maxAlign, l.align);
      maxSize = Math.max(maxSize, l.size);
      l.flat.forEach((f, i) => { joined[i] = i < joined.length ? join(joined[i], f) : f; });
    }
    const payload = alignTo(ds, maxAlign);
    out = { size: alignTo(payload + maxSize, maxAlign), align: maxAlign, flat: ['i32', ...joined], disc: ds, payload, cases };
  }
  Object.defineProperty(t, 'layout', { value: out, enumerable: false });
  return out;
}

function join(a, b) {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

export { variantCases };
