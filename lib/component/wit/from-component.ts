import { InvalidComponentError, describe } from '../../errors.js';
import { decodeInterfacesByDirection } from './decode.js';
import { parseWit } from './parse.js';
import { wasmTools } from '../jco.js';
import type { WitDocument, WitPackage } from './types.js';

/**
 * Adds to `doc` the interfaces the component imports or exports that the text lacks, decoded from
 * the component binary (jco 1.35's `componentWit` prints `export docs:adder/add@0.1.0;` without
 * the interface's definition). Interfaces already in `doc` are kept as parsed. Mutates and returns
 * `doc`.
 *
 * @throws InvalidComponentError if the binary cannot be decoded (malformed, or uses component
 *   features the decoder does not know, such as async built-ins).
 */
export function addInterfacesFromBinary(doc: WitDocument, bytes: Uint8Array): WitDocument {
  const known = new Set<string>();
  for (const p of doc.packages) for (const i of p.interfaces.values()) known.add(i.id);
  const { imports, exports } = decodeInterfacesByDirection(bytes);
  for (const [id, iface] of [...imports, ...exports]) {
    if (known.has(id)) continue;
    packageFor(doc, packageIdOf(id)).interfaces.set(iface.name, iface);
  }
  // An interface both imported and exported: the document holds the export; the import's own
  // definition (only what the component calls) is kept beside it.
  for (const [id, iface] of imports) {
    if (!known.has(id) && exports.has(id)) (doc.importedInterfaces ??= new Map()).set(id, iface);
  }
  return doc;
}

/**
 * The component's world with every referenced interface defined: jco's `componentWit` text,
 * parsed, plus the interface definitions decoded from the binary.
 *
 * @throws InvalidComponentError for bytes that are not a valid component or unparsable WIT.
 */
export async function witFromComponent(bytes: Uint8Array): Promise<WitDocument> {
  // Loaded on first use: importing jco costs ~0.5 s, which users of the parser alone should not pay.
  const { componentWit } = await wasmTools();
  let text: string;
  try {
    text = await componentWit(bytes);
  } catch (err) {
    throw new InvalidComponentError(`cannot read the component's WIT: ${describe(err)}`, { cause: err });
  }
  const doc = parseWit(text);
  return addInterfacesFromBinary(doc, bytes);
}

/** `ns:pkg/iface@1.0.0` → `ns:pkg@1.0.0`. */
export function packageIdOf(interfaceId: string): string {
  const slash = interfaceId.lastIndexOf('/');
  const at = interfaceId.indexOf('@', slash);
  return interfaceId.slice(0, slash) + (at < 0 ? '' : interfaceId.slice(at));
}

function packageFor(doc: WitDocument, id: string): WitPackage {
  let p = doc.packages.find((x) => x.id === id);
  if (!p) {
    p = { id, interfaces: new Map(), worlds: new Map() };
    doc.packages.push(p);
  }
  return p;
}
