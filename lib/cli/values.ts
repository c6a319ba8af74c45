/**
 * JSON ⇄ component values for `sfirt call`: arguments arrive as JSON and are shaped by the
 * export's WIT types into what the runtime takes (jco's mapping: `u64` → BigInt, `list<u8>` →
 * Uint8Array, `list<f32>` → Float32Array, records with camelCase fields, `option` null → undefined);
 * results go back to JSON (BigInt as an exact number, typed arrays as arrays).
 */
import { toLowerCamel, type ResolvedType } from '../component/wit/index.js';
import { InvalidArgumentError } from '../errors.js';
import { UsageError } from './usage.js';

const TYPED_LISTS: Record<string, { from(values: ArrayLike<number> | ArrayLike<bigint>): unknown }> = {
  u8: Uint8Array, s8: Int8Array, u16: Uint16Array, s16: Int16Array, u32: Uint32Array, s32: Int32Array,
  u64: BigUint64Array, s64: BigInt64Array, f32: Float32Array, f64: Float64Array,
};

/** A command-line argument: JSON, or (when it is not JSON) the string itself. */
export function parseArgument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Shapes a JSON value into the runtime's representation of `type`; `where` names it in errors. */
export function fromJson(value: unknown, type: ResolvedType, where: string): unknown {
  switch (type.kind) {
    case 'primitive':
      if ((type.name === 'u64' || type.name === 's64') && (typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value)))) {
        if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new UsageError(`${where}: ${value} is not exact as a JSON number; pass it as a string`);
        return BigInt(value);
      }
      return value;
    case 'list': {
      const el = type.element;
      const typed = el.kind === 'primitive' ? TYPED_LISTS[el.name] : undefined;
      if (typed && el.kind === 'primitive' && el.name === 'u8' && typeof value === 'string') return new TextEncoder().encode(value);
      if (!Array.isArray(value)) return value; // the runtime's check reports the mismatch
      const items = value.map((v, i) => fromJson(v, el, `${where}[${i}]`));
      if (!typed || el.kind !== 'primitive') return items;
      // A typed array would wrap 300 to 44 for a u8: check each element before converting.
      items.forEach((v, i) => checkElement(v, el.name, `${where}[${i}]`));
      return typed.from(items as number[]);
    }
    case 'option':
      return value === null ? undefined : fromJson(value, type.some, where);
    case 'tuple':
      return Array.isArray(value) ? value.map((v, i) => (type.elements[i] ? fromJson(v, type.elements[i]!, `${where}[${i}]`) : v)) : value;
    case 'record': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of type.fields) {
        const key = toLowerCamel(f.name);
        const v = key in obj ? obj[key] : obj[f.name];
        out[key] = fromJson(v, f.type, `${where}.${key}`);
      }
      return out;
    }
    case 'variant': {
      if (!value || typeof value !== 'object') return value;
      const { tag, val } = value as { tag?: unknown; val?: unknown };
      const c = type.cases.find((x) => x.name === tag);
      return c?.type ? { tag, val: fromJson(val, c.type, `${where}.val`) } : value;
    }
    case 'result': {
      if (!value || typeof value !== 'object') return value;
      const { tag, val } = value as { tag?: unknown; val?: unknown };
      const t = tag === 'ok' ? type.ok : tag === 'err' ? type.err : undefined;
      return t ? { tag, val: fromJson(val, t, `${where}.val`) } : value;
    }
    default:
      return value;
  }
}

const INT_RANGES: Record<string, [number, number]> = {
  u8: [0, 0xff], s8: [-0x80, 0x7f], u16: [0, 0xffff], s16: [-0x8000, 0x7fff], u32: [0, 0xffffffff], s32: [-0x80000000, 0x7fffffff],
};

function checkElement(v: unknown, type: string, where: string): void {
  const range = INT_RANGES[type];
  const ok = range
    ? typeof v === 'number' && Number.isInteger(v) && v >= range[0] && v <= range[1]
    : type === 'u64' ? typeof v === 'bigint' && v >= 0n && v < 2n ** 64n
      : type === 's64' ? typeof v === 'bigint' && v >= -(2n ** 63n) && v < 2n ** 63n
        : typeof v === 'number';
  if (!ok) throw new InvalidArgumentError(`${where}: ${typeof v === 'bigint' ? v : JSON.stringify(v)} is not a ${type}`);
}

/** JSON text of a result: BigInt as an exact number, typed arrays as arrays, undefined as null. */
export function toJson(value: unknown, indent?: number): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${marker}${v}`;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? `${marker}${x}` : x));
    }
    return v === undefined ? null : v;
  }, indent) ?? 'null';
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
