// `wasi:http/types@0.2.x` resources, implemented in-thread. The glue checks handles with `instanceof`
// against the classes in the import object; the per-instance constructors of `instance-types.ts`
// share these prototypes, so objects the server builds pass for every instance. Expected failures
// are thrown as values (`{ tag: ... }`), which the glue turns into a WIT `err`; an Error thrown
// here (a released resource, too many resources) is a trap.
import { Fields, latin1, lockFields } from './fields.js';
import { parseContentLength } from './header-policy.js';
import { HttpResource, type ResourceOwner } from './resource.js';
import { BodyInputStream, BodyOutputStream, readyPollable, type ByteSink } from './streams.js';

export { Fields } from './fields.js';

/** `wasi:http/types.method`. */
export type Method = { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' } | { tag: 'other'; val: string };
/** `wasi:http/types.scheme`. */
export type Scheme = { tag: 'HTTP' | 'HTTPS' } | { tag: 'other'; val: string };
/** `wasi:http/types.error-code` (the cases the host produces carry their payload in `val`). */
export type ErrorCode = { tag: string; val?: unknown };

const STANDARD_METHODS = new Map(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'].map((m) => [m.toUpperCase(), Object.freeze({ tag: m }) as Method]));

/** `GET` → `{ tag: 'get' }`; anything else is `other`. */
export function methodFromString(method: string): Method {
  return STANDARD_METHODS.get(method) ?? STANDARD_METHODS.get(method.toUpperCase()) ?? { tag: 'other', val: method };
}

/** `{ tag: 'get' }` → `GET`. */
export function methodToString(method: Method): string {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

const EMPTY = new Uint8Array(0);

/** Cap on one body a guest writes for the host to send (a response, or an outgoing request). */
export const MAX_GUEST_BODY_BYTES = 64 * 1024 * 1024;

/** Result of a `set-*` method that fails: the glue turns a thrown `undefined` into `err(())`. */
const FAILED = undefined;
const HTTP = Object.freeze({ tag: 'HTTP' }) as Scheme;
const HTTPS = Object.freeze({ tag: 'HTTPS' }) as Scheme;

/**
 * Bytes a guest writes to an outgoing body, kept in order. Takes no more than `limit` bytes, nor
 * more than the declared `content-length` when there is one (as Wasmtime does); `finish` checks
 * that the declared length was reached.
 */
export class BodySink implements ByteSink {
  /** One growing buffer (never a list of chunks: a guest writing a byte at a time costs a byte each). */
  #buf = EMPTY;
  bytes = 0;
  finished = false;
  /** The guest dropped the body without finishing it: the message is incomplete. */
  aborted = false;
  constructor(readonly declaredLength: number | undefined, readonly limit = MAX_GUEST_BODY_BYTES) {}
  room(): number {
    if (this.finished || this.aborted) return 0;
    return Math.min(this.limit, this.declaredLength ?? Infinity) - this.bytes;
  }
  push(buf: Uint8Array): boolean {
    const n = buf.byteLength;
    if (n > this.room()) return false;
    const need = this.bytes + n;
    if (need > this.#buf.byteLength) {
      // The first write gets exactly its size (most bodies are one write: concat() then copies
      // nothing); later ones double, so many small writes cost amortised O(1) each.
      const grown = new Uint8Array(this.bytes === 0 ? need : Math.min(this.limit, Math.max(need, this.#buf.byteLength * 2)));
      grown.set(this.#buf.subarray(0, this.bytes));
      this.#buf = grown;
    }
    this.#buf.set(buf, this.bytes);
    this.bytes = need;
    return true;
  }
  /** The bytes written, as one array of exactly that length (it may cross threads whole). */
  concat(): Uint8Array {
    return this.#buf.byteLength === this.bytes ? this.#buf : this.#buf.slice(0, this.bytes);
  }
  /** Drops the bytes (the body was released). */
  clear(): void {
    this.#buf = EMPTY;
    this.bytes = 0;
  }
}

/** The declared `content-length` of `headers`: a number, `undefined` (none) or `NaN` (malformed or contradictory). */
export function declaredLength(headers: Fields): number | undefined {
  const values = headers.get('content-length');
  if (values.length === 0) return undefined;
  let n: number | undefined;
  for (const v of values) {
    const parsed = parseContentLength(latin1(v));
    if (parsed === undefined || (n !== undefined && parsed !== n)) return NaN;
    n = parsed;
  }
  return n;
}

/** `incoming-body`: the request (or response) body, read through one input stream. */
export class IncomingBody extends HttpResource {
  #bytes: Uint8Array | undefined;
  #stream: BodyInputStream | undefined;
  constructor(bytes: Uint8Array) {
    super();
    this.#bytes = bytes;
  }
  stream(): BodyInputStream {
    this.alive();
    const bytes = this.#bytes;
    if (!bytes) throw FAILED;
    this.#bytes = undefined;
    return (this.#stream = new BodyInputStream(bytes).adopt(this.owner));
  }
  static finish(body: IncomingBody): FutureTrailers {
    body.alive();
    return new FutureTrailers().adopt(body.owner);
  }
  wipe(): void {
    this.#bytes = undefined;
    this.#stream?.release();
  }
}

/** `future-trailers`: always resolved, never any trailers. */
export class FutureTrailers extends HttpResource {
  #taken = false;
  subscribe(): object { this.alive(); return readyPollable(this.owner); }
  get(): unknown {
    this.alive();
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
  wipe(): void { this.#taken = true; }
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
export class IncomingRequest extends HttpResource {
  #request: PlainRequest | undefined;
  #headers: Fields | undefined;
  #body: IncomingBody | undefined;
  #consumed = false;
  constructor(request: PlainRequest, owner?: ResourceOwner) {
    super();
    this.#request = request;
    this.adopt(owner);
  }
  method(): Method { return methodFromString(this.#live().method); }
  pathWithQuery(): string | undefined { return this.#live().pathWithQuery; }
  scheme(): Scheme | undefined { return this.#live().scheme === 'https' ? HTTPS : HTTP; }
  authority(): string | undefined { return this.#live().authority; }
  headers(): Fields {
    const request = this.#live();
    return (this.#headers ??= lockFields(Fields.fromNode(request.rawHeaders).adopt(this.owner)));
  }
  consume(): IncomingBody {
    const request = this.#live();
    if (this.#consumed) throw FAILED;
    this.#consumed = true;
    return (this.#body = new IncomingBody(request.body).adopt(this.owner));
  }
  #live(): PlainRequest {
    this.alive();
    return this.#request!;
  }
  wipe(): void {
    this.#request = undefined;
    this.#headers?.release();
    this.#body?.release();
  }
}

/** `outgoing-body`: one output stream; `finish` seals it. */
export class OutgoingBody extends HttpResource {
  readonly sink: BodySink;
  #stream: BodyOutputStream | undefined;
  #streamTaken = false;
  /** `declared`: the message's `content-length`; `of`: whose body it is (for the error-code). */
  constructor(declared: number | undefined, readonly of: 'request' | 'response') {
    super();
    this.sink = new BodySink(declared);
  }
  write(): BodyOutputStream {
    this.alive();
    if (this.#streamTaken) throw FAILED;
    this.#streamTaken = true;
    return (this.#stream = new BodyOutputStream(this.sink).adopt(this.owner));
  }
  static finish(body: OutgoingBody, trailers?: Fields): void {
    body.alive();
    const sink = body.sink;
    if (sink.finished) throw { tag: 'internal-error', val: 'body already finished' } satisfies ErrorCode;
    sink.finished = true;
    if (trailers) throw { tag: 'internal-error', val: 'trailers are not supported' } satisfies ErrorCode;
    if (sink.declaredLength !== undefined && sink.bytes !== sink.declaredLength) {
      throw { tag: body.of === 'request' ? 'HTTP-request-body-size' : 'HTTP-response-body-size', val: BigInt(sink.bytes) } satisfies ErrorCode;
    }
  }
  override dropped(): void {
    if (!this.sink.finished) this.sink.aborted = true;
  }
  wipe(): void {
    this.sink.aborted ||= !this.sink.finished;
    this.sink.clear();
    this.#stream?.release();
  }
}

/** `outgoing-response`: status, headers and body a guest hands to `response-outparam.set`. */
export class OutgoingResponse extends HttpResource {
  #status = 200;
  #headers: Fields;
  #body: OutgoingBody | undefined;
  constructor(headers: Fields) {
    super();
    this.#headers = lockFields(headers);
  }
  statusCode(): number { this.alive(); return this.#status; }
  /** 200–599: informational statuses are the host's (a 101 would hand the connection over). */
  setStatusCode(status: number): void {
    this.alive();
    if (!(Number.isInteger(status) && status >= 200 && status <= 599)) throw FAILED;
    this.#status = status;
  }
  headers(): Fields { this.alive(); return this.#headers; }
  body(): OutgoingBody {
    this.alive();
    if (this.#body) throw FAILED;
    // A malformed or contradictory length takes no bytes, and the host refuses the response.
    const declared = declaredLength(this.#headers);
    return (this.#body = new OutgoingBody(Number.isNaN(declared) ? 0 : declared, 'response').adopt(this.owner));
  }
  /** Host side: the body the guest obtained, if any. */
  takenBody(): OutgoingBody | undefined { return this.#body; }
  wipe(): void {
    this.#body?.release();
    this.#headers.release();
  }
}

/** What the guest passed to `response-outparam.set`. */
export type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode };

/** `response-outparam`: the host learns the guest's response through `set`, at most once. */
export class ResponseOutparam extends HttpResource {
  result: ResponseResult | undefined;
  #set = false;
  constructor(owner?: ResourceOwner) {
    super();
    this.adopt(owner);
  }
  static set(param: ResponseOutparam, response: ResponseResult): void {
    param.alive();
    if (param.#set) return;
    param.#set = true;
    param.result = response;
  }
  wipe(): void { this.#set = true; }
}

/** `request-options`: timeouts in nanoseconds (`duration`). */
export class RequestOptions extends HttpResource {
  connect: bigint | undefined;
  firstByte: bigint | undefined;
  betweenBytes: bigint | undefined;
  connectTimeout(): bigint | undefined { this.alive(); return this.connect; }
  setConnectTimeout(d: bigint | undefined): void { this.alive(); this.connect = d; }
  firstByteTimeout(): bigint | undefined { this.alive(); return this.firstByte; }
  setFirstByteTimeout(d: bigint | undefined): void { this.alive(); this.firstByte = d; }
  betweenBytesTimeout(): bigint | undefined { this.alive(); return this.betweenBytes; }
  setBetweenBytesTimeout(d: bigint | undefined): void { this.alive(); this.betweenBytes = d; }
  wipe(): void {}
}

/** `outgoing-request`: what a guest builds before `outgoing-handler.handle`. */
export class OutgoingRequest extends HttpResource {
  #method: Method = { tag: 'get' };
  #path: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  #headers: Fields;
  #body: OutgoingBody | undefined;
  constructor(headers: Fields) {
    super();
    this.#headers = lockFields(headers);
  }
  body(): OutgoingBody {
    this.alive();
    if (this.#body) throw FAILED;
    const declared = declaredLength(this.#headers);
    return (this.#body = new OutgoingBody(Number.isNaN(declared) ? 0 : declared, 'request').adopt(this.owner));
  }
  /** Host side: the bytes written to the body (empty when the guest never took it). */
  bodySink(): BodySink | undefined { return this.#body?.sink; }
  method(): Method { this.alive(); return this.#method; }
  setMethod(method: Method): void {
    this.alive();
    if (method.tag === 'other' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method.val)) throw FAILED;
    this.#method = method;
  }
  pathWithQuery(): string | undefined { this.alive(); return this.#path; }
  setPathWithQuery(path: string | undefined): void {
    this.alive();
    if (path !== undefined && !/^[\x21-\x7e]*$/.test(path)) throw FAILED;
    this.#path = path;
  }
  scheme(): Scheme | undefined { this.alive(); return this.#scheme; }
  setScheme(scheme: Scheme | undefined): void {
    this.alive();
    if (scheme?.tag === 'other' && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme.val)) throw FAILED;
    this.#scheme = scheme;
  }
  authority(): string | undefined { this.alive(); return this.#authority; }
  setAuthority(authority: string | undefined): void {
    this.alive();
    if (authority !== undefined && !/^[A-Za-z0-9.\-[\]:]*$/.test(authority)) throw FAILED;
    this.#authority = authority;
  }
  headers(): Fields { this.alive(); return this.#headers; }
  wipe(): void {
    this.#body?.release();
    this.#headers.release();
  }
}

/** `incoming-response`: a completed outgoing call's status, headers and buffered body. */
export class IncomingResponse extends HttpResource {
  #status: number;
  #headers: Fields;
  #body: IncomingBody | undefined;
  constructor(status: number, headers: Fields, body: Uint8Array) {
    super();
    this.#status = status;
    this.#headers = lockFields(headers);
    this.#body = new IncomingBody(body);
  }
  /** Registers the response and its parts with `owner`. */
  override adopt(owner: ResourceOwner | undefined): this {
    super.adopt(owner);
    this.#headers.adopt(owner);
    this.#body?.adopt(owner);
    return this;
  }
  status(): number { this.alive(); return this.#status; }
  headers(): Fields { this.alive(); return this.#headers; }
  consume(): IncomingBody {
    this.alive();
    const b = this.#body;
    if (!b) throw FAILED;
    this.#body = undefined;
    return b;
  }
  wipe(): void {
    this.#body?.release();
    this.#headers.release();
  }
}

/** `future-incoming-response`: resolved by the time the guest holds it (the host call blocked). */
export class FutureIncomingResponse extends HttpResource {
  #result: { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode } | undefined;
  constructor(result: { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode }) {
    super();
    this.#result = result;
  }
  override adopt(owner: ResourceOwner | undefined): this {
    super.adopt(owner);
    if (this.#result?.tag === 'ok') this.#result.val.adopt(owner);
    return this;
  }
  subscribe(): object { this.alive(); return readyPollable(this.owner); }
  get(): unknown {
    this.alive();
    const r = this.#result;
    if (!r) return { tag: 'err', val: undefined }; // already taken
    this.#result = undefined;
    return { tag: 'ok', val: r };
  }
  wipe(): void {
    if (this.#result?.tag === 'ok') this.#result.val.release();
    this.#result = undefined;
  }
}

/** `http-error-code`: our streams never carry HTTP errors. */
export function httpErrorCode(_err: unknown): ErrorCode | undefined {
  return undefined;
}
