// `native`: onnxruntime-node inside the benchmark process. No isolation at all — the floor every
// other backend is compared with.
import { MODEL_PATH } from '../paths.mjs';

const PIXELS = 28 * 28;

/** @type {import('../backend.mjs').Backend} */
export const nativeBackend = {
  name: 'native',
  describe: 'onnxruntime-node in the benchmark process (no isolation)',
  note: 'native cold start = new InferenceSession + first run inside the already-running benchmark process; its memory is not separable from the benchmark process (see process for one bare instance)',
  async available() {
    try {
      await import('onnxruntime-node');
      return null;
    } catch (error) {
      return `onnxruntime-node cannot be loaded: ${error.message}`;
    }
  },
  async start() {
    const ort = await import('onnxruntime-node');
    const sessionPromise = ort.InferenceSession.create(MODEL_PATH, {
      executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
    });
    const input = new Float32Array(PIXELS);
    let chain = Promise.resolve();
    let stopped = false;
    return {
      request(line) {
        // Serialised like the child's stdin, so the protocol behaves identically.
        const result = chain.then(async () => {
          if (stopped) throw new Error('native instance stopped');
          const session = await sessionPromise;
          const space = line.indexOf(' ');
          const id = line.slice(0, space);
          const pixels = Buffer.from(line.slice(space + 1), 'base64');
          if (pixels.length !== PIXELS) return `${id} error expected ${PIXELS} bytes, got ${pixels.length}`;
          for (let i = 0; i < PIXELS; i++) input[i] = pixels[i] / 255;
          const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 1, 28, 28]) });
          const logits = out[session.outputNames[0]].data;
          let best = 0;
          for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
          let sum = 0;
          for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - logits[best]);
          return `${id} ${best} ${(1 / sum).toFixed(4)}`;
        });
        chain = result.catch(() => {});
        return result;
      },
      async stop() {
        stopped = true;
        const session = await sessionPromise.catch(() => null);
        await session?.release();
      },
      pids: () => [],
      memory: () => null,
    };
  },
};
