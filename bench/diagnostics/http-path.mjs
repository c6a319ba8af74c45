// Where the time of one in-thread wasi:http request goes (no sockets): µs per request of
//   host-only   what the http-hello guest asks of our wasi:http host, done from JS (the floor of
//               lib/http: request, fields, bodies, streams, release, response check)
//   wasi:http   runIncomingHandler(http-hello): glue + guest + host, as the server calls it
//   simple      hello.invoke('greet'): a simple route's call, for scale
// then a CPU profile of the wasi:http loop, self time grouped by layer (the component glue, our
// lib/http, the guest's wasm, GC, the rest).
// With `--against <other dist dir>` (e.g. a build of main), the wasi:http loop of both builds is
// timed in alternating rounds instead (same guest, same process): a side-by-side A/B.
//   node bench/diagnostics/http-path.mjs [requests] [--js] [--against /path/to/dist] [--top N]
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--top') ?? 20000);
const againstAt = process.argv.indexOf('--against');
const against = againstAt > 0 ? process.argv[againstAt + 1] : undefined;
const js = process.argv.includes('--js');
const dist = (p) => new URL(`../../dist/${p}`, import.meta.url).href;
const { createRuntime } = await import(dist('index.js'));
const { wasiHttpImports } = await import(dist('http/imports.js'));
const { runIncomingHandler, checkedResponse } = await import(dist('http/incoming.js'));
const { Fields, IncomingRequest, OutgoingResponse, OutgoingBody, ResponseOutparam } = await import(dist('http/types.js'));
const { RequestScope } = await import(dist('http/resource.js'));

const body = new TextEncoder().encode('benchmark');
const plain = () => ({ method: 'POST', pathWithQuery: '/wasi/x', scheme: 'http', authority: 'localhost', rawHeaders: ['Host', 'localhost', 'Content-Length', '9', 'X-Name', 'Ada'], body });
const text = new TextEncoder();

function hostOnly() {
  const scope = new RequestScope();
  const req = new IncomingRequest(plain(), scope);
  const out = new ResponseOutparam(scope);
  req.pathWithQuery();
  const incoming = req.consume();
  const stream = incoming.stream();
  while (stream.blockingRead(65536n).tag !== 'err'); // the end of the body comes back as err(closed)
  stream[Symbol.dispose]();
  incoming[Symbol.dispose]();
  const headers = req.headers();
  headers.get('x-name');
  headers[Symbol.dispose]();
  req.method();
  req[Symbol.dispose]();
  const fields = new Fields();
  fields.append('content-type', text.encode('text/plain; charset=utf-8'));
  fields.append('x-guest', text.encode('http-hello'));
  const response = new OutgoingResponse(fields);
  response.setStatusCode(200);
  const outBody = response.body();
  ResponseOutparam.set(out, { tag: 'ok', val: response });
  const w = outBody.write();
  w.blockingWriteAndFlush(text.encode('Hello, Ada! POST /wasi/x body=9 bytes\nbenchmark'));
  w[Symbol.dispose]();
  OutgoingBody.finish(outBody);
  scope.releaseAll();
  const r = checkedResponse(out.result);
  response.release();
  return r;
}

async function timed(label, n, one) {
  for (let i = 0; i < Math.min(n, 2000); i++) await one();
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < n / 5; i++) await one();
    rounds.push(((performance.now() - t0) * 1000) / (n / 5));
  }
  rounds.sort((a, b) => a - b);
  console.log(`${label.padEnd(12)} ${rounds[2].toFixed(2).padStart(9)} µs/request (median of 5 rounds; ${rounds.map((r) => r.toFixed(1)).join(' ')})`);
  return rounds[2];
}

const rt = createRuntime();
const fn = js
  ? await rt.load('http-js', fileURLToPath(new URL('../../guests/http-hello/js/http-hello-js.wasm', import.meta.url)), { imports: wasiHttpImports(), pool: { mode: 'reset' } })
  : await rt.load('http-hello', fileURLToPath(new URL('../../guests/dist/http-hello.wasm', import.meta.url)), { imports: wasiHttpImports() });
const hello = await rt.load('hello', fileURLToPath(new URL('../../guests/dist/hello.wasm', import.meta.url)));
console.log(`glue: ${fn.glue.kind}${fn.glue.fallbackReason ? ` (${fn.glue.fallbackReason})` : ''}`);
const n = js ? Math.min(N, 1000) : N;
if (against) {
  // A/B: this build vs `against`, the same guest in one process, 12 alternating rounds.
  const other = {};
  ({ createRuntime: other.createRuntime } = await import(new URL(`file://${against}/index.js`).href));
  ({ wasiHttpImports: other.wasiHttpImports } = await import(new URL(`file://${against}/http/imports.js`).href));
  ({ runIncomingHandler: other.runIncomingHandler } = await import(new URL(`file://${against}/http/incoming.js`).href));
  const otherRt = other.createRuntime();
  const guestPath = js ? '../../guests/http-hello/js/http-hello-js.wasm' : '../../guests/dist/http-hello.wasm';
  const otherFn = await otherRt.load('h', fileURLToPath(new URL(guestPath, import.meta.url)), { imports: other.wasiHttpImports(), ...(js ? { pool: { mode: 'reset' } } : {}) });
  const sides = { this: () => runIncomingHandler(fn, plain()), [against]: () => other.runIncomingHandler(otherFn, plain()) };
  const rounds = {};
  const per = Math.max(100, Math.floor(n / 10));
  const cpuNow = process.threadCpuUsage ? () => { const u = process.threadCpuUsage(); return u.user + u.system; } : () => performance.now() * 1000;
  for (const name of Object.keys(sides)) for (let i = 0; i < 3000; i++) await sides[name](); // warm-up
  for (let round = 0; round < 12; round++) {
    for (const name of round % 2 ? Object.keys(sides).reverse() : Object.keys(sides)) {
      // This thread's CPU time where Node has it (>= 23.9): time the machine gave other
      // processes meanwhile is left out, which wall time on a shared VM is not.
      const c0 = cpuNow();
      for (let i = 0; i < per; i++) await sides[name]();
      (rounds[name] ??= []).push((cpuNow() - c0) / per);
    }
  }
  for (const [name, v] of Object.entries(rounds)) {
    v.sort((a, b) => a - b);
    console.log(`${name}: min ${v[0].toFixed(2)} µs, p25 ${v[3].toFixed(2)}, median ${v[6].toFixed(2)} per request (${process.threadCpuUsage ? 'thread CPU' : 'wall'}; ${per} per round)`);
  }
  otherRt.close();
  rt.close();
  process.exit(0);
}
await timed('host-only', N, hostOnly);
await timed('wasi:http', n, () => runIncomingHandler(fn, plain()));
await timed('simple', N, () => hello.invoke('greet', ['benchmark']));

// Profile the wasi:http loop: self time by layer.
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
for (let i = 0; i < n; i++) await runIncomingHandler(fn, plain());
const { profile } = await session.post('Profiler.stop');
session.disconnect();
const self = new Map();
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const dt = new Map();
profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
let total = 0;
for (const [id, t] of dt) {
  const { url, functionName } = byId.get(id).callFrame;
  const layer = url.endsWith('glue.mjs') ? 'component glue (jco)' : url.includes('/dist/component/fast/') ? 'component glue (fast)'
    : url.includes('/dist/http/') ? 'lib/http' : url.includes('/dist/wasi/') ? 'lib/wasi (shim streams, poll)' : url.includes('/dist/') ? 'rest of sfirt (invoke, pool, limits)'
      : url.startsWith('wasm') ? 'guest wasm' : functionName === '(garbage collector)' ? 'GC' : functionName === '(idle)' || functionName === '(program)' ? 'idle/program' : 'node + V8 builtins';
  self.set(layer, (self.get(layer) ?? 0) + t);
  total += t;
}
console.log('\nself time of the wasi:http loop by layer:');
for (const [layer, t] of [...self].sort((a, b) => b[1] - a[1])) console.log(`  ${((t / total) * 100).toFixed(1).padStart(5)}%  ${layer}`);
// `--top N`: the N functions with the most self time, in µs per request.
const topAt = process.argv.indexOf('--top');
if (topAt > 0) {
  const fns = new Map();
  for (const [id, t] of dt) {
    const { url, functionName, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anon)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  console.log(`\nself time per function (µs per request; ${n} requests, ${(total / n).toFixed(2)} µs each in all):`);
  for (const [k, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[topAt + 1]))) console.log(`  ${(t / n).toFixed(2).padStart(6)}  ${k}`);
}
rt.close();
