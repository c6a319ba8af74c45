/**
 * The native engine's child process: onnxruntime-node, out of the host process, under a data
 * segment limit (set by the bridge with `ulimit -d` before `exec`), killed by the bridge at a
 * run's deadline. It answers the bridge's requests over the IPC channel, one at a time,
 * synchronously. Started as `node child.js <package specifier> <threads>`.
 */
import type { ChildHello, ChildReply, ChildRequest, NativeFailure } from './protocol.js';
import { engineError, NnError, printable } from '../errors.js';
import { checkFeeds, elementBytes, elementCount, typeFromOnnxId, allocateData, bytesOf, type NnTensor, type NnTensorType, type NnValueInfo } from '../tensor.js';

interface NativeTensor { type: string; dims: readonly number[]; data: ArrayBufferView }
interface NativeValueMetadata { name: string; isTensor: boolean; symbolicDimensions: string[]; shape: number[]; type: number }
interface NativeInferenceSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: NativeValueMetadata[];
  readonly outputMetadata: NativeValueMetadata[];
  run(feeds: Record<string, NativeTensor>, fetches: Record<string, null>, options: object): Record<string, NativeTensor>;
  dispose(): void;
}
interface Binding {
  initOrt(): void;
  binding: { InferenceSession: new () => NativeInferenceSession };
  Tensor: new (type: string, data: ArrayBufferView, dims: readonly number[]) => NativeTensor;
}

const [specifier = 'onnxruntime-node', threadsArg = '1'] = process.argv.slice(2);
/**
 * Outputs and failed runs leave onnxruntime memory behind unreachable JS objects until V8
 * collects them, and V8 does not count that memory: after a large run (or a failure, out of
 * memory say) the process collects at once (started with `--expose-gc`), so the next run finds its
 * memory cap free again.
 */
const COLLECT_AFTER_BYTES = 8 * 1024 * 1024;
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
const threads = Number(threadsArg);
/** Fatal only: a guest's failing inputs must not write to the host's stderr. */
const LOG_FATAL = 4;

const send = (msg: ChildHello | ChildReply): void => { process.send!(msg); };

async function loadBinding(): Promise<Binding> {
  const ort = (await import(specifier)) as { Tensor?: Binding['Tensor']; default?: { Tensor?: Binding['Tensor'] } };
  const mod = (await import(`${specifier}/dist/binding.js`)) as Partial<Binding> & { default?: Partial<Binding> };
  const binding = mod.binding ?? mod.default?.binding;
  const initOrt = mod.initOrt ?? mod.default?.initOrt;
  const Tensor = ort.Tensor ?? ort.default?.Tensor;
  if (!binding || !initOrt || !Tensor) throw new Error('onnxruntime-node does not expose the expected binding');
  initOrt();
  return { binding, initOrt, Tensor };
}

interface Session {
  native: NativeInferenceSession;
  inputs: NnValueInfo[];
  outputs: NnValueInfo[];
  fetches: Record<string, null>;
}

const SUPPORTED = new Set<string>(['float16', 'float32', 'float64', 'uint8', 'int32', 'int64']);

function toValueInfo(m: NativeValueMetadata): NnValueInfo {
  if (!m.isTensor) return { name: m.name, type: undefined, dims: [] };
  const dims = m.shape.map((d, i) => (d === -1 ? m.symbolicDimensions[i] || '?' : d));
  return { name: m.name, type: typeFromOnnxId(m.type), dims };
}

/** The typed array onnxruntime-common wants for `type`, viewing (or, when misaligned, copying) `data`. */
function typedView(type: NnTensorType, data: ArrayBufferView): ArrayBufferView {
  const template = allocateData(type, 0);
  if (data.constructor === template.constructor) return data;
  const Ctor = template.constructor as new (buffer: ArrayBufferLike, offset?: number, length?: number) => ArrayBufferView;
  const width = (template as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const bytes = bytesOf(data);
  if (bytes.byteOffset % width === 0) return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);
  return new Ctor(bytes.slice().buffer, 0, bytes.byteLength / width);
}

function failure(err: unknown, fallback: NativeFailure['code'], what: string): NativeFailure {
  if (err instanceof NnError) return { code: err.nnCode, message: err.message, outOfMemory: err.outOfMemory };
  const text = err instanceof Error ? err.message : String(err);
  const outOfMemory = /bad_alloc|failed to allocate|out of memory/i.test(text);
  if (outOfMemory) return { code: 'runtime-error', message: `${what}: inference engine out of memory`, outOfMemory };
  return { code: fallback, message: engineError(fallback, what, text).message };
}

async function main(): Promise<void> {
  let ort: Binding;
  try {
    ort = await loadBinding();
  } catch (err) {
    send({ op: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  const sessions = new Map<number, Session>();
  let nextHandle = 1;
  process.on('message', (msg: ChildRequest) => {
    switch (msg.op) {
      case 'load': {
        const native = new ort.binding.InferenceSession();
        try {
          const m = msg.model;
          // No memory arena: onnxruntime's arena keeps what a large run allocated, so one guest's
          // big input would keep this process large; without it, large blocks go back to the OS.
          native.loadModel(m.buffer, m.byteOffset, m.byteLength, {
            intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
            graphOptimizationLevel: 'all', logSeverityLevel: LOG_FATAL,
            enableCpuMemArena: false, enableMemPattern: false,
          });
          const inputs = native.inputMetadata.map(toValueInfo);
          const outputs = native.outputMetadata.map(toValueInfo);
          const handle = nextHandle++;
          sessions.set(handle, { native, inputs, outputs, fetches: Object.fromEntries(outputs.map((o) => [o.name, null])) });
          send({ id: msg.id, ok: true, handle, inputs, outputs });
        } catch (err) {
          send({ id: msg.id, ok: false, failure: failure(err, 'invalid-encoding', 'cannot load model') });
        }
        return;
      }
      case 'run': {
        const session = sessions.get(msg.handle);
        if (session === undefined) {
          send({ id: msg.id, ok: false, failure: { code: 'runtime-error', message: 'session is released' } });
          return;
        }
        try {
          const tensors = run(ort, session, msg.feeds, msg.maxOutputBytes);
          send({ id: msg.id, ok: true, tensors });
          let bytes = 0;
          for (const name in tensors) bytes += tensors[name]!.data.byteLength;
          if (bytes > COLLECT_AFTER_BYTES) collect();
        } catch (err) {
          send({ id: msg.id, ok: false, failure: failure(err, 'runtime-error', 'inference failed') });
          collect();
        }
        return;
      }
      case 'release': {
        sessions.get(msg.handle)?.native.dispose();
        sessions.delete(msg.handle);
        return;
      }
    }
  });
  send({ op: 'ready' });
}

function run(ort: Binding, session: Session, feeds: Record<string, NnTensor>, maxOutputBytes: number): Record<string, NnTensor> {
  checkFeeds(session.inputs, feeds);
  const nativeFeeds: Record<string, NativeTensor> = {};
  for (const info of session.inputs) {
    const feed = feeds[info.name]!;
    if (feed.type === 'bfloat16') throw new NnError('unsupported-operation', 'the native engine cannot take bfloat16 tensors');
    nativeFeeds[info.name] = new ort.Tensor(feed.type, typedView(feed.type, feed.data), feed.dims);
  }
  const out = session.native.run(nativeFeeds, session.fetches, { logSeverityLevel: LOG_FATAL });
  const result: Record<string, NnTensor> = {};
  let total = 0;
  for (const info of session.outputs) {
    const tensor = out[info.name]!;
    if (!SUPPORTED.has(tensor.type)) throw new NnError('unsupported-operation', `output \`${printable(info.name)}\` has element type ${tensor.type}, which this runtime does not support`);
    const type = tensor.type as NnTensorType;
    const dims = [...tensor.dims];
    total += elementCount(dims) * elementBytes(type);
    // Checked before anything crosses into the host process.
    if (total > maxOutputBytes) throw new NnError('too-large', `the model's outputs exceed the ${maxOutputBytes} bytes this call may receive`);
    result[info.name] = { type, dims, data: tensor.data };
  }
  return result;
}

// The bridge going away (host exit, engine disposed) ends this process.
process.on('disconnect', () => process.exit(0));
void main();
