import { InvalidArgumentError } from '../errors.js';

/** One HTTP route to a loaded function. */
export interface Route {
  /** HTTP method, or `*` for any (default `POST`). */
  method?: string;
  /** Path pattern: literal segments, `:name` parameters, and a trailing `*` for the rest. */
  path: string;
  /** Name of the function in the runtime. */
  function: string;
  /** Export to call for `simple` routes (default: the component's only function export). */
  export?: string;
  /**
   * `simple` (default): the body is the single argument (string or list<u8>, by the export's WIT
   * signature; when the body is empty, the first path parameter is used) and the return value is
   * the response body. `wasi-http`: a `wasi:http/incoming-handler` component answers the request.
   */
  kind?: 'simple' | 'wasi-http';
  /**
   * Response header fields the guest may not send on this route, dropped from `wasi-http`
   * responses (e.g. `['set-cookie']` where several untrusted guests share one origin).
   */
  dropResponseHeaders?: string[];
}

/** A route compiled for matching. */
export interface CompiledRoute extends Route {
  kind: 'simple' | 'wasi-http';
  /** Upper-case method, or `*`. */
  methodName: string;
  /** Lower-case names of `dropResponseHeaders` (undefined when none). */
  dropped: ReadonlySet<string> | undefined;
  match(method: string, path: string): string[] | undefined | false;
}

/**
 * Compiles routes. `match` returns the captured parameters, `undefined` when the path does not
 * match, or `false` when the path matches but the method does not (a 405).
 */
export function compileRoutes(routes: Route[]): CompiledRoute[] {
  if (!Array.isArray(routes)) throw new InvalidArgumentError('routes must be an array');
  return routes.map((r) => {
    if (!r || typeof r.path !== 'string' || !r.path.startsWith('/')) throw new InvalidArgumentError(`route path must start with '/': ${JSON.stringify(r?.path)}`);
    if (typeof r.function !== 'string' || !r.function) throw new InvalidArgumentError(`route ${r.path} needs a function name`);
    const kind = r.kind ?? 'simple';
    if (kind !== 'simple' && kind !== 'wasi-http') throw new InvalidArgumentError(`route ${r.path}: unknown kind ${String(kind)}`);
    const method = (r.method ?? 'POST').toUpperCase();
    if (method !== '*' && !/^[!#$%&'*+.^_`|~0-9A-Z-]+$/.test(method)) throw new InvalidArgumentError(`route ${r.path}: invalid method ${JSON.stringify(r.method)}`);
    if (r.dropResponseHeaders !== undefined && !(Array.isArray(r.dropResponseHeaders) && r.dropResponseHeaders.every((h) => typeof h === 'string'))) {
      throw new InvalidArgumentError(`route ${r.path}: dropResponseHeaders must be an array of header names`);
    }
    const dropped = r.dropResponseHeaders?.length ? new Set(r.dropResponseHeaders.map((h) => h.toLowerCase())) : undefined;
    const source = r.path.split('/').map((seg, i, all) => {
      if (seg === '*' && i === all.length - 1) return '(.*)';
      if (seg.startsWith(':')) return '([^/]+)';
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }).join('/');
    const re = new RegExp(`^${source}$`);
    return {
      ...r, kind, methodName: method, dropped,
      match(m: string, path: string) {
        const hit = re.exec(path);
        if (!hit) return undefined;
        if (method !== '*' && method !== m) return false;
        return hit.slice(1).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
      },
    };
  });
}

/** The methods routes answer for `path` (the `Allow` of a 405), in route order. */
export function allowedMethods(routes: CompiledRoute[], path: string): string[] {
  const out: string[] = [];
  for (const r of routes) {
    if (r.match(r.methodName === '*' ? 'GET' : r.methodName, path) && !out.includes(r.methodName)) out.push(r.methodName);
  }
  return out;
}
