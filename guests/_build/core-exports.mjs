// Reads and renames the exports of a core WebAssembly module. AssemblyScript cannot export names
// containing '-', ':' or '#', which the component model's names need, so the build renames them
// in the binary before embedding the WIT.

const EXPORT_SECTION = 7;
const KINDS = ['func', 'table', 'memory', 'global', 'tag'];

function readU32(bytes, pos) {
  let result = 0, shift = 0, byte;
  do {
    if (pos >= bytes.length) throw new Error('truncated LEB128');
    byte = bytes[pos++];
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return [result >>> 0, pos];
}

function writeU32(value, out) {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
}

/** Splits a core module into its sections: [{ id, start, end }] with start/end of the payload. */
function sections(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[4] !== 1) {
    throw new Error('not a core WebAssembly module');
  }
  const out = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, start] = readU32(bytes, pos + 1);
    out.push({ id, header: pos, start, end: start + size });
    pos = start + size;
  }
  return out;
}

/** The exports of a core module, in order: [{ name, kind, index }]. */
export function coreExports(bytes) {
  const section = sections(bytes).find((s) => s.id === EXPORT_SECTION);
  if (!section) return [];
  let [count, pos] = readU32(bytes, section.start);
  const decoder = new TextDecoder();
  const exports = [];
  while (count--) {
    let len;
    [len, pos] = readU32(bytes, pos);
    const name = decoder.decode(bytes.subarray(pos, pos + len));
    pos += len;
    const kind = KINDS[bytes[pos++]] ?? 'unknown';
    let index;
    [index, pos] = readU32(bytes, pos);
    exports.push({ name, kind, index });
  }
  return exports;
}

/** Returns a copy of the module whose exports are renamed by `rename(name) → newName`. */
export function renameCoreExports(bytes, rename) {
  const section = sections(bytes).find((s) => s.id === EXPORT_SECTION);
  if (!section) return bytes;
  const encoder = new TextEncoder();
  const payload = [];
  const exports = coreExports(bytes);
  writeU32(exports.length, payload);
  for (const { name, kind, index } of exports) {
    const encoded = encoder.encode(rename(name));
    writeU32(encoded.length, payload);
    payload.push(...encoded, KINDS.indexOf(kind));
    writeU32(index, payload);
  }
  const header = [EXPORT_SECTION];
  writeU32(payload.length, header);
  const out = new Uint8Array(section.header + header.length + payload.length + (bytes.length - section.end));
  out.set(bytes.subarray(0, section.header), 0);
  out.set(header, section.header);
  out.set(payload, section.header + header.length);
  out.set(bytes.subarray(section.end), section.header + header.length + payload.length);
  return out;
}
