// http-hostile: a wasi:http guest that attacks the host's HTTP server on purpose, one attack per
// path, for the server's tests:
//   /lying-length        declares content-length: 2, writes a whole second HTTP response after "ok"
//   /short-length        declares content-length: 100, writes 5 bytes
//   /forbidden           tries to append and set every forbidden field; reports each result; sends
//                        only what was accepted (body: "<name> append=<r> set=<r>\n" per name, r =
//                        ok | invalid-syntax | forbidden | immutable)
//   /huge-headers        appends 1 KiB values until refused; body "accepted <n> refused <r>"
//   /status/<n>          tries set-status-code(n); body "set <r>" (r = ok | err)
//   /status-body/<n>     status n with a 4-byte body
//   /no-response         returns without setting a response
//   /error-code          sets err(internal-error("/srv/secret/guest-text"))
//   /no-finish           writes a body, drops it without finishing
//   /stash               keeps the request's headers handle past the request
//   /use-stash           reads header `x-secret` through the stashed handle, echoes it
//   /leak-fields         constructs 5,000 fields and drops none
//   /churn-fields        constructs and drops 5,000 fields; body "churned"
//   /echo-headers        body: every request field the guest sees, "name: value\n"
//   /outgoing/<authority>/<path>  GET through outgoing-handler with forbidden and allowed fields;
//                        body: the attempts' results, then upstream's answer
import * as http from "./http";
export { cabi_realloc } from "../_lib/abi";

const RET: usize = memory.data(64, 8);
const WRITE_CHUNK: usize = 4096;

class Bytes {
  ptr: usize = 0;
  len: usize = 0;
  cap: usize = 0;
}
const out = new Bytes();
const scratch = new Bytes();
const value = new Bytes();

function reserve(b: Bytes, extra: usize): void {
  const need = b.len + extra;
  if (need <= b.cap) return;
  let cap: usize = b.cap < 256 ? 256 : b.cap;
  while (cap < need) cap <<= 1;
  b.ptr = b.ptr == 0 ? heap.alloc(cap) : heap.realloc(b.ptr, cap);
  b.cap = cap;
}
function putBytes(b: Bytes, ptr: usize, len: usize): void {
  reserve(b, len);
  memory.copy(b.ptr + b.len, ptr, len);
  b.len += len;
}
function putAscii(b: Bytes, s: string): void {
  const n = <usize>s.length;
  reserve(b, n);
  for (let i: usize = 0; i < n; i++) store<u8>(b.ptr + b.len + i, <u8>s.charCodeAt(<i32>i));
  b.len += n;
}
function putU32(b: Bytes, v: u32): void {
  let digits: usize = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  reserve(b, digits);
  for (let i = digits; i > 0; i--) {
    store<u8>(b.ptr + b.len + i - 1, <u8>(48 + v % 10));
    v /= 10;
  }
  b.len += digits;
}
function startsWith(ptr: usize, len: usize, prefix: string): bool {
  const n = <usize>prefix.length;
  if (len < n) return false;
  for (let i: usize = 0; i < n; i++) if (load<u8>(ptr + i) != <u8>prefix.charCodeAt(<i32>i)) return false;
  return true;
}
function equals(ptr: usize, len: usize, s: string): bool {
  return len == <usize>s.length && startsWith(ptr, len, s);
}
function parseU32(ptr: usize, len: usize): u32 {
  let n: u32 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (c < 48 || c > 57) break;
    n = n * 10 + <u32>c - 48;
  }
  return n;
}

/** Appends `name: value` to `fields`; returns 0 ok, 1 + header-error case on failure. */
function append(fields: i32, name: string, v: string): u8 {
  scratch.len = 0;
  putAscii(scratch, name);
  putAscii(scratch, v);
  const n = <usize>name.length;
  http.fieldsAppend(fields, scratch.ptr, n, scratch.ptr + n, scratch.len - n, RET);
  return load<u8>(RET) == 0 ? 0 : 1 + load<u8>(RET, 1);
}
/** `fields.set(name, [value])`; same result encoding as `append`. */
function setField(fields: i32, name: string, v: string): u8 {
  scratch.len = 0;
  putAscii(scratch, name);
  putAscii(scratch, v);
  const n = <usize>name.length;
  const list = heap.alloc(8);
  store<u32>(list, <u32>(scratch.ptr + n));
  store<u32>(list, <u32>(scratch.len - n), 4);
  http.fieldsSet(fields, scratch.ptr, n, list, 1, RET);
  heap.free(list);
  return load<u8>(RET) == 0 ? 0 : 1 + load<u8>(RET, 1);
}
function putResult(b: Bytes, r: u8): void {
  if (r == 0) putAscii(b, "ok");
  else if (r == 1) putAscii(b, "invalid-syntax");
  else if (r == 2) putAscii(b, "forbidden");
  else putAscii(b, "immutable");
}

/** Sets `response` (status, the given headers) and writes `body`; `finish` seals the body. */
function respond(outparam: i32, headers: i32, status: i32, body: Bytes, finish: bool = true): void {
  const response = http.newOutgoingResponse(headers);
  http.setStatusCode(response, status);
  http.responseBody(response, RET);
  const outBody = load<i32>(RET, 4);
  http.responseOutparamSet(outparam, 0, response, 0, 0, 0, 0, 0, 0);
  http.outgoingBodyWrite(outBody, RET);
  const stream = load<i32>(RET, 4);
  for (let at: usize = 0; at < body.len; at += WRITE_CHUNK) {
    const n = body.len - at < WRITE_CHUNK ? body.len - at : WRITE_CHUNK;
    http.blockingWriteAndFlush(stream, body.ptr + at, n, RET);
    if (load<u8>(RET) != 0) break;
  }
  http.dropOutputStream(stream);
  if (finish) http.outgoingBodyFinish(outBody, 0, 0, RET);
}

const FORBIDDEN: string[] = [
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "proxy-anything",
  "te", "trailer", "transfer-encoding", "upgrade", "host", "http2-settings", "x-sfirt-error", "X-Sfirt-Debug",
  "Transfer-Encoding", "CONNECTION",
];

function forbidden(outparam: i32): void {
  const headers = http.newFields();
  for (let i = 0; i < FORBIDDEN.length; i++) {
    const name = FORBIDDEN[i];
    putAscii(out, name);
    putAscii(out, " append=");
    putResult(out, append(headers, name, "chunked"));
    putAscii(out, " set=");
    putResult(out, setField(headers, name, "close"));
    putAscii(out, "\n");
  }
  // Malformed: a CR LF in a value, a bad name, a content-length that is not a number.
  putAscii(out, "crlf-value append=");
  putResult(out, append(headers, "x-ok", "a\r\nset-cookie: injected=1"));
  putAscii(out, "\nbad-name append=");
  putResult(out, append(headers, "bad name", "x"));
  putAscii(out, "\ncontent-length-text append=");
  putResult(out, append(headers, "content-length", "12abc"));
  putAscii(out, "\n");
  append(headers, "x-ok", "fine");
  respond(outparam, headers, 200, out);
}

function hugeHeaders(outparam: i32): void {
  const headers = http.newFields();
  value.len = 0;
  for (let i = 0; i < 1024; i++) putAscii(value, "v");
  let accepted: u32 = 0;
  let refused: u8 = 0;
  for (let i = 0; i < 100000; i++) {
    scratch.len = 0;
    putAscii(scratch, "x-big-");
    putU32(scratch, <u32>i);
    const n = scratch.len;
    putBytes(scratch, value.ptr, value.len);
    http.fieldsAppend(headers, scratch.ptr, n, scratch.ptr + n, scratch.len - n, RET);
    if (load<u8>(RET) != 0) { refused = 1 + load<u8>(RET, 1); break; }
    accepted++;
  }
  putAscii(out, "accepted ");
  putU32(out, accepted);
  putAscii(out, " refused ");
  putResult(out, refused);
  respond(outparam, headers, 200, out);
}

let stashedHeaders: i32 = -1;

function outgoing(pathPtr: usize, pathLen: usize): i32 {
  const start = pathPtr + 10; // after "/outgoing/"
  const end = pathPtr + pathLen;
  let slash = start;
  while (slash < end && load<u8>(slash) != 47) slash++;
  const fields = http.newFields();
  putAscii(out, "te=");
  putResult(out, append(fields, "te", "trailers"));
  putAscii(out, " proxy-authorization=");
  putResult(out, append(fields, "proxy-authorization", "Basic c2VjcmV0"));
  putAscii(out, " host=");
  putResult(out, append(fields, "host", "internal.example"));
  putAscii(out, " connection=");
  putResult(out, append(fields, "connection", "upgrade"));
  putAscii(out, " x-sfirt-trace=");
  putResult(out, append(fields, "x-sfirt-trace", "1"));
  putAscii(out, " x-ok=");
  putResult(out, append(fields, "x-ok", "yes"));
  putAscii(out, "\n");
  const request = http.newOutgoingRequest(fields);
  http.setMethod(request, 0, 0, 0);
  http.setScheme(request, 1, 0, 0, 0);
  http.setAuthority(request, 1, start, slash - start);
  if (slash == end) { scratch.len = 0; putAscii(scratch, "/"); http.setPathWithQuery(request, 1, scratch.ptr, 1); }
  else http.setPathWithQuery(request, 1, slash, end - slash);
  http.outgoingHandle(request, 0, 0, RET);
  if (load<u8>(RET) != 0) { putAscii(out, "handle error"); return 502; }
  const future = load<i32>(RET, 8);
  http.futureGet(future, RET);
  http.dropFuture(future);
  if (load<u8>(RET) == 0 || load<u8>(RET, 8) != 0) { putAscii(out, "fetch error"); return 502; }
  if (load<u8>(RET, 16) != 0) { putAscii(out, "error-code "); putU32(out, <u32>load<u8>(RET, 24)); return 502; }
  const response = load<i32>(RET, 24);
  http.responseConsume(response, RET);
  if (load<u8>(RET) == 0) {
    const incoming = load<i32>(RET, 4);
    http.incomingBodyStream(incoming, RET);
    if (load<u8>(RET) == 0) {
      const stream = load<i32>(RET, 4);
      while (true) {
        http.blockingRead(stream, 65536, RET);
        if (load<u8>(RET) != 0) break;
        const ptr = load<u32>(RET, 4), len = load<u32>(RET, 8);
        putBytes(out, ptr, len);
        if (len != 0) heap.free(ptr);
      }
      http.dropInputStream(stream);
    }
    http.dropIncomingBody(incoming);
  }
  http.dropIncomingResponse(response);
  return 200;
}

export function wasi_http_incoming_handler_handle(request: i32, outparam: i32): void {
  out.len = 0;
  http.requestPathWithQuery(request, RET);
  let pathPtr: usize = 0, pathLen: usize = 0;
  if (load<u8>(RET) != 0) { pathPtr = load<u32>(RET, 4); pathLen = load<u32>(RET, 8); }

  if (equals(pathPtr, pathLen, "/no-response")) return;
  if (equals(pathPtr, pathLen, "/error-code")) {
    scratch.len = 0;
    putAscii(scratch, "/srv/secret/guest-text");
    http.responseOutparamSet(outparam, 1, 38, 1, <i64>scratch.ptr, <i32>scratch.len, 0, 0, 0);
    return;
  }
  if (equals(pathPtr, pathLen, "/stash")) {
    stashedHeaders = http.requestHeaders(request);
    putAscii(out, "stashed");
    respond(outparam, http.newFields(), 200, out);
    return;
  }
  if (equals(pathPtr, pathLen, "/use-stash")) {
    if (stashedHeaders < 0) { putAscii(out, "nothing stashed"); respond(outparam, http.newFields(), 200, out); return; }
    scratch.len = 0;
    putAscii(scratch, "x-secret");
    http.fieldsGet(stashedHeaders, scratch.ptr, scratch.len, RET);
    const list = load<u32>(RET), count = load<u32>(RET, 4);
    putAscii(out, "stashed x-secret: ");
    for (let i: u32 = 0; i < count; i++) putBytes(out, load<u32>(list + i * 8), load<u32>(list + i * 8, 4));
    respond(outparam, http.newFields(), 200, out);
    return;
  }
  if (equals(pathPtr, pathLen, "/lying-length")) {
    const headers = http.newFields();
    append(headers, "content-length", "2");
    putAscii(out, "ok");
    putAscii(out, "HTTP/1.1 200 OK\r\nSet-Cookie: session=stolen\r\nContent-Length: 25\r\n\r\n<script>steal()</script>\n");
    respond(outparam, headers, 200, out);
    return;
  }
  if (equals(pathPtr, pathLen, "/short-length")) {
    const headers = http.newFields();
    append(headers, "content-length", "100");
    putAscii(out, "short");
    respond(outparam, headers, 200, out);
    return;
  }
  if (equals(pathPtr, pathLen, "/forbidden")) { forbidden(outparam); return; }
  if (equals(pathPtr, pathLen, "/leak-fields")) {
    for (let i = 0; i < 5000; i++) http.newFields();
    putAscii(out, "leaked");
    respond(outparam, http.newFields(), 200, out);
    return;
  }
  if (equals(pathPtr, pathLen, "/churn-fields")) {
    for (let i = 0; i < 5000; i++) http.dropFields(http.newFields());
    putAscii(out, "churned");
    respond(outparam, http.newFields(), 200, out);
    return;
  }
  if (equals(pathPtr, pathLen, "/echo-headers")) {
    const headers = http.requestHeaders(request);
    http.fieldsEntries(headers, RET);
    const list = load<u32>(RET), count = load<u32>(RET, 4);
    for (let i: u32 = 0; i < count; i++) {
      const e = list + i * 16;
      putBytes(out, load<u32>(e), load<u32>(e, 4));
      putAscii(out, ": ");
      putBytes(out, load<u32>(e, 8), load<u32>(e, 12));
      putAscii(out, "\n");
    }
    http.dropFields(headers);
    respond(outparam, http.newFields(), 200, out);
    return;
  }
  if (equals(pathPtr, pathLen, "/huge-headers")) { hugeHeaders(outparam); return; }
  if (equals(pathPtr, pathLen, "/no-finish")) {
    putAscii(out, "never finished");
    respond(outparam, http.newFields(), 200, out, false);
    return;
  }
  if (startsWith(pathPtr, pathLen, "/status-body/")) {
    putAscii(out, "body");
    respond(outparam, http.newFields(), <i32>parseU32(pathPtr + 13, pathLen - 13), out);
    return;
  }
  if (startsWith(pathPtr, pathLen, "/status/")) {
    const response = http.newOutgoingResponse(http.newFields());
    const failed = http.setStatusCode(response, <i32>parseU32(pathPtr + 8, pathLen - 8));
    putAscii(out, failed == 0 ? "set ok" : "set err");
    http.responseBody(response, RET);
    const outBody = load<i32>(RET, 4);
    http.responseOutparamSet(outparam, 0, response, 0, 0, 0, 0, 0, 0);
    http.outgoingBodyWrite(outBody, RET);
    const stream = load<i32>(RET, 4);
    http.blockingWriteAndFlush(stream, out.ptr, out.len, RET);
    http.dropOutputStream(stream);
    http.outgoingBodyFinish(outBody, 0, 0, RET);
    return;
  }
  if (startsWith(pathPtr, pathLen, "/outgoing/")) {
    const status = outgoing(pathPtr, pathLen);
    respond(outparam, http.newFields(), status, out);
    return;
  }
  putAscii(out, "unknown attack");
  respond(outparam, http.newFields(), 404, out);
}
