/**
 * How jco keys a component's imports in the import object: an interface by its id without
 * `@version` (`wasi:cli/stdout`), a world-level function by its name. Two versions of one
 * interface would then share a key, and jco's glue would hand both the same host functions, so
 * those keep their versions (`test:dep/test@0.1.0`, `test:dep/test@0.2.0`): the runtime transpiles
 * with jco's `map` option to make its glue read the same keys as ours.
 */
import { InvalidComponentError } from '../../errors.js';

/** An interface id without its `@version` (`wasi:cli/stdout@0.2.0` → `wasi:cli/stdout`). */
export function stripVersion(id: string): string {
  const at = id.indexOf('@', id.indexOf('/'));
  return at < 0 ? id : id.slice(0, at);
}

/** Import name → the key of the import object it is read from (see the module comment). */
export function jcoImportKeys(names: readonly string[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const n of names) count.set(stripVersion(n), (count.get(stripVersion(n)) ?? 0) + 1);
  return new Map(names.map((n) => [n, count.get(stripVersion(n))! > 1 ? n : stripVersion(n)]));
}

/** jco's transpile `map` option keeping the versions of interfaces imported in several versions. */
export function versionedImportMap(names: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [name, key] of jcoImportKeys(names)) if (key === name && key !== stripVersion(name)) map[name] = name;
  return map;
}

/**
 * The names of a component's top-level imports, read straight from its import sections (other
 * sections are skipped by size).
 * @throws InvalidComponentError when the bytes are not a well-formed component at this level.
 */
export function componentImportNames(bytes: Uint8Array): string[] {
  let pos = 8;
  const fail = (): never => { throw new InvalidComponentError('malformed component import section'); };
  const byte = (): number => (pos < bytes.length ? bytes[pos++]! : fail());
  const u32 = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return fail();
  };
  const names: string[] = [];
  const text = new TextDecoder('utf-8', { fatal: true });
  while (pos < bytes.length) {
    const id = byte();
    const size = u32();
    const end = pos + size;
    if (end > bytes.length) fail();
    if (id === 10) {
      for (let n = u32(); n > 0; n--) {
        if (byte() > 0x01) fail();
        const len = u32();
        if (pos + len > end) fail();
        names.push(text.decode(bytes.subarray(pos, pos + len)));
        pos += len;
        skipExternDesc(byte, u32);
      }
    }
    pos = end;
  }
  return names;
}

function skipExternDesc(byte: () => number, u32: () => number): void {
  switch (byte()) {
    case 0x00: byte(); u32(); return; // core module
    case 0x02: { // value: `0x00 idx` (eq bound) or a value type
      const b = byte();
      if (b === 0x00) u32();
      else if (b < 0x64 || b > 0x7f) { if (b & 0x80) u32(); } // a type index (its first LEB byte already read)
      return;
    }
    case 0x03: if (byte() === 0x00) u32(); return; // type: `eq idx` or `sub resource`
    case 0x01: case 0x04: case 0x05: u32(); return;
    default: throw new InvalidComponentError('malformed component import descriptor');
  }
}
