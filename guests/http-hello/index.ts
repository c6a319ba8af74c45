// http-hello: a wasi:http/proxy component written against the raw canonical ABI (see world.wit
// for what it answers). Raw heap buffers only (no managed objects), so pooled instances stay bounded.
import * as http from "./http";
export { cabi_realloc } from "../_lib/abi";

/** Scratch return area for imports; the largest result read here is 56 bytes. */
const RET: usize = memory.data(64, 8);
const CHUNK: i64 = 65536;
/** Largest write per `blocking-write-and-flush`, as wasi:io asks. */
const WRITE_CHUNK: usize = 4096;

/** A growable byte buffer on the raw heap. */
class Bytes {
  ptr: usize = 0;
  len: usize = 0;
  cap: usize = 0;
}
// Static instances: with --runtime minimal nothing is collected, so none are created per request.
const body = new Bytes();
const out = new Bytes();
const scratch = new Bytes();

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
/** Appends an ASCII literal. */
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
/** An ASCII literal as UTF-8 bytes in `scratch` (valid until the next call); returns its pointer. */
function ascii(s: string): usize {
  scratch.len = 0;
  putAscii(scratch, s);
  return scratch.ptr;
}
function startsWith(ptr: usize, len: usize, prefix: string): bool {
  const n = <usize>prefix.length;
  if (len < n) return false;
  for (let i: usize = 0; i < n; i++) if (load<u8>(ptr + i) != <u8>prefix.charCodeAt(<i32>i)) return false;
  return true;
}
function free(ptr: usize, len: usize): void {
  if (len != 0) heap.free(ptr);
}

/** Reads an input stream to its end into `b`, then drops it. */
function readAll(stream: i32, b: Bytes): void {
  while (true) {
    http.blockingRead(stream, CHUNK, RET);
    if (load<u8>(RET) != 0) break; // closed (or failed): the end of the body
    const ptr = load<u32>(RET, 4);
    const len = load<u32>(RET, 8);
    putBytes(b, ptr, len);
    free(ptr, len);
  }
  http.dropInputStream(stream);
}

/** The response's header entries, `list<tuple<field-key, field-value>>` as the canonical ABI lays it out. */
const ENTRIES: usize = memory.data(32, 4);

/** Entry `i` of ENTRIES: `name` and `value`, appended to `scratch` (offsets, made pointers by `responseHeaders`). */
function putEntry(i: usize, name: string, value: string): void {
  const name0 = scratch.len;
  putAscii(scratch, name);
  const value0 = scratch.len;
  putAscii(scratch, value);
  store<u32>(ENTRIES + i * 16, <u32>name0);
  store<u32>(ENTRIES + i * 16, <u32>name.length, 4);
  store<u32>(ENTRIES + i * 16, <u32>value0, 8);
  store<u32>(ENTRIES + i * 16, <u32>value.length, 12);
}

/** The response's fields, made in one call (`fields.from-list`). */
function responseHeaders(): i32 {
  scratch.len = 0;
  putEntry(0, "content-type", "text/plain; charset=utf-8");
  putEntry(1, "x-guest", "http-hello");
  // Offsets into `scratch` became pointers once it stopped growing.
  for (let i: usize = 0; i < 2; i++) {
    store<u32>(ENTRIES + i * 16, load<u32>(ENTRIES + i * 16) + <u32>scratch.ptr);
    store<u32>(ENTRIES + i * 16, load<u32>(ENTRIES + i * 16, 8) + <u32>scratch.ptr, 8);
  }
  http.fieldsFromList(ENTRIES, 2, RET);
  if (load<u8>(RET) != 0) unreachable(); // constant, valid fields
  return load<i32>(RET, 4);
}

/** Sends `status` with `out` as the body through the response-outparam. */
function respond(outparam: i32, status: i32): void {
  const response = http.newOutgoingResponse(responseHeaders());
  if (status != 200) http.setStatusCode(response, status); // 200 is the default
  http.responseBody(response, RET);
  const outBody = load<i32>(RET, 4);
  http.responseOutparamSet(outparam, 0, response, 0, 0, 0, 0, 0, 0);
  http.outgoingBodyWrite(outBody, RET);
  const stream = load<i32>(RET, 4);
  for (let at: usize = 0; at < out.len; at += WRITE_CHUNK) {
    const n = out.len - at < WRITE_CHUNK ? out.len - at : WRITE_CHUNK;
    http.blockingWriteAndFlush(stream, out.ptr + at, n, RET);
    if (load<u8>(RET) != 0) break;
  }
  http.dropOutputStream(stream);
  http.outgoingBodyFinish(outBody, 0, 0, RET);
}

function putMethod(b: Bytes, request: i32): void {
  http.requestMethod(request, RET);
  const tag = load<u8>(RET);
  switch (tag) {
    case 0: putAscii(b, "GET"); break;
    case 1: putAscii(b, "HEAD"); break;
    case 2: putAscii(b, "POST"); break;
    case 3: putAscii(b, "PUT"); break;
    case 4: putAscii(b, "DELETE"); break;
    case 5: putAscii(b, "CONNECT"); break;
    case 6: putAscii(b, "OPTIONS"); break;
    case 7: putAscii(b, "TRACE"); break;
    case 8: putAscii(b, "PATCH"); break;
    default: {
      const ptr = load<u32>(RET, 4), len = load<u32>(RET, 8);
      putBytes(b, ptr, len);
      free(ptr, len);
    }
  }
}

/** Appends the first value of header `name`, or `fallback`. */
function putHeader(b: Bytes, request: i32, name: string, fallback: string): void {
  const headers = http.requestHeaders(request);
  http.fieldsGet(headers, ascii(name), <usize>name.length, RET);
  const list = load<u32>(RET), count = load<u32>(RET, 4);
  if (count == 0) putAscii(b, fallback);
  for (let i: u32 = 0; i < count; i++) {
    const ptr = load<u32>(list + i * 8), len = load<u32>(list + i * 8, 4);
    if (i == 0) putBytes(b, ptr, len);
    free(ptr, len);
  }
  free(list, count * 8);
  http.dropFields(headers);
}

function errorName(b: Bytes, code: u8): void {
  switch (code) {
    case 2: putAscii(b, "destination-not-found"); break;
    case 6: putAscii(b, "connection-refused"); break;
    case 8: putAscii(b, "connection-timeout"); break;
    case 15: putAscii(b, "HTTP-request-denied"); break;
    case 18: putAscii(b, "HTTP-request-method-invalid"); break;
    case 19: putAscii(b, "HTTP-request-URI-invalid"); break;
    case 28: putAscii(b, "HTTP-response-body-size"); break;
    case 33: putAscii(b, "HTTP-response-timeout"); break;
    case 38: putAscii(b, "internal-error"); break;
    default: putAscii(b, "error-code "); putU32(b, code);
  }
}

/** GET http://<authority>/<rest> for a path `/fetch/<authority>/<rest>`; the answer goes to `out`. */
function fetch(pathPtr: usize, pathLen: usize): i32 {
  const start = pathPtr + 7; // after "/fetch/"
  const end = pathPtr + pathLen;
  let slash = start;
  while (slash < end && load<u8>(slash) != 47) slash++;
  const request = http.newOutgoingRequest(http.newFields());
  http.setMethod(request, 0, 0, 0);
  http.setScheme(request, 1, 0, 0, 0);
  http.setAuthority(request, 1, start, slash - start);
  if (slash == end) http.setPathWithQuery(request, 1, ascii("/"), 1);
  else http.setPathWithQuery(request, 1, slash, end - slash);
  http.outgoingHandle(request, 0, 0, RET);
  if (load<u8>(RET) != 0) {
    putAscii(out, "error ");
    errorName(out, load<u8>(RET, 8));
    return 502;
  }
  const future = load<i32>(RET, 8);
  http.futureGet(future, RET);
  if (load<u8>(RET) == 0) {
    const pollable = http.futureSubscribe(future);
    http.pollableBlock(pollable);
    http.dropPollable(pollable);
    http.futureGet(future, RET);
  }
  http.dropFuture(future);
  if (load<u8>(RET) == 0 || load<u8>(RET, 8) != 0) {
    putAscii(out, "error future");
    return 502;
  }
  if (load<u8>(RET, 16) != 0) {
    putAscii(out, "error ");
    errorName(out, load<u8>(RET, 24));
    return 502;
  }
  const response = load<i32>(RET, 24);
  putAscii(out, "fetched ");
  putU32(out, <u32>http.responseStatus(response));
  putAscii(out, ": ");
  http.responseConsume(response, RET);
  if (load<u8>(RET) == 0) {
    const incoming = load<i32>(RET, 4);
    http.incomingBodyStream(incoming, RET);
    if (load<u8>(RET) == 0) readAll(load<i32>(RET, 4), out);
    http.dropIncomingBody(incoming);
  }
  http.dropIncomingResponse(response);
  return 200;
}

export function wasi_http_incoming_handler_handle(request: i32, outparam: i32): void {
  body.len = 0;
  out.len = 0;
  http.requestPathWithQuery(request, RET);
  let pathPtr: usize = 0, pathLen: usize = 0;
  if (load<u8>(RET) != 0) { pathPtr = load<u32>(RET, 4); pathLen = load<u32>(RET, 8); }
  let status: i32 = 200;
  if (startsWith(pathPtr, pathLen, "/status/")) {
    status = 0;
    for (let i: usize = 8; i < pathLen; i++) status = status * 10 + <i32>load<u8>(pathPtr + i) - 48;
  } else if (startsWith(pathPtr, pathLen, "/work/")) {
    // CPU-bound answer (for load tests): `n` rounds of a 32-bit mix.
    let n: u32 = 0;
    for (let i: usize = 6; i < pathLen; i++) n = n * 10 + <u32>load<u8>(pathPtr + i) - 48;
    let h: u32 = 2166136261;
    for (let i: u32 = 0; i < n; i++) { h ^= i; h *= 16777619; h ^= h >> 15; }
    putAscii(out, "worked ");
    putU32(out, n);
    putAscii(out, " ");
    putU32(out, h);
  } else if (startsWith(pathPtr, pathLen, "/fetch/")) {
    status = fetch(pathPtr, pathLen);
  } else {
    http.requestConsume(request, RET);
    if (load<u8>(RET) == 0) {
      const incoming = load<i32>(RET, 4);
      http.incomingBodyStream(incoming, RET);
      if (load<u8>(RET) == 0) readAll(load<i32>(RET, 4), body);
      http.dropIncomingBody(incoming);
    }
    putAscii(out, "Hello, ");
    putHeader(out, request, "x-name", "world");
    putAscii(out, "! ");
    putMethod(out, request);
    putAscii(out, " ");
    putBytes(out, pathPtr, pathLen);
    putAscii(out, " body=");
    putU32(out, <u32>body.len);
    putAscii(out, " bytes\n");
    putBytes(out, body.ptr, body.len);
  }
  free(pathPtr, pathLen);
  http.dropIncomingRequest(request);
  respond(outparam, status);
}
