/**
 * Writing answers. The only ways bytes reach a client: a response of the server's own (`send`,
 * `sendError`), or a guest's checked response (`sendGuestResponse`), whose `content-length` is
 * always the length of the body actually sent and whose fields pass the header policy again here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PlainResponse } from './incoming.js';
import { latin1 } from './fields.js';
import { isForbiddenHeader } from './header-policy.js';
import type { ErrorResponse } from './status.js';

/** A response of the server's own. */
export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Uint8Array | string): void {
  if (res.headersSent) { res.end(); return; }
  res.writeHead(status, status === 204 || status === 304 ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/**
 * An error answer. With `close` (or when the answer says `connection: close`) the connection ends
 * after it and nothing more is read from it: unread request bytes are never parsed as a request.
 * Once headers have gone out, the only honest signal left is to cut the connection.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, e: ErrorResponse, close: boolean): void {
  if (res.headersSent) { res.destroy(); return; }
  const headers: Record<string, string> = { ...e.headers, 'content-length': String(Buffer.byteLength(e.body)) };
  if (close) headers.connection = 'close';
  res.writeHead(e.status, headers);
  res.end(e.body);
  if (headers.connection === 'close') res.on('finish', () => req.destroy());
}

/**
 * A guest's response: its status and fields (minus forbidden ones, `content-length` and the
 * route's `dropped` names), `content-length` of the real body. Node leaves the body out for HEAD.
 */
export function sendGuestResponse(res: ServerResponse, response: PlainResponse, dropped: ReadonlySet<string> | undefined): void {
  const flat: string[] = [];
  for (const [name, value] of response.headers) {
    if (name === 'content-length' || isForbiddenHeader(name) || dropped?.has(name)) continue;
    flat.push(name, value);
  }
  const body = response.body;
  flat.push('content-length', String(body.byteLength));
  res.writeHead(response.status, flat);
  // A small body goes out as a latin1 string (the same bytes): Node then sends head and body in
  // one write of one string, where a Uint8Array takes a Buffer view, a corked writev of two chunks
  // and their bookkeeping (~2 µs per answer of the hello component's server CPU).
  // `latin1` turns a body of a few dozen bytes (on V8's heap: one native call would move it out
  // first) into a string in JS.
  if (body.byteLength <= SMALL_BODY) res.end(latin1(body), 'latin1');
  else res.end(body);
}

/** Bodies up to this many bytes are sent as a latin1 string (see `sendGuestResponse`). */
const SMALL_BODY = 16 * 1024;
