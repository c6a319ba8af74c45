/**
 * Restores an instance's mutable numeric globals with one call into a small wasm module, instead
 * of one `Global.value` set per global from JS: each set crosses V8's API (~15 ns), and a guest
 * has a dozen or more (the classifier: 14, ~0.2 µs per reset; the wasm call: ~0.02 µs).
 *
 * The module imports the globals, keeps a private copy of each (`save()` copies in, `restore()`
 * copies back), and is compiled once per list of value types. JS cannot read a global's type (the
 * type-reflection proposal is not shipped), so it is probed once, when the snapshot is taken:
 * a bigint value is an i64; for a number, 0.5 reads back as 0 from an i32, and 0.1 reads back
 * unchanged from an f64 only. Reference globals (externref, funcref) are left to the caller's JS
 * path.
 */

import { Writer } from '../instrument/bytes.js';

type NumType = 0x7f | 0x7e | 0x7d | 0x7c; // i32, i64, f32, f64
const I32 = 0x7f;
const I64 = 0x7e;
const F32 = 0x7d;
const F64 = 0x7c;

/** Copies of the numeric globals given: `save()` records their values, `restore()` writes them back. */
export interface GlobalRestorer {
  save(): void;
  restore(): void;
}

const modules = new Map<string, WebAssembly.Module>();

/**
 * Splits `globals` into the numeric ones (restored by the returned restorer, whose `save()` has
 * already run) and the rest (`others`, for JS). `restorer` is undefined when none is numeric.
 */
export function globalRestorer(globals: WebAssembly.Global[]): { restorer: GlobalRestorer | undefined; others: WebAssembly.Global[] } {
  const numeric: WebAssembly.Global[] = [];
  const types: NumType[] = [];
  const others: WebAssembly.Global[] = [];
  for (const g of globals) {
    const type = probe(g);
    if (type === undefined) others.push(g);
    else { numeric.push(g); types.push(type); }
  }
  if (numeric.length === 0) return { restorer: undefined, others };
  const key = String.fromCharCode(...types);
  let module = modules.get(key);
  if (!module) modules.set(key, module = new WebAssembly.Module(restorerModule(types)));
  const imports: Record<string, WebAssembly.Global> = {};
  for (let i = 0; i < numeric.length; i++) imports[i] = numeric[i]!;
  const restorer = new WebAssembly.Instance(module, { g: imports }).exports as unknown as GlobalRestorer;
  restorer.save();
  return { restorer, others };
}

/** The value type of a mutable global, or undefined for a reference (or unreadable) one. Leaves its value as it was. */
function probe(g: WebAssembly.Global): NumType | undefined {
  let value: unknown;
  try {
    value = g.value;
  } catch {
    return undefined; // v128: not readable from JS
  }
  if (typeof value === 'bigint') return I64;
  if (typeof value !== 'number') return undefined;
  let type: NumType;
  g.value = 0.5;
  if (g.value === 0) type = I32;
  else {
    g.value = 0.1;
    type = g.value === 0.1 ? F64 : F32;
  }
  g.value = value;
  return type;
}

/**
 * The restorer module for `types`: imports `g`.`0..n-1` (mutable, of those types), defines n
 * private globals, exports `save` (imports → private) and `restore` (private → imports).
 */
function restorerModule(types: NumType[]): Uint8Array<ArrayBuffer> {
  const n = types.length;
  const out = new Writer(64 + 16 * n);
  out.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  const section = (id: number, body: Writer) => { out.u8(id); out.sized(body); };
  const w = new Writer(16 * n + 16);
  w.bytes(new Uint8Array([1, 0x60, 0, 0])); // one type: [] -> []
  section(1, w);
  w.reset();
  w.u32(n);
  for (let i = 0; i < n; i++) { w.name('g'); w.name(String(i)); w.u8(0x03); w.u8(types[i]!); w.u8(1); }
  section(2, w);
  w.reset();
  w.bytes(new Uint8Array([2, 0, 0])); // two functions of type 0
  section(3, w);
  w.reset();
  w.u32(n);
  for (const t of types) { w.u8(t); w.u8(1); w.bytes(zero(t)); w.u8(0x0b); }
  section(6, w);
  w.reset();
  w.u32(2);
  w.name('save'); w.u8(0); w.u32(0);
  w.name('restore'); w.u8(0); w.u32(1);
  section(7, w);
  w.reset();
  w.u32(2);
  const code = new Writer(8 * n + 4);
  for (const [from, to] of [[0, n], [n, 0]] as const) {
    code.reset();
    code.u8(0); // no locals
    for (let i = 0; i < n; i++) { code.u8(0x23); code.u32(from + i); code.u8(0x24); code.u32(to + i); }
    code.u8(0x0b);
    w.sized(code);
  }
  section(10, w);
  return out.result();
}

/** A constant expression's instruction for zero of type `t` (without its `end`). */
function zero(t: NumType): Uint8Array {
  if (t === I32) return new Uint8Array([0x41, 0]);
  if (t === I64) return new Uint8Array([0x42, 0]);
  if (t === F32) return new Uint8Array([0x43, 0, 0, 0, 0]);
  return new Uint8Array([0x44, 0, 0, 0, 0, 0, 0, 0, 0]);
}
