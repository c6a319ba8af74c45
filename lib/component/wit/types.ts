/**
 * The WIT type model shared by the text parser (`parse.ts`), the binary decoder (`decode.ts`) and
 * the argument validator (`validate.ts`).
 *
 * Two layers: `WitType` is a type as written, where a name may still be an unresolved `ref`;
 * `resolve.ts` turns those into `ResolvedType`s in which every alias and `use` has been followed,
 * so the validator never looks anything up.
 */

/** Scalar types, spelled as in WIT. */
export type PrimitiveName =
  | 'bool' | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64'
  | 'f32' | 'f64' | 'char' | 'string' | 'error-context';

/** The primitive names, for the parser. */
export const PRIMITIVE_NAMES: ReadonlySet<string> = new Set<PrimitiveName>([
  'bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string', 'error-context',
]);

/** A field of a record. */
export interface Field<T> { name: string; type: T }
/** A case of a variant; `type` is absent for a case without payload. */
export interface Case<T> { name: string; type?: T }

/** Structural type constructors, parameterised by what a nested type is (one interface each so that
 * the recursive aliases below type-check). */
export interface PrimitiveType { kind: 'primitive'; name: PrimitiveName }
/** `list<T>`, or the fixed-size `list<T, N>` when `length` is set. */
export interface ListType<T> { kind: 'list'; element: T; length?: number }
export interface OptionType<T> { kind: 'option'; some: T }
export interface ResultType<T> { kind: 'result'; ok?: T; err?: T }
export interface TupleType<T> { kind: 'tuple'; elements: T[] }
export interface RecordType<T> { kind: 'record'; fields: Field<T>[]; origin?: TypeOrigin }
export interface VariantType<T> { kind: 'variant'; cases: Case<T>[]; origin?: TypeOrigin }
export interface EnumType { kind: 'enum'; cases: string[]; origin?: TypeOrigin }
export interface FlagsType { kind: 'flags'; flags: string[]; origin?: TypeOrigin }
export interface HandleType<T> { kind: 'own' | 'borrow'; resource: T }
export interface AsyncType<T> { kind: 'future' | 'stream'; payload?: T }

/** Any structural type. */
export type Structure<T> =
  | PrimitiveType | ListType<T> | OptionType<T> | ResultType<T> | TupleType<T> | RecordType<T>
  | VariantType<T> | EnumType | FlagsType | HandleType<T> | AsyncType<T>;

/** A reference by name, to look up in the enclosing scope. */
export interface RefType { kind: 'ref'; name: string }
/** An already resolved type (from the binary decoder), carried through the resolver unchanged. */
export interface ResolvedRef { kind: 'resolved'; type: ResolvedType }

/** A type as written: a structure, or a name to look up in the enclosing scope. */
export type WitType =
  | PrimitiveType | ListType<WitType> | OptionType<WitType> | ResultType<WitType> | TupleType<WitType>
  | RecordType<WitType> | VariantType<WitType> | EnumType | FlagsType | HandleType<WitType> | AsyncType<WitType>
  | RefType | ResolvedRef;

/** Where a named type is defined: `ns:pkg/iface@ver` (or a world-local scope) plus its name. */
export interface TypeOrigin {
  /**
   * Interface id such as `docs:adder/add@0.1.0`, `world:<name>`, or an inline interface's name.
   * Empty for types decoded from a binary that are not a parameter's own type (messages only).
   */
  scope: string;
  name: string;
}

/**
 * A fully resolved type. Named definitions (record, variant, enum, flags, resource) carry their
 * origin for messages; aliases are gone. A bare resource name in a type position means `own<R>`.
 */
export type ResolvedType =
  | PrimitiveType | ListType<ResolvedType> | OptionType<ResolvedType> | ResultType<ResolvedType>
  | TupleType<ResolvedType> | RecordType<ResolvedType> | VariantType<ResolvedType> | EnumType | FlagsType
  | HandleType<ResolvedType> | AsyncType<ResolvedType>
  | ResourceType
  | UnknownType;

/** A resource definition; in a type position it appears inside `own`/`borrow`. */
export interface ResourceType { kind: 'resource'; origin: TypeOrigin }
/** A name whose definition is not in the document (e.g. `use` of an interface that was not printed). */
export interface UnknownType { kind: 'unknown'; origin: TypeOrigin }

/** Kinds of callable inside an interface or world. */
export type FunctionKind = 'freestanding' | 'constructor' | 'method' | 'static';

/** A function as written (types unresolved). */
export interface WitFunction {
  name: string;
  kind: FunctionKind;
  /** For constructor/method/static: the resource it belongs to. */
  resource?: string;
  params: Field<WitType>[];
  result?: WitType;
  async: boolean;
}

/** A named type definition inside an interface or world. */
export type TypeDef =
  | { kind: 'alias'; name: string; type: WitType }
  | { kind: 'resource'; name: string }
  | { kind: 'structure'; name: string; type: Structure<WitType> };

/** `use path.{name as local}`: `path` is `iface` (same package) or `ns:pkg/iface@ver`. */
export interface UseItem { from: string; name: string; local: string }

/** An interface (named, or inline inside a world). */
export interface WitInterface {
  /** Full id: `ns:pkg/name@ver` for package interfaces, the plain name for inline ones. */
  id: string;
  name: string;
  uses: UseItem[];
  types: Map<string, TypeDef>;
  functions: WitFunction[];
}

/** One `import`/`export` line of a world. */
export type WorldItem =
  /** An interface by reference (`export ns:pkg/iface@v;` or `export iface;`). */
  | { kind: 'interface-ref'; direction: 'import' | 'export'; ref: string }
  /** An inline interface (`export name: interface { ... }`). */
  | { kind: 'interface'; direction: 'import' | 'export'; name: string; iface: WitInterface }
  /** A function (`export name: func(...)`). */
  | { kind: 'function'; direction: 'import' | 'export'; func: WitFunction };

/** A world: its items plus the types and `use`s declared at world level. */
export interface WitWorld {
  name: string;
  package: string;
  items: WorldItem[];
  uses: UseItem[];
  types: Map<string, TypeDef>;
}

/** A package: `ns:name@version`, with its interfaces and worlds. */
export interface WitPackage {
  /** `ns:name` or `ns:name@version`. */
  id: string;
  interfaces: Map<string, WitInterface>;
  worlds: Map<string, WitWorld>;
}

/** Everything parsed from a WIT text: the root package first, then nested packages. */
export interface WitDocument {
  packages: WitPackage[];
  /**
   * Interfaces both imported and exported whose import differs from the definition in `packages`
   * (which is the export's), by id: decoded from a binary, the import lists only what it calls.
   */
  importedInterfaces?: Map<string, WitInterface>;
}

/** A resolved function parameter. */
export interface ResolvedParam { name: string; type: ResolvedType }

/**
 * A function the component exports or imports, with everything needed to find and call it through
 * jco's generated bindings.
 */
export interface ResolvedFunction {
  /**
   * Canonical name, unique within the world: `foo-bar` for a world-level function,
   * `ns:pkg/iface@ver#name` for an interface function, and for resource functions the component
   * model's `[constructor]r`, `[method]r.name`, `[static]r.name` after the `#`.
   */
  qualifiedName: string;
  /** `undefined` for a world-level function; otherwise the interface id (`docs:adder/add@0.1.0`). */
  interfaceId?: string;
  /** The name jco keys the interface by in the exports object (`add`, `exports`); world-level: undefined. */
  interfaceJsName?: string;
  /** The function's WIT name as written (`get-a`; `constructor` for constructors); see `kind` and `resource`. */
  witName: string;
  /** jco's JavaScript name (lowerCamelCase of the WIT name; `constructor` for constructors). */
  jsName: string;
  kind: FunctionKind;
  /** The resource for constructor/method/static, WIT name; jco's class name is `resourceJsName`. */
  resource?: string;
  /** UpperCamelCase class name jco gives the resource. */
  resourceJsName?: string;
  /**
   * Where jco's instantiated exports object holds the callable: `['greet']`, `['add', 'add']`,
   * `['exports', 'X']` (constructor: `new`), `['exports', 'X', 'add']` (static),
   * `['exports', 'X', 'prototype', 'getA']` (method: call on an instance). For imports, the same
   * path into the import object, starting at `ImportedInterface.jsKey`; a world-level function
   * import is `[name, 'default']`.
   */
  jsPath: string[];
  /** Parameters as the JS caller passes them (a method's `self` is not among them). */
  params: ResolvedParam[];
  result?: ResolvedType;
  async: boolean;
}

/** A function exported by the component's root world (see `ResolvedFunction`). */
export type ExportedFunction = ResolvedFunction;

/** The functions of one imported interface (or a world-level function import). */
export interface ImportedInterface {
  /** Interface id, inline interface name, or for a world-level function its name. */
  id: string;
  /**
   * The key jco's generated `instantiate` reads from the import object: the id without `@version`
   * (`wasi:cli/stdout`; jco's own `.d.ts` shows versioned keys, but the glue reads these), the
   * inline interface's name, or a world-level function's name (whose value is `{ default: fn }`).
   * The glue requires the key only for interfaces with functions or resources, and checks at
   * instantiation that every imported function and resource class is present.
   */
  jsKey: string;
  /** True for a world-level function import (`import foo: func()`). */
  isFunction: boolean;
  functions: ResolvedFunction[];
  /** Resource names declared in the interface. */
  resources: string[];
}

/** Renders a resolved type in WIT syntax, for error messages. */
export function typeToString(t: ResolvedType): string {
  if ('origin' in t && t.origin) return t.origin.name;
  switch (t.kind) {
    case 'primitive': return t.name;
    case 'list': return t.length === undefined ? `list<${typeToString(t.element)}>` : `list<${typeToString(t.element)}, ${t.length}>`;
    case 'option': return `option<${typeToString(t.some)}>`;
    case 'result': return `result<${t.ok ? typeToString(t.ok) : '_'}, ${t.err ? typeToString(t.err) : '_'}>`;
    case 'tuple': return `tuple<${t.elements.map(typeToString).join(', ')}>`;
    case 'record': return 'record';
    case 'variant': return 'variant';
    case 'enum': return `enum { ${t.cases.join(', ')} }`;
    case 'flags': return `flags { ${t.flags.join(', ')} }`;
    case 'own': return typeToString(t.resource);
    case 'borrow': return `borrow<${typeToString(t.resource)}>`;
    case 'future': return t.payload ? `future<${typeToString(t.payload)}>` : 'future';
    case 'stream': return t.payload ? `stream<${typeToString(t.payload)}>` : 'stream';
    case 'resource': return t.origin.name;
    case 'unknown': return t.origin.name;
  }
}

/** jco's lowerCamelCase for a kebab-case WIT name (`get-a` → `getA`, `%type` → `type`). */
export function toLowerCamel(name: string): string {
  const parts = name.replace(/^%/, '').split('-');
  return parts[0]!.toLowerCase() + parts.slice(1).map(upperFirst).join('');
}

/** jco's UpperCamelCase for a kebab-case WIT name (`kebab-case` → `KebabCase`). */
export function toUpperCamel(name: string): string {
  return name.replace(/^%/, '').split('-').map(upperFirst).join('');
}

function upperFirst(p: string): string {
  // jco uses heck: acronym words (`HTTP-request`) become `Http`, like any other word.
  return p.charAt(0).toUpperCase() + p.slice(1).toLowerCase();
}
