import { InvalidArgumentError, MissingImportError, TrapError } from '../errors.js';
import type { Invocation, InvokeOptions } from '../invoke/function.js';
import { fieldsFromNode, fieldsToNode } from './fields.js';
import { IncomingRequest, ResponseOutparam, type PlainRequest, type ResponseResult } from './types.js';

/** The export every `wasi:http/proxy` component has. */
export const INCOMING_HANDLER_EXPORT = 'wasi:http/incoming-handler@0.2.0#handle';

/** A guest's response as plain data (cloneable across threads). */
export interface PlainResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** What can run a wasi:http component: an `SfiFunction` (or anything with its `invoke`). */
export interface Invoker {
  invoke(exportName: string, args: unknown[], options?: InvokeOptions): Promise<Invocation<unknown>>;
  exportNames?(): string[];
}

/**
 * Calls a component's `wasi:http/incoming-handler.handle` with `request` and resolves to the
 * response it set. A guest that returns without setting one, or sets an error-code, is a TRAP-like
 * failure: `TrapError` with kind `unknown` and the error-code in the message.
 */
export async function runIncomingHandler(fn: Invoker, request: PlainRequest, deadlineAt?: number): Promise<{ response: PlainResponse; invocation: Invocation<unknown> }> {
  let result: ResponseResult | undefined;
  const req = new IncomingRequest(request, fieldsFromNode(request.rawHeaders));
  const out = new ResponseOutparam((r) => { result = r; });
  const exportName = handlerExport(fn);
  let invocation: Invocation<unknown>;
  try {
    // The request's budget stops the guest (and bounds its outgoing calls) like its own timeout.
    invocation = await fn.invoke(exportName, [req, out], { deadlineAt });
  } catch (err) {
    // jco refuses our request when the function got the shim's wasi:http classes instead of ours.
    if ((err as Error)?.message?.includes('Not a valid "IncomingRequest" resource')) {
      throw new MissingImportError('wasi:http/types', 'the component was loaded without wasiHttpImports(); load it with { imports: wasiHttpImports() }');
    }
    throw err;
  }
  if (!result) throw new TrapError('unknown', 'wasi:http guest returned without setting a response');
  if (result.tag === 'err') throw new TrapError('unknown', `wasi:http guest answered with error-code ${result.val.tag}`);
  const response = result.val;
  const body = response.takenBody();
  return {
    response: { status: response.statusCode(), headers: fieldsToNode(response.headers()), body: body ? body.sink.concat() : new Uint8Array() },
    invocation,
  };
}

const exportCache = new WeakMap<object, string>();
function handlerExport(fn: Invoker): string {
  let name = exportCache.get(fn);
  if (name) return name;
  const names = fn.exportNames?.() ?? [INCOMING_HANDLER_EXPORT];
  name = names.find((n) => /^wasi:http\/incoming-handler(@[^#]*)?#handle$/.test(n));
  if (!name) throw new InvalidArgumentError(`not a wasi:http component: no wasi:http/incoming-handler#handle export (has ${names.join(', ')})`);
  exportCache.set(fn, name);
  return name;
}
