// Raw HTTP/1.1 over node:net for the server tests: what a client really receives, byte for byte,
// with no client library normalising (or refusing) it.
import net from 'node:net';

/**
 * Writes `text` on a new connection (without half-closing it: Node drops answers still pending
 * when the client half-closes) and resolves to everything received until the server closes
 * it (or `timeoutMs` passes: then `timedOut` is set and the socket is destroyed).
 */
export function exchange(port, text, { timeoutMs = 5000, end = false } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let timedOut = false;
    const s = net.connect(port, '127.0.0.1', () => (end ? s.end(text) : s.write(text)));
    const timer = setTimeout(() => { timedOut = true; s.destroy(); }, timeoutMs);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ raw: Buffer.concat(chunks).toString('latin1'), timedOut }); });
  });
}

/** Splits raw bytes into responses: `{ status, headers: [[lowerName, value]], body }[]` (content-length framing only). */
export function parseResponses(raw) {
  const out = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) { out.push({ garbage: raw.slice(at) }); break; }
    const [statusLine, ...lines] = raw.slice(at, end).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    if (!m) { out.push({ garbage: raw.slice(at) }); break; }
    const headers = lines.map((l) => { const i = l.indexOf(':'); return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()]; });
    const length = Number(headers.find(([n]) => n === 'content-length')?.[1] ?? 0);
    const body = raw.slice(end + 4, end + 4 + length);
    out.push({ status: Number(m[1]), headers, body, header: (name) => headers.find(([n]) => n === name)?.[1] });
    at = end + 4 + length;
  }
  return out;
}

/** A GET request line + headers (`extra` as raw header lines). */
export const get = (path, extra = '', close = false) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}${close ? 'Connection: close\r\n' : ''}\r\n`;
