/** `sfirt serve <manifest|component>`: serves functions over HTTP until interrupted. */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { describeComponent } from '../../component/describe.js';
import { INCOMING_HANDLER_EXPORT } from '../../http/incoming.js';
import type { Route } from '../../http/routes.js';
import { serve, type HttpServer, type ServeOptions } from '../../http/serve.js';
import { wasiHttpImports } from '../../http/imports.js';
import { simpleRouteParam } from '../../http/simple-call.js';
import { loadManifestIntoWorkers, serveOptions } from '../../manifest/load.js';
import { readManifest } from '../../manifest/read.js';
import { createRuntime } from '../../runtime.js';
import { createWorkerRuntime } from '../../workers/worker-runtime.js';
import type { Command } from '../main.js';
import { intOption, parse, progress, str, strs, UsageError } from '../usage.js';

/** `POST /greet=greet`, `/greet=greet` (POST), `* /*=wasi-http`. */
export function parseRoute(spec: string, fn: string): Route {
  const m = /^(?:([A-Za-z]+|\*)\s+)?(\/\S*?)(?:=(.+))?$/.exec(spec.trim());
  if (!m) throw new UsageError(`--route takes "[METHOD] /path[=export|=wasi-http]", got ${JSON.stringify(spec)}`);
  const [, method, path, target] = m;
  if (target === 'wasi-http') return { method: method ?? '*', path: path!, function: fn, kind: 'wasi-http' };
  return { method: method ?? 'POST', path: path!, function: fn, ...(target ? { export: target } : {}) };
}

async function untilSignal(server: HttpServer, close: () => Promise<void> | void): Promise<number> {
  return new Promise((done) => {
    const stop = async () => {
      progress('stopping (draining in-flight requests)');
      await server.close();
      await close();
      done(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export const command: Command = {
  summary: 'serve functions over HTTP (a manifest\'s routes, or one component)',
  help: `Usage: sfirt serve <sfirt.json | component.wasm> [--route spec...] [--workers n] [--port p] [--host h]

With a manifest: loads its functions and serves its routes with its "server" options.
With a component: serves it under its file name; routes from --route, else a wasi:http component
answers every path and a plain one gets POST /<export> for each export (the request body is the
argument, string or list<u8>; the return value is the response body).

Route spec: "[METHOD] /path[=export]" (method default POST), or "* /path/*=wasi-http".
Errors map to statuses: 503 OVERLOADED, 504 DEADLINE_EXCEEDED, 400 INVALID_ARGUMENT, else 500
with x-sfirt-error: <code>. Stops on SIGINT/SIGTERM after in-flight requests finish.

Options:
  --route <spec>   a route for a component (repeatable)
  --workers <n>    run function pools on n worker threads (default: in this thread)
  --port <p>       port (default: the manifest's, else 8080; 0 picks a free one)
  --host <h>       interface (default 127.0.0.1)`,
  async run(argv) {
    const p = parse(argv, {
      route: { type: 'string', multiple: true }, workers: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
    }, { min: 1, max: 1 });
    const target = resolve(p.positionals[0]!);
    const workers = intOption('workers', str(p, 'workers'));
    const port = intOption('port', str(p, 'port'));
    const host = str(p, 'host');
    const overrides: Partial<ServeOptions> = { ...(port !== undefined ? { port } : {}), ...(host ? { host } : {}) };

    if (target.endsWith('.json')) {
      if (strs(p, 'route').length) throw new UsageError('--route is for a component; a manifest lists its routes');
      const manifest = readManifest(target);
      const options = serveOptions(manifest, { port: 8080, ...manifest.server, ...overrides });
      if (workers !== undefined) {
        const wrt = createWorkerRuntime({ workers, ...(manifest.nn ? { runtime: { nn: manifest.nn } } : {}) });
        await loadManifestIntoWorkers(wrt, manifest);
        const server = await serve(wrt, options);
        report(server, options.routes, workers);
        return untilSignal(server, () => wrt.close());
      }
      const rt = createRuntime();
      const loaded = await rt.loadManifest(target);
      const server = await loaded.serve(options);
      report(server, options.routes);
      return untilSignal(server, () => rt.close());
    }

    const name = basename(target).replace(/\.wasm$/, '') || 'function';
    const description = await describeComponent(new Uint8Array(await readFile(target)), target);
    const isHttp = description.exports.some((e) => e.name.startsWith(INCOMING_HANDLER_EXPORT.split('#')[0]!));
    let routes = strs(p, 'route').map((s) => parseRoute(s, name));
    if (!routes.length) {
      routes = isHttp
        ? [{ method: '*', path: '/*', function: name, kind: 'wasi-http' }]
        // Only exports a simple route can serve (serve() refuses the others at start: INVALID_ROUTE).
        : description.exports.filter((e) => simpleRouteParam(e.resolved) !== undefined).map((e) => ({ method: 'POST', path: `/${e.name.replace(/[#:@/]/g, '_')}`, function: name, export: e.name }));
    }
    const http = routes.some((r) => r.kind === 'wasi-http');
    const options: ServeOptions = { port: 8080, ...overrides, routes };
    if (workers !== undefined) {
      const wrt = createWorkerRuntime({ workers });
      await wrt.load(name, target, http ? { http: {} } : {});
      const server = await serve(wrt, options);
      report(server, routes, workers);
      return untilSignal(server, () => wrt.close());
    }
    const rt = createRuntime();
    await rt.load(name, target, http ? { imports: wasiHttpImports() } : {});
    const server = await rt.serve(options);
    report(server, routes);
    return untilSignal(server, () => rt.close());
  },
};

function report(server: HttpServer, routes: Route[], workers?: number): void {
  console.log(`listening on ${server.url}${workers !== undefined ? ` (${workers} workers)` : ''}`);
  for (const r of routes) {
    console.log(`  ${(r.method ?? 'POST').padEnd(6)} ${r.path}  → ${r.function}${r.kind === 'wasi-http' ? ' (wasi:http)' : r.export ? `.${r.export}` : ''}`);
  }
}
