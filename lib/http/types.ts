// `wasi:http/types@0.2.x` resources, implemented in-thread. jco checks handles with `instanceof`
// against the classes in the import object, so these very classes are what `wasiHttpImports()`
// hands to a function and what the server constructs per request. Expected failures are thrown as
// values (`{ tag: ... }`), which jco turns into a WIT `err`; nothing here throws an Error at a guest.
import { inputStream, outputStream } from '../wasi/stdio.js';
import { readyPollable } from '../wasi/shim.js';
import { Fields, lockFields } from './fields.js';

export { Fields } from './fields.js';

/** `wasi:http/types.method`. */
export type Method = { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' } | { tag: 'other'; val: string };
/** `wasi:http/types.scheme`. */
export type Scheme = { tag: 'HTTP' | 'HTTPS' } | { tag: 'other'; val: string };
/** `wasi:http/types.error-code` (the cases the host produces carry their payload in `val`). */
export type ErrorCode = { tag: string; val?: unknown };

const STANDARD_METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);

/** `GET` → `{ tag: 'get' }`; anything else is `other`. */
export function methodFromString(method: string): Method {
  const lower = method.toLowerCase();
  return STANDARD_METHODS.has(lower) ? ({ tag: lower } as Method) : { tag: 'other', val: method };
}

/** `{ tag: 'get' }` → `GET`. */
export function methodToString(method: Method): string {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

/** Cap on a body a guest writes for the host to send (a response, or an outgoing request). */
export const MAX_GUEST_BODY_BYTES = 64 * 1024 * 1024;

/** Bytes written to an outgoing body, collected in order. */
export class BodySink {
  chunks: Uint8Array[] = [];
  bytes = 0;
  finished = false;
  push(buf: Uint8Array): void {
    this.chunks.push(buf.slice());
    this.bytes += buf.byteLength;
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.byteLength; }
    return out;
  }
}

/** `incoming-body`: the request (or response) body, read through one input stream. */
export class IncomingBody {
  #stream: object | undefined;
  constructor(bytes: Uint8Array) { this.#stream = inputStream(bytes); }
  stream(): object {
    const s = this.#stream;
    if (!s) throw undefined;
    this.#stream = undefined;
    return s;
  }
  static finish(_body: IncomingBody): FutureTrailers { return new FutureTrailers(); }
  [Symbol.dispose](): void {}
}

/** `future-trailers`: always resolved, never any trailers. */
export class FutureTrailers {
  #taken = false;
  subscribe(): object { return readyPollable(); }
  get(): unknown {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
  [Symbol.dispose](): void {}
}

/** What a request looks like to the host before it becomes a guest resource (cloneable across threads). */
export interface PlainRequest {
  method: string;
  pathWithQuery: string;
  scheme: 'http' | 'https';
  authority: string;
  /** Raw header list (name, value, name, value, ...), as Node's `rawHeaders`. */
  rawHeaders: string[];
  body: Uint8Array;
}

/** `incoming-request`, built by the host from an HTTP request whose body is already buffered. */
export class IncomingRequest {
  #request: PlainRequest;
  #headers: Fields;
  #consumed = false;
  constructor(request: PlainRequest, headers: Fields) {
    this.#request = request;
    this.#headers = lockFields(headers);
  }
  method(): Method { return methodFromString(this.#request.method); }
  pathWithQuery(): string | undefined { return this.#request.pathWithQuery; }
  scheme(): Scheme | undefined { return { tag: this.#request.scheme === 'https' ? 'HTTPS' : 'HTTP' }; }
  authority(): string | undefined { return this.#request.authority; }
  headers(): Fields { return this.#headers; }
  consume(): IncomingBody {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    return new IncomingBody(this.#request.body);
  }
  [Symbol.dispose](): void {}
}

/** `outgoing-body`: one output stream; `finish` seals it. */
export class OutgoingBody {
  readonly sink = new BodySink();
  #stream: object | undefined;
  constructor() {
    this.#stream = outputStream((buf) => {
      // A stream error value (not an Error): the guest sees `closed` and can stop writing.
      if (this.sink.finished || this.sink.bytes + buf.byteLength > MAX_GUEST_BODY_BYTES) throw { tag: 'closed' };
      this.sink.push(buf);
    });
  }
  write(): object {
    const s = this.#stream;
    if (!s) throw undefined;
    this.#stream = undefined;
    return s;
  }
  static finish(body: OutgoingBody, trailers?: Fields): void {
    if (body.sink.finished) throw { tag: 'internal-error', val: 'body already finished' } satisfies ErrorCode;
    if (trailers) throw { tag: 'internal-error', val: 'trailers are not supported' } satisfies ErrorCode;
    body.sink.finished = true;
  }
  [Symbol.dispose](): void {}
}

/** `outgoing-response`: status, headers and body a guest hands to `response-outparam.set`. */
export class OutgoingResponse {
  #status = 200;
  #headers: Fields;
  #body: OutgoingBody | undefined;
  constructor(headers: Fields) { this.#headers = lockFields(headers); }
  statusCode(): number { return this.#status; }
  setStatusCode(status: number): void {
    if (!(status >= 100 && status <= 599)) throw undefined;
    this.#status = status;
  }
  headers(): Fields { return this.#headers; }
  body(): OutgoingBody {
    if (this.#body) throw undefined;
    this.#body = new OutgoingBody();
    return this.#body;
  }
  /** Host side: the body the guest obtained, if any. */
  takenBody(): OutgoingBody | undefined { return this.#body; }
  [Symbol.dispose](): void {}
}

/** What the guest passed to `response-outparam.set`. */
export type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode };

/** `response-outparam`: the host learns the guest's response through `set`, at most once. */
export class ResponseOutparam {
  #onSet: (result: ResponseResult) => void;
  #set = false;
  constructor(onSet: (result: ResponseResult) => void) { this.#onSet = onSet; }
  static set(param: ResponseOutparam, response: ResponseResult): void {
    if (param.#set) return;
    param.#set = true;
    param.#onSet(response);
  }
  [Symbol.dispose](): void {}
}

/** `request-options`: timeouts in nanoseconds (`duration`). */
export class RequestOptions {
  connect: bigint | undefined;
  firstByte: bigint | undefined;
  betweenBytes: bigint | undefined;
  connectTimeout(): bigint | undefined { return this.connect; }
  setConnectTimeout(d: bigint | undefined): void { this.connect = d; }
  firstByteTimeout(): bigint | undefined { return this.firstByte; }
  setFirstByteTimeout(d: bigint | undefined): void { this.firstByte = d; }
  betweenBytesTimeout(): bigint | undefined { return this.betweenBytes; }
  setBetweenBytesTimeout(d: bigint | undefined): void { this.betweenBytes = d; }
  [Symbol.dispose](): void {}
}

/** `outgoing-request`: what a guest builds before `outgoing-handler.handle`. */
export class OutgoingRequest {
  #method: Method = { tag: 'get' };
  #path: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  #headers: Fields;
  #bodyTaken = false;
  readonly outgoingBody = new OutgoingBody();
  constructor(headers: Fields) { this.#headers = lockFields(headers); }
  body(): OutgoingBody {
    if (this.#bodyTaken) throw undefined;
    this.#bodyTaken = true;
    return this.outgoingBody;
  }
  method(): Method { return this.#method; }
  setMethod(method: Method): void {
    if (method.tag === 'other' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method.val)) throw undefined;
    this.#method = method;
  }
  pathWithQuery(): string | undefined { return this.#path; }
  setPathWithQuery(path: string | undefined): void {
    if (path !== undefined && !/^[\x21-\x7e]*$/.test(path)) throw undefined;
    this.#path = path;
  }
  scheme(): Scheme | undefined { return this.#scheme; }
  setScheme(scheme: Scheme | undefined): void {
    if (scheme?.tag === 'other' && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme.val)) throw undefined;
    this.#scheme = scheme;
  }
  authority(): string | undefined { return this.#authority; }
  setAuthority(authority: string | undefined): void {
    if (authority !== undefined && !/^[A-Za-z0-9.\-[\]:]*$/.test(authority)) throw undefined;
    this.#authority = authority;
  }
  headers(): Fields { return this.#headers; }
  [Symbol.dispose](): void {}
}

/** `incoming-response`: a completed outgoing call's status, headers and buffered body. */
export class IncomingResponse {
  #status: number;
  #headers: Fields;
  #body: IncomingBody | undefined;
  constructor(status: number, headers: Fields, body: Uint8Array) {
    this.#status = status;
    this.#headers = lockFields(headers);
    this.#body = new IncomingBody(body);
  }
  status(): number { return this.#status; }
  headers(): Fields { return this.#headers; }
  consume(): IncomingBody {
    const b = this.#body;
    if (!b) throw undefined;
    this.#body = undefined;
    return b;
  }
  [Symbol.dispose](): void {}
}

/** `future-incoming-response`: resolved by the time the guest holds it (the host call blocked). */
export class FutureIncomingResponse {
  #result: { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode } | undefined;
  constructor(result: { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode }) { this.#result = result; }
  subscribe(): object { return readyPollable(); }
  get(): unknown {
    const r = this.#result;
    if (!r) return { tag: 'err', val: undefined }; // already taken
    this.#result = undefined;
    return { tag: 'ok', val: r };
  }
  [Symbol.dispose](): void {}
}

/** `http-error-code`: our streams never carry HTTP errors. */
export function httpErrorCode(_err: unknown): ErrorCode | undefined {
  return undefined;
}

/** The `wasi:http/types` import object. */
export const wasiHttpTypes = {
  Fields, IncomingRequest, IncomingBody, FutureTrailers, OutgoingResponse, OutgoingBody, ResponseOutparam,
  RequestOptions, OutgoingRequest, IncomingResponse, FutureIncomingResponse, httpErrorCode,
};
