import { InvalidComponentError } from '../../errors.js';
import { lexWit, where, type Token } from './lex.js';
import {
  PRIMITIVE_NAMES, type Case, type Field, type PrimitiveName, type Structure, type TypeDef, type UseItem,
  type WitDocument, type WitFunction, type WitInterface, type WitPackage, type WitType, type WitWorld, type WorldItem,
} from './types.js';

/**
 * Parses WIT text as jco's `componentWit` prints it: a root `package ns:name;` with interfaces and
 * worlds, optionally followed by nested `package ns:name@ver { ... }` blocks. Handles `use`,
 * resources (constructor, methods, static), `async func`, `%`-escaped names, doc comments and
 * `@since`/`@unstable`/`@deprecated` gates (gates are accepted and ignored).
 *
 * @throws InvalidComponentError on a syntax error, with line:column.
 */
export function parseWit(text: string): WitDocument {
  return new Parser(text).document();
}

/** Interface id of `iface` in package `pkg` (`ns:name@1.0.0` + `i` → `ns:name/i@1.0.0`). */
export function interfaceId(pkg: string, iface: string): string {
  const at = pkg.indexOf('@');
  return at < 0 ? `${pkg}/${iface}` : `${pkg.slice(0, at)}/${iface}${pkg.slice(at)}`;
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  constructor(private readonly src: string) { this.toks = lexWit(src); }

  document(): WitDocument {
    const packages: WitPackage[] = [];
    let root: WitPackage | undefined;
    this.gates();
    if (this.isKw('package')) {
      const save = this.i;
      this.next();
      const id = this.packageId();
      if (this.eat(';')) root = newPackage(id);
      else this.i = save; // `package x { ... }` with no root declaration
    }
    root ??= newPackage('root:component');
    packages.push(root);
    for (;;) {
      this.gates();
      if (this.peek().t === 'eof') break;
      if (this.isKw('package')) {
        this.next();
        const nested = newPackage(this.packageId());
        this.expect('{');
        while (!this.eat('}')) this.topLevelItem(nested);
        packages.push(nested);
        continue;
      }
      this.topLevelItem(root);
    }
    return { packages };
  }

  private topLevelItem(pkg: WitPackage): void {
    this.gates();
    if (this.isKw('interface')) {
      this.next();
      const name = this.ident();
      const iface = newInterface(interfaceId(pkg.id, name), name);
      this.interfaceBody(iface);
      pkg.interfaces.set(name, iface);
    } else if (this.isKw('world')) {
      this.next();
      const world = this.worldBody(this.ident(), pkg.id);
      pkg.worlds.set(world.name, world);
    } else if (this.isKw('use')) {
      // Top-level `use a:b/c as d;` only introduces a name for other declarations: skip it.
      while (!this.eat(';')) this.next();
    } else {
      this.fail('expected `interface`, `world`, `use` or `package`');
    }
  }

  private interfaceBody(iface: WitInterface): void {
    this.expect('{');
    for (;;) {
      this.gates();
      if (this.eat('}')) return;
      if (this.isKw('use')) { iface.uses.push(...this.useStatement()); continue; }
      const def = this.typeDef(iface);
      if (def) { iface.types.set(def.name, def); continue; }
      const name = this.ident();
      this.expect(':');
      iface.functions.push(this.funcSignature(name, 'freestanding'));
      this.expect(';');
    }
  }

  private worldBody(name: string, pkg: string): WitWorld {
    const world: WitWorld = { name, package: pkg, items: [], uses: [], types: new Map() };
    this.expect('{');
    for (;;) {
      this.gates();
      if (this.eat('}')) return world;
      if (this.isKw('import') || this.isKw('export')) {
        const direction = this.next().v as 'import' | 'export';
        world.items.push(this.worldExtern(direction, pkg));
        continue;
      }
      if (this.isKw('use')) { world.uses.push(...this.useStatement()); continue; }
      if (this.isKw('include')) { while (!this.eat(';')) this.next(); continue; }
      const def = this.typeDef(undefined);
      if (def) { world.types.set(def.name, def); continue; }
      this.fail('expected `import`, `export`, `use`, `include` or a type definition');
    }
  }

  private worldExtern(direction: 'import' | 'export', pkg: string): WorldItem {
    // `name: func(...)`, `name: interface { ... }`, or a path `ns:pkg/iface@v` / `iface`.
    const t1 = this.peek(1);
    if (t1.t === 'punct' && t1.v === ':' && this.isFuncOrInterfaceAfterColon()) {
      const name = this.ident();
      this.expect(':');
      if (this.isKw('interface')) {
        this.next();
        const iface = newInterface(name, name);
        this.interfaceBody(iface);
        return { kind: 'interface', direction, name, iface };
      }
      const func = this.funcSignature(name, 'freestanding');
      this.expect(';');
      return { kind: 'function', direction, func };
    }
    const ref = this.usePath(pkg);
    this.expect(';');
    return { kind: 'interface-ref', direction, ref };
  }

  /** After `name :`, is the next token `func`, `async` or `interface` (vs. a `ns:pkg/...` path)? */
  private isFuncOrInterfaceAfterColon(): boolean {
    const t = this.peek(2);
    return t.t === 'id' && !t.escaped && (t.v === 'func' || t.v === 'async' || t.v === 'interface');
  }

  /** `ns:pkg/iface@ver` or a bare `iface` (same package). Returns the full interface id. */
  private usePath(pkg: string): string {
    const first = this.ident();
    if (!this.eat(':')) return interfaceId(pkg, first);
    const pkgName = this.ident();
    this.expect('/');
    let id = `${first}:${pkgName}/${this.ident()}`;
    if (this.eat('@')) id += `@${this.version()}`;
    return id;
  }

  private useStatement(): UseItem[] {
    this.expect('use');
    // The package of a bare path is resolved later against the enclosing interface's package.
    const from = this.usePathRaw();
    this.expect('.');
    this.expect('{');
    const items: UseItem[] = [];
    while (!this.eat('}')) {
      const name = this.ident();
      const local = this.isKw('as') ? (this.next(), this.ident()) : name;
      items.push({ from, name, local });
      if (!this.eat(',')) { this.expect('}'); break; }
    }
    this.expect(';');
    return items;
  }

  /** Like `usePath` but keeps a bare interface name bare (the resolver knows the package). */
  private usePathRaw(): string {
    const first = this.ident();
    if (!this.eat(':')) return first;
    const pkgName = this.ident();
    this.expect('/');
    let id = `${first}:${pkgName}/${this.ident()}`;
    if (this.eat('@')) id += `@${this.version()}`;
    return id;
  }

  /** A type definition, or `undefined` (without consuming) if the next item is not one. */
  private typeDef(iface: WitInterface | undefined): TypeDef | undefined {
    const t = this.peek();
    if (t.t !== 'id' || t.escaped) return undefined;
    switch (t.v) {
      case 'type': {
        this.next();
        const name = this.ident();
        this.expect('=');
        const type = this.type();
        this.expect(';');
        return { kind: 'alias', name, type };
      }
      case 'record': {
        this.next();
        const name = this.ident();
        return { kind: 'structure', name, type: { kind: 'record', fields: this.braced(() => this.field()) } };
      }
      case 'variant': {
        this.next();
        const name = this.ident();
        return { kind: 'structure', name, type: { kind: 'variant', cases: this.braced(() => this.variantCase()) } };
      }
      case 'enum': {
        this.next();
        const name = this.ident();
        return { kind: 'structure', name, type: { kind: 'enum', cases: this.braced(() => this.ident()) } };
      }
      case 'flags': {
        this.next();
        const name = this.ident();
        return { kind: 'structure', name, type: { kind: 'flags', flags: this.braced(() => this.ident()) } };
      }
      case 'resource': {
        this.next();
        const name = this.ident();
        if (!this.eat(';')) this.resourceBody(name, iface);
        return { kind: 'resource', name };
      }
      default: return undefined;
    }
  }

  private resourceBody(resource: string, iface: WitInterface | undefined): void {
    this.expect('{');
    for (;;) {
      this.gates();
      if (this.eat('}')) return;
      let func: WitFunction;
      if (this.isKw('constructor')) {
        this.next();
        func = { name: 'constructor', kind: 'constructor', resource, params: this.params(), async: false };
        if (this.eat('->')) func.result = this.type(); // fallible constructors: `-> result<r, e>`
      } else {
        const name = this.ident();
        this.expect(':');
        const isStatic = this.isKw('static') && (this.next(), true);
        func = this.funcSignature(name, isStatic ? 'static' : 'method');
        func.resource = resource;
      }
      this.expect(';');
      // Resource functions inside a world-level type definition have nowhere to go; ignore them.
      iface?.functions.push(func);
    }
  }

  private funcSignature(name: string, kind: WitFunction['kind']): WitFunction {
    const isAsync = this.isKw('async') && (this.next(), true);
    this.expect('func');
    const params = this.params();
    let result: WitType | undefined;
    if (this.eat('->')) result = this.type();
    return { name, kind, params, ...(result ? { result } : {}), async: isAsync };
  }

  private params(): Field<WitType>[] {
    this.expect('(');
    const out: Field<WitType>[] = [];
    while (!this.eat(')')) {
      out.push(this.field());
      if (!this.eat(',')) { this.expect(')'); break; }
    }
    return out;
  }

  private field(): Field<WitType> {
    const name = this.ident();
    this.expect(':');
    return { name, type: this.type() };
  }

  private variantCase(): Case<WitType> {
    const name = this.ident();
    if (!this.eat('(')) return { name };
    const type = this.type();
    this.expect(')');
    return { name, type };
  }

  /** `{ a, b, }` list with optional trailing comma; doc comments and gates allowed before items. */
  private braced<T>(item: () => T): T[] {
    this.expect('{');
    const out: T[] = [];
    for (;;) {
      this.gates();
      if (this.eat('}')) return out;
      out.push(item());
      if (!this.eat(',')) { this.gates(); this.expect('}'); return out; }
    }
  }

  type(): WitType {
    const t = this.peek();
    if (t.t === 'punct' && t.v === '_') this.fail('`_` is only allowed inside `result<...>`');
    const name = this.ident();
    const esc = (t as { escaped?: boolean }).escaped;
    if (!esc && PRIMITIVE_NAMES.has(name)) return { kind: 'primitive', name: name as PrimitiveName };
    if (!esc) {
      const s = this.generic(name);
      if (s) return s;
    }
    return { kind: 'ref', name };
  }

  private generic(name: string): Structure<WitType> | undefined {
    switch (name) {
      case 'list': {
        this.expect('<');
        const element = this.type();
        let length: number | undefined;
        if (this.eat(',')) length = Number(this.expectNum());
        this.expect('>');
        return length === undefined ? { kind: 'list', element } : { kind: 'list', element, length };
      }
      case 'option': {
        this.expect('<');
        const some = this.type();
        this.expect('>');
        return { kind: 'option', some };
      }
      case 'result': {
        if (!this.eat('<')) return { kind: 'result' };
        const ok = this.optionalType();
        let err: WitType | undefined;
        if (this.eat(',')) err = this.optionalType();
        this.expect('>');
        return { kind: 'result', ...(ok ? { ok } : {}), ...(err ? { err } : {}) };
      }
      case 'tuple': {
        this.expect('<');
        const elements: WitType[] = [];
        while (!this.eat('>')) {
          elements.push(this.type());
          if (!this.eat(',')) { this.expect('>'); break; }
        }
        return { kind: 'tuple', elements };
      }
      case 'own':
      case 'borrow': {
        this.expect('<');
        const resource = this.type();
        this.expect('>');
        return { kind: name, resource };
      }
      case 'future':
      case 'stream': {
        if (!this.eat('<')) return { kind: name };
        const payload = this.type();
        this.expect('>');
        return { kind: name, payload };
      }
      default: return undefined;
    }
  }

  private optionalType(): WitType | undefined {
    return this.eat('_') ? undefined : this.type();
  }

  /** Skips `@since(...)`, `@unstable(...)`, `@deprecated(...)` gates. */
  private gates(): void {
    while (this.peek().t === 'punct' && this.peek().v === '@') {
      this.next();
      this.ident();
      if (this.eat('(')) { let depth = 1; while (depth > 0) { const t = this.next(); if (t.t === 'eof') this.fail('unterminated gate'); if (t.v === '(') depth++; else if (t.v === ')') depth--; } }
    }
  }

  private packageId(): string {
    const ns = this.ident();
    this.expect(':');
    let id = `${ns}:${this.ident()}`;
    // Nested namespaces (`ns:a:b`) are printed by newer tools; keep them in the id.
    while (this.eat(':')) id += `:${this.ident()}`;
    if (this.eat('@')) id += `@${this.version()}`;
    return id;
  }

  private version(): string { return this.expectNum(); }

  private expectNum(): string {
    const t = this.next();
    if (t.t !== 'num') this.fail('expected a number or version', t);
    return t.v;
  }

  private ident(): string {
    const t = this.next();
    if (t.t !== 'id') this.fail('expected an identifier', t);
    return t.v;
  }

  private isKw(kw: string): boolean {
    const t = this.peek();
    return t.t === 'id' && !t.escaped && t.v === kw;
  }

  private eat(v: string): boolean {
    const t = this.peek();
    if ((t.t === 'punct' || (t.t === 'id' && !t.escaped)) && t.v === v) { this.i++; return true; }
    return false;
  }

  private expect(v: string): void {
    if (!this.eat(v)) this.fail(`expected \`${v}\``);
  }

  private peek(ahead = 0): Token { return this.toks[Math.min(this.i + ahead, this.toks.length - 1)]!; }
  private next(): Token { return this.toks[Math.min(this.i++, this.toks.length - 1)]!; }

  private fail(msg: string, at: Token = this.peek()): never {
    const got = at.t === 'eof' ? 'end of input' : `\`${at.v}\``;
    throw new InvalidComponentError(`WIT parse error at ${where(this.src, at.pos)}: ${msg}, got ${got}`);
  }
}

function newPackage(id: string): WitPackage {
  return { id, interfaces: new Map(), worlds: new Map() };
}

function newInterface(id: string, name: string): WitInterface {
  return { id, name, uses: [], types: new Map(), functions: [] };
}
