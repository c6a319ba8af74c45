// What one cross-thread wake-up costs here: a ping-pong between this thread and a worker, either
// with postMessage or with SharedArrayBuffer + Atomics.notify/waitAsync, reporting wall time and
// this thread's CPU per round trip (from /proc/thread-self/stat, Linux only).
//   node bench/diagnostics/wake-cost.mjs [rounds]
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const N = Number(process.argv[2] ?? 20000);
/** CPU ms of the calling thread (utime + stime, in clock ticks of 10 ms). */
function threadCpuMs() {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const worker = (mode, sab) => new Worker(`
  const { parentPort, workerData } = require('node:worker_threads');
  if (workerData.mode === 'message') parentPort.on('message', (m) => parentPort.postMessage(m));
  else {
    parentPort.on('message', () => {}); // keeps this thread's event loop alive
    const seq = new Int32Array(workerData.sab);
    let seen = 0;
    const wait = () => {
      const r = Atomics.waitAsync(seq, 0, seen);
      (r.async ? r.value : Promise.resolve()).then(() => { seen = Atomics.load(seq, 0); Atomics.store(seq, 1, seen); Atomics.notify(seq, 1); wait(); });
    };
    wait();
  }`, { eval: true, workerData: { mode, sab } });

async function pingPong(mode, rounds) {
  const sab = new SharedArrayBuffer(8);
  const seq = new Int32Array(sab);
  const w = worker(mode, sab);
  const keepAlive = setInterval(() => {}, 1000);
  const message = [2, 1, 'f', 'export', [new Uint8Array(784)], undefined, true];
  const run = async (n) => {
    if (mode === 'message') {
      await new Promise((done) => {
        let k = 0;
        const on = () => { if (++k === n) { w.off('message', on); done(); } else w.postMessage(message); };
        w.on('message', on);
        w.postMessage(message);
      });
    } else {
      for (let k = 0; k < n; k++) {
        const next = Atomics.load(seq, 0) + 1;
        Atomics.store(seq, 0, next);
        Atomics.notify(seq, 0);
        while (Atomics.load(seq, 1) !== next) {
          const r = Atomics.waitAsync(seq, 1, next - 1);
          if (r.async) await r.value;
        }
      }
    }
  };
  await run(2000);
  const cpu0 = threadCpuMs();
  const t0 = performance.now();
  await run(rounds);
  const wallUs = ((performance.now() - t0) * 1000) / rounds;
  const cpuUs = ((threadCpuMs() - cpu0) * 1000) / rounds;
  clearInterval(keepAlive);
  await w.terminate();
  return { wallUs, cpuUs };
}

for (const mode of ['message', 'atomics', 'message', 'atomics']) {
  const { wallUs, cpuUs } = await pingPong(mode, N);
  console.log(`${mode.padEnd(8)} round trip ${wallUs.toFixed(1)} µs wall, ${cpuUs.toFixed(1)} µs of this thread's CPU`);
}
