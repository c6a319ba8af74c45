import { InvalidArgumentError, MissingImportError, type SfiError } from '../errors.js';
import type { Invocation, InvokeOptions } from '../invoke/function.js';
import { InvalidResponseError } from './errors.js';
import { latin1 } from './fields.js';
import { RequestScope, setRequestOwner } from './resource.js';
import { declaredLength, IncomingRequest, ResponseOutparam, type OutgoingResponse, type PlainRequest, type ResponseResult } from './types.js';

/** The export every `wasi:http/proxy` component has. */
export const INCOMING_HANDLER_EXPORT = 'wasi:http/incoming-handler@0.2.0#handle';

/**
 * A guest's response as plain data (cloneable across threads), checked and ready to send: a
 * status of 200–599, headers without any forbidden field and without `content-length` (the
 * sender sets it from `body`).
 */
export interface PlainResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** What can run a wasi:http component: an `SfiFunction` (or anything with its `invoke`). */
export interface Invoker {
  invoke(exportName: string, args: unknown[], options?: InvokeOptions): Promise<Invocation<unknown>>;
  /** `SfiFunction.invokeNow`: the invocation itself when the call ended synchronously. */
  invokeNow?(exportName: string, args: unknown[], options?: InvokeOptions): Invocation<unknown> | Promise<Invocation<unknown>>;
  exportNames?(): string[];
}

/** A request's response, checked, with the call that produced it. */
export interface IncomingResult { response: PlainResponse; invocation: Invocation<unknown> }

/**
 * Calls a component's `wasi:http/incoming-handler.handle` with `request` and resolves to the
 * response it set. Everything the request hands the guest (the request, its headers, body and
 * streams, the response-outparam) is released when the call ends, so a handle the guest keeps
 * reaches nothing of this request later; so is the response the guest handed over.
 * @throws InvalidResponseError when the guest set no response, an error-code, or a response the
 *   host will not send (see `checkedResponse`); whatever the call itself throws.
 */
export function runIncomingHandler(fn: Invoker, request: PlainRequest, deadlineAt?: number): Promise<IncomingResult> {
  try {
    return Promise.resolve(handleIncoming(fn, request, deadlineAt));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * `runIncomingHandler` without the promise when the call ends synchronously (an `SfiFunction`
 * with a pooled instance ready: the server's common case), so the server answers in the same
 * turn; else a promise. Failures of a synchronous call are thrown.
 */
export function handleIncoming(fn: Invoker, request: PlainRequest, deadlineAt?: number): IncomingResult | Promise<IncomingResult> {
  const call = new IncomingCall(request);
  let pending: Invocation<unknown> | Promise<Invocation<unknown>>;
  // A pooled instance runs the guest within this synchronous call: what it constructs through
  // imports shared by every instance belongs to this request (see `sharedHttpTypes`).
  const previous = setRequestOwner(call.scope);
  try {
    const exportName = handlerExport(fn);
    // The request's budget stops the guest (and bounds its outgoing calls) like its own timeout.
    // The response is checked before the instance goes back to its pool (`InvokeOptions.validate`).
    const options: InvokeOptions = { deadlineAt, validate: call.validate };
    const args = [call.req, call.out];
    pending = fn.invokeNow ? fn.invokeNow(exportName, args, options) : fn.invoke(exportName, args, options);
  } catch (err) {
    call.end();
    throw refused(err);
  } finally {
    setRequestOwner(previous);
  }
  if (pending instanceof Promise) return pending.then((invocation) => call.finish(invocation), (err) => { call.end(); throw refused(err); });
  return call.finish(pending);
}

/** One `handle` call's request-side objects, released when it ends. */
class IncomingCall {
  readonly scope = new RequestScope();
  readonly req: IncomingRequest;
  readonly out: ResponseOutparam;
  checked: PlainResponse | undefined = undefined;
  constructor(request: PlainRequest) {
    this.req = new IncomingRequest(request, this.scope);
    this.out = new ResponseOutparam(this.scope);
  }

  /**
   * Issue 16's contract: a guest that set no response, or one the host will not send, failed, and
   * its instance is discarded. An invoker that ignores `validate` gets the same error in `finish`.
   */
  readonly validate = (): SfiError | undefined => {
    try {
      this.checked = checkedResponse(this.out.result);
      return undefined;
    } catch (err) {
      return err as InvalidResponseError;
    }
  };

  finish(invocation: Invocation<unknown>): IncomingResult {
    try {
      return { response: this.checked ?? checkedResponse(this.out.result), invocation };
    } finally {
      this.end();
    }
  }

  /** Releases everything of the request, and the response the guest handed over. */
  end(): void {
    this.scope.releaseAll();
    const result = this.out.result;
    if (result?.tag === 'ok') result.val.release();
  }
}

/** The glue refuses our request when the function got the shim's wasi:http classes instead of ours. */
function refused(err: unknown): unknown {
  if ((err as Error)?.message?.includes('Not a valid "IncomingRequest" resource')) {
    return new MissingImportError('wasi:http/types', 'the component was loaded without wasiHttpImports(); load it with { imports: wasiHttpImports() }');
  }
  return err;
}

/**
 * The response a guest set, as the host will send it, or why it will not be sent. Refused: no
 * response, an error-code, an informational status, a body not finished (dropped, or still open),
 * a `content-length` that is malformed or disagrees with the body, a body on a 204 or 304.
 */
export function checkedResponse(result: ResponseResult | undefined): PlainResponse {
  if (!result) throw new InvalidResponseError('no-response', 'wasi:http guest returned without setting a response');
  if (result.tag === 'err') throw new InvalidResponseError('error-code', `wasi:http guest answered with error-code ${String(result.val?.tag)}`);
  const response: OutgoingResponse = result.val;
  const status = response.statusCode();
  if (!(status >= 200 && status <= 599)) throw new InvalidResponseError('informational-status', `wasi:http guest set status ${status}`);
  const taken = response.takenBody();
  const sink = taken?.sink;
  if (sink && !sink.finished) throw new InvalidResponseError('body-not-finished', 'wasi:http guest did not finish its response body');
  const body = sink ? sink.concat() : EMPTY;
  const fields = response.headers();
  const declared = declaredLength(fields);
  if (Number.isNaN(declared)) throw new InvalidResponseError('invalid-content-length', 'wasi:http guest declared contradictory content-length values');
  if (declared !== undefined && declared !== body.byteLength) {
    throw new InvalidResponseError('content-length-mismatch', `wasi:http guest declared content-length ${declared} but wrote ${body.byteLength} bytes`);
  }
  if ((status === 204 || status === 304) && body.byteLength > 0) throw new InvalidResponseError('body-not-allowed', `wasi:http guest wrote a body on a ${status}`);
  // Fields hold only names the header policy allows (every entry passed `append`/`set`'s check,
  // or `fromNode`'s filter), so none is forbidden here; `sendGuestResponse` checks again as it sends.
  const headers: [string, string][] = [];
  fields.forEach((name, value) => {
    if (name !== 'content-length') headers.push([name, latin1(value)]);
  });
  return { status, headers, body };
}

const EMPTY = new Uint8Array(0);

const exportCache = new WeakMap<object, string>();
/** The component's `wasi:http/incoming-handler#handle` export, whatever its version. */
export function handlerExport(fn: Invoker): string {
  let name = exportCache.get(fn);
  if (name) return name;
  const names = fn.exportNames?.() ?? [INCOMING_HANDLER_EXPORT];
  name = names.find((n) => /^wasi:http\/incoming-handler(@[^#]*)?#handle$/.test(n));
  if (!name) throw new InvalidArgumentError(`not a wasi:http component: no wasi:http/incoming-handler#handle export (has ${names.join(', ')})`);
  exportCache.set(fn, name);
  return name;
}
