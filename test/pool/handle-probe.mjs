// Decodes the results of the hostile `handle-probe` guest (guests/handle-probe): what a caller
// that names every handle number it was never given got back.
const KINDS = ['descriptor', 'input-stream', 'directory-entry-stream'];
const decoder = new TextDecoder();

/** `probe(max)`'s records as `{ kind, handle, text }`: one per handle that handed over data. */
export function decodeProbe(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const kind = KINDS[bytes[at]] ?? `kind-${bytes[at]}`;
    const handle = view.getUint32(at + 1, true);
    const len = view.getUint32(at + 5, true);
    out.push({ kind, handle, text: decoder.decode(bytes.subarray(at + 9, at + 9 + len)) });
    at += 9 + len;
  }
  return out;
}

/** `draw(len)`: the random bytes (hex) and the monotonic clock's reading. */
export function decodeDraw(bytes) {
  const len = bytes.length - 8;
  return {
    random: Buffer.from(bytes.subarray(0, len)).toString('hex'),
    clock: new DataView(bytes.buffer, bytes.byteOffset + len, 8).getBigUint64(0, true),
  };
}
