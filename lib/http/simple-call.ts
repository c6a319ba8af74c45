import { InvalidArgumentError } from '../errors.js';
import { parseWit, resolveWorldExports, type ResolvedFunction, type ResolvedType } from '../component/wit/index.js';
import { InvalidRouteError } from './errors.js';

/** How a simple route passes the body and renders the result, from the export's WIT signature. */
export interface SimpleSignature {
  exportName: string;
  param: 'none' | 'string' | 'bytes';
}

const worldFunctions = new Map<string, ResolvedFunction[]>();
/** The world-level function exports of a component, resolved from its WIT (cached per WIT text). */
function worldExports(wit: string): ResolvedFunction[] {
  let fns = worldFunctions.get(wit);
  if (!fns) {
    fns = resolveWorldExports(parseWit(wit)).filter((f) => f.interfaceId === undefined && f.kind === 'freestanding');
    worldFunctions.set(wit, fns);
  }
  return fns;
}

const isString = (t: ResolvedType) => t.kind === 'primitive' && t.name === 'string';
const isBytes = (t: ResolvedType) => t.kind === 'list' && t.length === undefined && t.element.kind === 'primitive' && t.element.name === 'u8';

/**
 * The signature a simple route calls, from the component's resolved WIT: `exportName` (or the
 * component's only world-level function) must take no parameter or one `string` or `list<u8>`.
 * @throws InvalidRouteError (`route` names the route in the message) when it cannot be served.
 */
export function simpleSignature(wit: string, exportName: string | undefined, route = exportName ?? '(route)'): SimpleSignature {
  let fns: ResolvedFunction[];
  try {
    fns = worldExports(wit);
  } catch (err) {
    throw new InvalidRouteError(route, `cannot resolve the component's WIT: ${(err as Error).message}`);
  }
  let fn: ResolvedFunction | undefined;
  if (exportName === undefined) {
    if (fns.length !== 1) throw new InvalidRouteError(route, `the route must name an export: the component has ${fns.length ? fns.map((f) => f.witName).join(', ') : 'no world-level functions'}`);
    fn = fns[0]!;
  } else {
    fn = fns.find((f) => f.witName === exportName || f.jsName === exportName || f.qualifiedName === exportName);
    if (!fn) throw new InvalidRouteError(route, `export ${exportName} is not a world-level function of the component (it has ${fns.map((f) => f.witName).join(', ') || 'none'})`);
  }
  const param = simpleRouteParam(fn);
  if (param) return { exportName: fn.qualifiedName, param };
  throw new InvalidRouteError(route, `export ${fn.witName} takes ${fn.params.length} parameter(s) that are not one string or list<u8>; a simple route passes the request body as its one parameter`);
}

/**
 * How a simple route would pass the body to `fn`, or undefined when it cannot: a world-level
 * function taking nothing, one `string` or one `list<u8>`.
 */
export function simpleRouteParam(fn: ResolvedFunction): SimpleSignature['param'] | undefined {
  if (fn.interfaceId !== undefined || fn.kind !== 'freestanding') return undefined;
  const params = fn.params.map((p) => p.type);
  if (params.length === 0) return 'none';
  if (params.length === 1 && isString(params[0]!)) return 'string';
  if (params.length === 1 && isBytes(params[0]!)) return 'bytes';
  return undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The argument list for a simple call. Invalid UTF-8 for a string parameter is INVALID_ARGUMENT. */
export function simpleArgs(sig: SimpleSignature, body: Uint8Array, params: string[]): unknown[] {
  if (sig.param === 'none') return [];
  const fromPath = body.byteLength === 0 && params.length > 0 ? params[0]! : undefined;
  if (sig.param === 'bytes') return [fromPath !== undefined ? encoder.encode(fromPath) : body];
  if (fromPath !== undefined) return [fromPath];
  try {
    return [strictUtf8.decode(body)];
  } catch {
    throw new InvalidArgumentError('request body is not valid UTF-8 (the export takes a string)');
  }
}

/** A result as a response body and content type. */
export function renderResult(value: unknown): { body: Uint8Array | string; contentType: string | undefined } {
  if (value === undefined) return { body: '', contentType: undefined };
  if (typeof value === 'string') return { body: value, contentType: 'text/plain; charset=utf-8' };
  if (value instanceof Uint8Array) return { body: value, contentType: 'application/octet-stream' };
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v));
  return { body: json, contentType: 'application/json' };
}
