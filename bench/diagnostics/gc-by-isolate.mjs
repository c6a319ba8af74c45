// Sums `node --trace-gc` output by isolate (the main thread and each worker have their own heap):
// MB allocated (heap before a GC minus heap after the previous one), MB promoted by scavenges (heap
// after a scavenge minus after the previous GC), and the count and pause time of each kind of GC.
// Where a worker's extra CPU per request went when it is GC (workers' heap limits, see
// DEFAULT_WORKER_RESOURCE_LIMITS in lib/options.ts):
//   node --trace-gc bench/diagnostics/http-workers.mjs --path /wasi/x > gc.txt 2>&1
//   node bench/diagnostics/gc-by-isolate.mjs gc.txt        (or pipe the output in)
// Divide by the requests each isolate served (the diagnostic prints them) for per-request figures.
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2] ?? 0, 'utf8');
const LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+([\d.]+) ms: (\S+(?: \S+)?) ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, pooled: [\d.]+ MB, ([\d.]+) \/ [\d.]+ ms/;
const isolates = new Map();
for (const line of text.split('\n')) {
  const m = LINE.exec(line);
  if (!m) continue;
  const [, id, at, kind, before, , after, , pauseMs] = m;
  let s = isolates.get(id);
  if (!s) isolates.set(id, (s = { from: Number(at), to: Number(at), lastAfter: undefined, allocated: 0, promoted: 0, kinds: {} }));
  if (s.lastAfter !== undefined) {
    s.allocated += Math.max(0, Number(before) - s.lastAfter);
    if (kind === 'Scavenge') s.promoted += Math.max(0, Number(after) - s.lastAfter);
  }
  s.lastAfter = Number(after);
  s.to = Number(at);
  const k = (s.kinds[kind] ??= { count: 0, pauseMs: 0 });
  k.count++;
  k.pauseMs += Number(pauseMs);
}
for (const [id, s] of isolates) {
  const kinds = Object.entries(s.kinds).map(([k, v]) => `${k} ${v.count}× ${v.pauseMs.toFixed(0)} ms`).join(', ');
  console.log(`${id}  ${s.from.toFixed(0)}–${s.to.toFixed(0)} ms of its life: allocated ${s.allocated.toFixed(0)} MB, promoted ${s.promoted.toFixed(0)} MB; ${kinds}`);
}
