// Per-instance and per-call cost of the three ways to run a component's glue, side by side in one
// process: a bare `new WebAssembly.Instance` of the main core module (the floor), jco's glue as
// emitted, jco's glue with our patches (lib/component/transpile.ts), and our fast glue
// (lib/component/fast). Medians of batches; ratios are what matter, not absolute numbers.
//   node bench/instantiate.mjs [--quick]
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildFastGlue } from '../dist/component/fast/index.js';
import { patchGlue } from '../dist/component/transpile.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const guestBytes = (name) => readFileSync(join(root, 'guests', 'dist', `${name}.wasm`));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Per-iteration time of each function in µs: median over `rounds` rounds, each round timing one
 * batch of every contender in turn, so load from other processes hits all of them alike.
 */
function compareUs(fns, { batch, rounds }) {
  const entries = Object.entries(fns).map(([k, v]) => [k, typeof v === 'function' ? { fn: v, batch } : { fn: v.fn, batch: v.batch }]);
  for (const [, { fn, batch: b }] of entries) for (let i = 0; i < b; i++) fn(i); // warm-up (JIT, inline caches)
  const samples = Object.fromEntries(entries.map(([k]) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [k, { fn, batch: b }] of entries) {
      const t = performance.now();
      for (let i = 0; i < b; i++) fn(i);
      samples[k].push(((performance.now() - t) * 1000) / b);
    }
  }
  return Object.fromEntries(entries.map(([k]) => [k, median(samples[k])]));
}

async function jcoGlue(bytes, dir, name, patch) {
  const jco = await import('@bytecodealliance/jco');
  const out = await jco.transpile(bytes, { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true });
  let glue = new TextDecoder().decode(out.files['component.js']);
  if (patch) glue = patchGlue(glue);
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, glue);
  const modules = new Map();
  for (const [f, c] of Object.entries(out.files)) if (f.endsWith('.wasm')) modules.set(f, new WebAssembly.Module(c));
  const { instantiate } = await import(pathToFileURL(file).href);
  return (imports) => instantiate((n) => modules.get(n), imports);
}

export async function run({ quick = false, log = () => {} } = {}) {
  const inst = quick ? { batch: 200, rounds: 9 } : { batch: 1000, rounds: 21 };
  const calls = quick ? { batch: 20000, rounds: 9 } : { batch: 200000, rounds: 21 };
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-bench-inst-'));
  try {
    const hello = guestBytes('hello');
    const compute = guestBytes('compute');
    const fastHello = await buildFastGlue(hello);
    const fastCompute = await buildFastGlue(compute);
    if ('unsupported' in fastHello || 'unsupported' in fastCompute) throw new Error('hello/compute must take the fast path');
    const mainModule = fastHello.modules[0];
    const jcoEmitted = await jcoGlue(hello, dir, 'hello-emitted', false);
    const jcoPatched = await jcoGlue(hello, dir, 'hello-patched', true);
    const jcoCompute = await jcoGlue(compute, dir, 'compute-patched', true);

    log('instantiation…');
    const metrics = compareUs({
      bare_instance_us: () => new WebAssembly.Instance(mainModule, {}),
      jco_emitted_instance_us: { fn: () => jcoEmitted({}), batch: Math.max(20, inst.batch / 10) },
      jco_patched_instance_us: () => jcoPatched({}),
      fast_instance_us: () => fastHello.instantiate({}),
    }, inst);

    log('calls…');
    let core;
    const fast = fastCompute.instantiate({}, (m, imports) => {
      const i = new WebAssembly.Instance(m, imports);
      core ??= i.exports;
      return i;
    });
    const jcoInst = jcoCompute({});
    let sink = 0;
    const kib = new Uint8Array(1024).map((_, i) => i * 31);
    Object.assign(metrics, compareUs({
      bare_call_us: (i) => { sink += core.add(i, 7); },
      scalar_call_us: (i) => { sink += fast.add(i, 7); },
      jco_scalar_call_us: { fn: (i) => { sink += jcoInst.add(i, 7); }, batch: calls.batch / 10 },
      list1k_call_us: { fn: () => { sink += fast.echo(kib).length; }, batch: calls.batch / 20 },
      jco_list1k_call_us: { fn: () => { sink += jcoInst.echo(kib).length; }, batch: calls.batch / 20 },
    }, calls));
    metrics.fast_vs_bare_instance_ratio = metrics.fast_instance_us / metrics.bare_instance_us;
    if (sink === 42) log('');

    const table = [
      ['what', 'µs'],
      ...Object.entries(metrics).map(([k, v]) => [k, +v.toPrecision(3)]),
    ];
    return { metrics, table, details: { guest: 'hello (instances), compute (calls)', batches: { inst, calls }, node: process.version } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { metrics } = await run({ quick: process.argv.includes('--quick'), log: (m) => console.error(m) });
  for (const [k, v] of Object.entries(metrics)) console.log(`${k.padEnd(30)} ${+v.toPrecision(4)}`);
}
