// Bytes of garbage per in-thread request: the wasi:http hello component through runIncomingHandler,
// the simple route's call, and building the request object alone, each counted by the young-generation
// collections (scavenges) of a fixed-size semi-space over 200,000 requests (bytes ≈ scavenges ×
// semi-space ÷ requests; ±1 scavenge). Run with the semi-space pinned, e.g.
//   node --min-semi-space-size=16 --max-semi-space-size=16 bench/diagnostics/http-alloc.mjs [--semi 16]
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const semiBytes = Number(arg('--semi', 16)) * 1024 * 1024;
const dist = (p) => new URL(`../../dist/${p}`, import.meta.url).href;
const guest = (name) => fileURLToPath(new URL(`../../guests/dist/${name}.wasm`, import.meta.url));
const { createRuntime } = await import(dist('index.js'));
const { wasiHttpImports } = await import(dist('http/imports.js'));
const { runIncomingHandler } = await import(dist('http/incoming.js'));

const rt = createRuntime();
const wasi = await rt.load('http-hello', guest('http-hello'), { imports: wasiHttpImports() });
const hello = await rt.load('hello', guest('hello'));
const body = new TextEncoder().encode('benchmark');
const plain = () => ({ method: 'POST', pathWithQuery: '/wasi/x', scheme: 'http', authority: 'localhost', rawHeaders: ['Host', 'localhost', 'Content-Length', '9', 'X-Name', 'Ada'], body });

let scavenges = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
});
observer.observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

async function count(label, one, n = 200_000) {
  for (let i = 0; i < 5000; i++) await one();
  await settle();
  scavenges = 0;
  for (let i = 0; i < n; i++) await one();
  await settle();
  console.log(`${label.padEnd(10)} ${String(scavenges).padStart(4)} scavenges  ≈ ${Math.round((scavenges * semiBytes) / n)} bytes/request`);
}

await count('wasi:http', () => runIncomingHandler(wasi, plain()));
await count('simple', () => hello.invoke('greet', ['benchmark']));
await count('request', async () => plain());
observer.disconnect();
rt.close();
