import { InvalidArgumentError } from '../../errors.js';
import { toLowerCamel, typeToString, type ResolvedFunction, type ResolvedType } from './types.js';

/**
 * Argument validation against a WIT signature, for jco's JavaScript mapping (jco 1.35), which itself
 * checks almost nothing (`add(-1, 2)` returns 1, `"x"` becomes 0). What is accepted:
 *
 * - `bool`: a boolean. `s8`..`u32`: a number that is an integer in range.
 * - `s64`/`u64`: a bigint in range, or a number that is a safe integer in range (jco converts with
 *   `BigInt(v)`, which is exact for those).
 * - `f32`/`f64`: any number (NaN and infinities included; `f32` is rounded by the guest ABI).
 * - `char`: a string of exactly one Unicode scalar value (no lone surrogate).
 * - `string`: a well-formed string; lone surrogates are rejected because the UTF-8 encoder would
 *   silently replace them with U+FFFD.
 * - `list<u8>`: a `Uint8Array` (so also a `Buffer`) or an array of u8 numbers. Other numeric lists:
 *   the matching typed array (`Int16Array` for `list<s16>`, `BigInt64Array` for `list<s64>`,
 *   `Float32Array` for `list<f32>`, ...) or an array of valid elements. Any other list: an array.
 *   A fixed-size `list<T, N>` must also have length N. `ArrayBuffer`s and mismatched typed arrays
 *   are rejected (jco would copy their raw bytes).
 * - `option<T>`: `undefined`/`null` for none, else a valid T. When T is itself represented
 *   nullable (an option whose own payload is not), jco requires `{ tag: 'none' } | { tag: 'some',
 *   val }` for this level (`undefined` there makes its glue throw), and so do we: nested options
 *   alternate between the two shapes.
 * - `result<T, E>`: `{ tag: 'ok', val }` or `{ tag: 'err', val }` (`val` ignored for `_`).
 * - `tuple<...>`: an array of exactly that length.
 * - `record`: an object with the fields under their lowerCamelCase names; extra keys are ignored.
 * - `variant`: `{ tag: 'case-name', val }` (`val` only checked for cases with a payload).
 * - `enum`: the case name as a string.
 * - `flags`: an object of booleans under lowerCamelCase names; absent means false; unknown keys are
 *   rejected (a typo would otherwise silently clear the flag).
 * - `own<R>`/`borrow<R>`: an object (jco checks the class itself).
 * - a type that could not be resolved, `future`, `stream`, `error-context`: not checked.
 *
 * The number of arguments must equal the number of parameters.
 */
export type ArgsValidator = (args: readonly unknown[]) => void;

/** A compiled check for one type: `ok` is the hot path; `why` explains a failure (slow path). */
interface Check {
  ok(v: unknown): boolean;
  /** Describes the first mismatch inside `v` (which failed `ok`), with a path suffix. */
  why(v: unknown, path: string): string;
  /** What was expected, for messages. */
  expected: string;
}

const validators = new WeakMap<ResolvedFunction, ArgsValidator>();

/**
 * Validates `args` for `fn`, compiling (once per `fn` object) a validator closure.
 *
 * @throws InvalidArgumentError naming the function, the argument, the path inside it, what was
 *   expected and what was given.
 */
export function validateArgs(fn: ResolvedFunction, args: readonly unknown[]): void {
  if (!Array.isArray(args)) throw new InvalidArgumentError(`${fn.jsName}: arguments must be an array, got ${describeValue(args)}`);
  let v = validators.get(fn);
  if (!v) {
    v = compileValidator(fn);
    validators.set(fn, v);
  }
  v(args);
}

/**
 * Builds the validator closure for a signature: compile once per export, call on every invocation
 * with the argument array (saves `validateArgs`' WeakMap lookup, ~5-10 ns).
 */
export function compileValidator(fn: ResolvedFunction): ArgsValidator {
  const label = fn.resourceJsName
    ? `${fn.resourceJsName}${fn.kind === 'constructor' ? '' : `.${fn.jsName}`}`
    : fn.jsName;
  const checks = fn.params.map((p) => compileType(p.type));
  const n = checks.length;
  const fail = (args: readonly unknown[]): never => {
    if (!Array.isArray(args)) throw new InvalidArgumentError(`${label}: arguments must be an array`);
    if (args.length !== n) {
      throw new InvalidArgumentError(
        `${label}: expected ${n} argument${n === 1 ? '' : 's'} (${fn.params.map((p) => p.name).join(', ')}), got ${args.length}`,
      );
    }
    for (let i = 0; i < n; i++) {
      const c = checks[i]!;
      if (!c.ok(args[i])) {
        throw new InvalidArgumentError(`${label}: argument ${i + 1} (\`${fn.params[i]!.name}\`)${c.why(args[i], '')}`);
      }
    }
    throw new InvalidArgumentError(`${label}: invalid arguments`); // unreachable: some check failed
  };
  // Specialised for small arities: this runs on every call.
  if (n === 0) return (a) => { if (a.length !== 0) fail(a); };
  if (n === 1) {
    const c0 = checks[0]!.ok;
    return (a) => { if (a.length !== 1 || !c0(a[0])) fail(a); };
  }
  if (n === 2) {
    const c0 = checks[0]!.ok, c1 = checks[1]!.ok;
    return (a) => { if (a.length !== 2 || !c0(a[0]) || !c1(a[1])) fail(a); };
  }
  if (n === 3) {
    const c0 = checks[0]!.ok, c1 = checks[1]!.ok, c2 = checks[2]!.ok;
    return (a) => { if (a.length !== 3 || !c0(a[0]) || !c1(a[1]) || !c2(a[2])) fail(a); };
  }
  const oks = checks.map((c) => c.ok);
  return (a) => {
    if (a.length !== n) fail(a);
    for (let i = 0; i < n; i++) if (!oks[i]!(a[i])) fail(a);
  };
}

function leaf(expected: string, ok: (v: unknown) => boolean, detail?: (v: unknown) => string | undefined): Check {
  return {
    ok,
    expected,
    why: (v, path) => `${at(path)}: expected ${expected}, got ${describeValue(v)}${detail?.(v) ?? ''}`,
  };
}

const at = (path: string): string => (path ? ` at ${path}` : '');

const INT_CHECKS: Record<string, (v: unknown) => boolean> = {
  u8: (v) => typeof v === 'number' && (v & 0xff) === v,
  s8: (v) => typeof v === 'number' && ((v << 24) >> 24) === v,
  u16: (v) => typeof v === 'number' && (v & 0xffff) === v,
  s16: (v) => typeof v === 'number' && ((v << 16) >> 16) === v,
  u32: (v) => typeof v === 'number' && v >>> 0 === v,
  s32: (v) => typeof v === 'number' && (v | 0) === v,
};

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

const u64 = (v: unknown): boolean =>
  typeof v === 'bigint' ? v >= 0n && v <= U64_MAX : Number.isSafeInteger(v) && (v as number) >= 0;
const s64 = (v: unknown): boolean =>
  typeof v === 'bigint' ? v >= S64_MIN && v <= S64_MAX : Number.isSafeInteger(v);

function isScalarValueString(v: unknown): boolean {
  if (typeof v !== 'string' || v.length === 0 || v.length > 2) return false;
  const cp = v.codePointAt(0)!;
  return (cp < 0xd800 || cp > 0xdfff) && (cp > 0xffff ? v.length === 2 : v.length === 1);
}

// `String.prototype.isWellFormed` is in Node >= 20 (V8 11.3); keep a fallback for older engines.
const LONE_SURROGATE = /(?:[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF])/;
const isWellFormedString: (v: unknown) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (v) => typeof v === 'string' && (v as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (v) => typeof v === 'string' && !LONE_SURROGATE.test(v);

function primitive(name: string): Check {
  switch (name) {
    case 'bool': return leaf('bool (a boolean)', (v) => typeof v === 'boolean');
    case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32': {
      const ok = INT_CHECKS[name]!;
      return leaf(`${name} (an integer in ${intRange(name)})`, ok);
    }
    case 'u64': return leaf('u64 (a bigint or safe integer in [0, 2^64-1])', u64);
    case 's64': return leaf('s64 (a bigint or safe integer in [-2^63, 2^63-1])', s64);
    case 'f32': case 'f64': return leaf(`${name} (a number)`, (v) => typeof v === 'number');
    case 'char': return leaf('char (a string of one Unicode scalar value)', isScalarValueString);
    case 'string': return leaf(
      'string (well-formed UTF-16)',
      isWellFormedString,
      (v) => (typeof v === 'string' ? ' (contains a lone surrogate)' : undefined),
    );
    default: return leaf(name, () => true); // error-context: opaque handle, checked by jco
  }
}

function intRange(name: string): string {
  const bits = Number(name.slice(1));
  return name[0] === 'u' ? `[0, ${2 ** bits - 1}]` : `[${-(2 ** (bits - 1))}, ${2 ** (bits - 1) - 1}]`;
}

/** The typed array jco uses for a numeric list element type. */
const TYPED_ARRAYS: Record<string, { ctor: abstract new (...a: never[]) => unknown; name: string }> = {
  u8: { ctor: Uint8Array, name: 'Uint8Array' },
  s8: { ctor: Int8Array, name: 'Int8Array' },
  u16: { ctor: Uint16Array, name: 'Uint16Array' },
  s16: { ctor: Int16Array, name: 'Int16Array' },
  u32: { ctor: Uint32Array, name: 'Uint32Array' },
  s32: { ctor: Int32Array, name: 'Int32Array' },
  u64: { ctor: BigUint64Array, name: 'BigUint64Array' },
  s64: { ctor: BigInt64Array, name: 'BigInt64Array' },
  f32: { ctor: Float32Array, name: 'Float32Array' },
  f64: { ctor: Float64Array, name: 'Float64Array' },
};

/** Compiles a check for one resolved type. */
function compileType(t: ResolvedType): Check {
  switch (t.kind) {
    case 'primitive': return primitive(t.name);
    case 'list': return list(t.element, t.length, typeToString(t));
    case 'option': return option(t.some);
    case 'result': return result(t.ok, t.err);
    case 'tuple': return tuple(t.elements);
    case 'record': return record(t.fields, typeToString(t));
    case 'variant': return variant(t.cases, typeToString(t));
    case 'enum': {
      const cases = new Set(t.cases);
      return leaf(`${typeToString(t)} (one of ${t.cases.map((c) => JSON.stringify(c)).join(', ')})`, (v) => typeof v === 'string' && cases.has(v));
    }
    case 'flags': return flags(t.flags, typeToString(t));
    case 'own':
    case 'borrow':
      return leaf(`${typeToString(t)} (a resource object)`, (v) => typeof v === 'object' && v !== null);
    case 'resource':
      return leaf(`${typeToString(t)} (a resource object)`, (v) => typeof v === 'object' && v !== null);
    case 'future':
    case 'stream':
    case 'unknown':
      return leaf(typeToString(t), () => true);
  }
}

function list(element: ResolvedType, length: number | undefined, name: string): Check {
  const el = compileType(element);
  const typed = element.kind === 'primitive' ? TYPED_ARRAYS[element.name] : undefined;
  const lenOk = length === undefined ? () => true : (n: number) => n === length;
  const expected = `${name} (${typed ? `${/^[AEIO]/.test(typed.name) ? 'an' : 'a'} ${typed.name} or an array` : 'an array'}${length === undefined ? '' : ` of length ${length}`})`;
  const elOk = el.ok;
  const arrayOk = (v: unknown[]): boolean => {
    if (!lenOk(v.length)) return false;
    for (let i = 0; i < v.length; i++) if (!elOk(v[i])) return false;
    return true;
  };
  const ctor = typed?.ctor;
  const ok = ctor
    ? (v: unknown) => (v instanceof ctor ? lenOk((v as unknown as ArrayLike<unknown>).length) : Array.isArray(v) && arrayOk(v))
    : (v: unknown) => Array.isArray(v) && arrayOk(v);
  return {
    ok,
    expected,
    why(v, path) {
      if ((ctor && v instanceof ctor) || Array.isArray(v)) {
        const n = (v as ArrayLike<unknown>).length;
        if (!lenOk(n)) return `${at(path)}: expected ${expected}, got length ${n}`;
        const arr = v as unknown[];
        for (let i = 0; i < arr.length; i++) if (!elOk(arr[i])) return el.why(arr[i], `${path}[${i}]`);
      }
      return `${at(path)}: expected ${expected}, got ${describeValue(v)}`;
    },
  };
}

/**
 * Does jco represent `t` with a nullable value (so an enclosing option must use tags)? An option is,
 * unless its own payload is (then it is tagged, never null): so nested options alternate between
 * `T | undefined` and `{ tag: 'none' } | { tag: 'some', val }` (verified on jco 1.35's glue).
 */
export function isNullable(t: ResolvedType): boolean {
  return t.kind === 'option' && !isNullable(t.some);
}

function option(some: ResolvedType): Check {
  const inner = compileType(some);
  const innerOk = inner.ok;
  if (!isNullable(some)) {
    const expected = `option<${inner.expected}> (undefined/null or the value)`;
    return {
      ok: (v) => v === undefined || v === null || innerOk(v),
      expected,
      why: (v, path) => inner.why(v, path),
    };
  }
  // Nested option (payload nullable): jco 1.35 requires `{ tag: 'none' } | { tag: 'some', val }`
  // here (verified: `undefined`/`null` there make its glue throw a TypeError).
  const expected = "option<option<...>> ({ tag: 'none' } or { tag: 'some', val })";
  const ok = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null) return false;
    const tag = (v as { tag?: unknown }).tag;
    return tag === 'none' || (tag === 'some' && innerOk((v as { val?: unknown }).val));
  };
  return {
    ok,
    expected,
    why(v, path) {
      if (v !== null && typeof v === 'object' && (v as { tag?: unknown }).tag === 'some') {
        return inner.why((v as { val?: unknown }).val, `${path}.val`);
      }
      return `${at(path)}: expected ${expected}, got ${describeValue(v)}`;
    },
  };
}

function tagged(cases: { name: string; check?: Check }[], expected: string): Check {
  const byTag = new Map(cases.map((c) => [c.name, c.check?.ok]));
  const ok = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null) return false;
    const tag = (v as { tag?: unknown }).tag;
    if (typeof tag !== 'string' || !byTag.has(tag)) return false;
    const payload = byTag.get(tag);
    return payload === undefined || payload((v as { val?: unknown }).val);
  };
  return {
    ok,
    expected,
    why(v, path) {
      if (typeof v === 'object' && v !== null) {
        const tag = (v as { tag?: unknown }).tag;
        const c = cases.find((x) => x.name === tag);
        if (c?.check) return c.check.why((v as { val?: unknown }).val, `${path}.val`);
        if (!c) return `${at(path)}: expected ${expected}, got tag ${describeValue(tag)}`;
      }
      return `${at(path)}: expected ${expected}, got ${describeValue(v)}`;
    },
  };
}

function result(okType: ResolvedType | undefined, errType: ResolvedType | undefined): Check {
  return tagged(
    [
      { name: 'ok', ...(okType ? { check: compileType(okType) } : {}) },
      { name: 'err', ...(errType ? { check: compileType(errType) } : {}) },
    ],
    "result ({ tag: 'ok', val } or { tag: 'err', val })",
  );
}

function variant(cases: { name: string; type?: ResolvedType }[], name: string): Check {
  return tagged(
    cases.map((c) => ({ name: c.name, ...(c.type ? { check: compileType(c.type) } : {}) })),
    `variant ${name} ({ tag, val } with tag one of ${cases.map((c) => JSON.stringify(c.name)).join(', ')})`,
  );
}

function tuple(elements: ResolvedType[]): Check {
  const checks = elements.map(compileType);
  const oks = checks.map((c) => c.ok);
  const n = checks.length;
  const expected = `tuple of ${n} (an array of length ${n})`;
  return {
    ok(v) {
      if (!Array.isArray(v) || v.length !== n) return false;
      for (let i = 0; i < n; i++) if (!oks[i]!(v[i])) return false;
      return true;
    },
    expected,
    why(v, path) {
      if (Array.isArray(v) && v.length === n) {
        for (let i = 0; i < n; i++) if (!oks[i]!(v[i])) return checks[i]!.why(v[i], `${path}[${i}]`);
      }
      return `${at(path)}: expected ${expected}, got ${describeValue(v)}`;
    },
  };
}

function record(fields: { name: string; type: ResolvedType }[], name: string): Check {
  const keys = fields.map((f) => toLowerCamel(f.name));
  const checks = fields.map((f) => compileType(f.type));
  const oks = checks.map((c) => c.ok);
  const expected = `record ${name} (an object with ${keys.join(', ')})`;
  return {
    ok(v) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      for (let i = 0; i < keys.length; i++) if (!oks[i]!((v as Record<string, unknown>)[keys[i]!])) return false;
      return true;
    },
    expected,
    why(v, path) {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        for (let i = 0; i < keys.length; i++) {
          if (!oks[i]!(o[keys[i]!])) return checks[i]!.why(o[keys[i]!], `${path}.${keys[i]}`);
        }
      }
      return `${at(path)}: expected ${expected}, got ${describeValue(v)}`;
    },
  };
}

function flags(names: string[], name: string): Check {
  const keys = new Set(names.map(toLowerCamel));
  const expected = `flags ${name} (an object with optional booleans ${[...keys].join(', ')})`;
  const ok = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    for (const k in v) {
      if (!keys.has(k)) return false;
      const b = (v as Record<string, unknown>)[k];
      if (b !== undefined && typeof b !== 'boolean') return false;
    }
    return true;
  };
  return {
    ok,
    expected,
    why(v, path) {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        for (const k in v) {
          if (!keys.has(k)) return `${at(path)}: unknown flag \`${k}\` for ${expected}`;
          const b = (v as Record<string, unknown>)[k];
          if (b !== undefined && typeof b !== 'boolean') return `${at(`${path}.${k}`)}: expected a boolean flag, got ${describeValue(b)}`;
        }
      }
      return `${at(path)}: expected ${expected}, got ${describeValue(v)}`;
    },
  };
}

/** A short, safe description of a value for messages (never the whole value). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined': return 'undefined';
    case 'number': return `number ${Object.is(v, -0) ? '-0' : String(v)}`;
    case 'bigint': return `bigint ${v}n`;
    case 'boolean': return `boolean ${v}`;
    case 'string': return `string ${JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v)}`;
    case 'symbol': return 'symbol';
    case 'function': return 'function';
  }
  if (Array.isArray(v)) return `array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of length ${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength}`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer of ${v.byteLength} bytes`;
  const ctor = (v as object).constructor;
  return ctor && ctor !== Object ? `${ctor.name} object` : 'object';
}
