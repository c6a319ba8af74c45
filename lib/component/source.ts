import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, NotAComponentError } from '../errors.js';

/** Where a component comes from: a filesystem path, a `file:`/`http(s):` URL, or the bytes themselves. */
export type ComponentSource = string | URL | Uint8Array | ArrayBuffer;

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** Component binaries use version 0x0d and layer 1; core modules use version 1, layer 0. */
const COMPONENT_VERSION = [0x0d, 0x00, 0x01, 0x00];
const CORE_VERSION = [0x01, 0x00, 0x00, 0x00];

/** Reads a component source into bytes (no parsing beyond the header). */
export async function readSource(source: ComponentSource): Promise<{ bytes: Uint8Array; label: string }> {
  if (source instanceof Uint8Array) return { bytes: source, label: `<${source.byteLength} bytes>` };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), label: `<${source.byteLength} bytes>` };
  const url = source instanceof URL ? source : /^[a-z][a-z0-9+.-]+:\/\//i.test(source) ? new URL(source) : undefined;
  if (url && url.protocol !== 'file:') {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError(`unsupported component URL scheme \`${url.protocol}\``);
    }
    const res = await fetch(url);
    if (!res.ok) throw new InvalidArgumentError(`fetching ${url.href} failed: HTTP ${res.status}`);
    return { bytes: new Uint8Array(await res.arrayBuffer()), label: url.href };
  }
  const path = url ? fileURLToPath(url) : (source as string);
  try {
    // Synchronous: open, fstat, read, close without four thread-pool round trips (on a busy machine
    // those cost more than the read); the bytes are hashed synchronously next anyway.
    return { bytes: new Uint8Array(readFileSync(path)), label: path };
  } catch (err) {
    throw new InvalidArgumentError(`cannot read component ${path}: ${(err as Error).message}`);
  }
}

/** Throws `NotAComponentError` unless the bytes start like a component binary. */
export function assertComponentHeader(bytes: Uint8Array, label: string): void {
  if (bytes.byteLength === 0) throw new NotAComponentError(`${label} is empty, not a WebAssembly component`);
  if (bytes.byteLength < 8 || !startsWith(bytes, WASM_MAGIC, 0)) {
    throw new NotAComponentError(`${label} is not a WebAssembly binary (bad magic number)`);
  }
  if (startsWith(bytes, CORE_VERSION, 4)) {
    throw new NotAComponentError(`${label} is a core WebAssembly module, not a component; wrap it with \`jco new\` (wasm-tools component new)`);
  }
  if (!startsWith(bytes, COMPONENT_VERSION, 4)) {
    throw new NotAComponentError(`${label} has an unsupported WebAssembly version/layer header`);
  }
}

function startsWith(bytes: Uint8Array, prefix: number[], at: number): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}
