// The classifier called in a loop in this thread, calls/s each second: pin it to one vCPU to see
// how fast that vCPU is right now (on this VM the two change speed independently).
//   taskset -c 0 node bench/diagnostics/classifier-loop.mjs [seconds]; taskset -c 1 node …
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../../dist/index.js';

const seconds = Number(process.argv[2] ?? 5);
const rt = createRuntime({ nn: { models: { digits: fileURLToPath(new URL('../../models/digits.onnx', import.meta.url)) } } });
const fn = await rt.load('classifier', fileURLToPath(new URL('../../guests/dist/classifier.wasm', import.meta.url)));
const image = Buffer.alloc(784);
for (let s = 0; s <= seconds; s++) {
  let n = 0;
  const end = performance.now() + 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) await fn.call('classify', image);
    n += 16;
  }
  if (s > 0) console.log(`second ${s}: ${n} calls/s`); // second 0 is warm-up
}
rt.close();
