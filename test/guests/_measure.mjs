import { loadGuest } from './instantiate.mjs';
const c = (await loadGuest('compute'))().exports;
const s = (await loadGuest('spin'))().exports;
const r = (await loadGuest('recurse'))().exports;
const data = new Uint8Array(1 << 20).map((_, i) => i * 7);
const cases = [
  ['fib', () => c.fib(10_000_000)], ['fib-rec', () => c.fibRec(30)],
  ['sort', () => c.sort(100_000, 1)], ['matmul', () => c.matmul(250, 1)], ['matmul', () => c.matmul(300, 1)],
  ['hash', () => c.hash(data, 4)], ['spin-for', () => s.spinFor(10_000_000n)], ['recurse', () => r.recurse(10000)],
];
for (const [name, f] of cases) {
  f(); f();
  const times = [];
  for (let i = 0; i < 5; i++) { const t = performance.now(); f(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log(name.padEnd(9), f.toString().slice(6).padEnd(36), times[2].toFixed(1), 'ms (median of 5)');
}
