/**
 * The native inference engine: onnxruntime-node, run out of the host process.
 *
 * onnxruntime-node runs inside whatever process loads it, with no memory cap, and its JS binding
 * cannot stop a run (its run options do not expose `terminate`). So it never runs in the host
 * process: a bridge thread (`native/bridge.ts`) keeps a child process (`native/child.ts`) with a
 * data-segment limit (`ulimit -d`: the engine's memory cap plus what Node itself needs), kills it when a
 * run passes its deadline, and swaps in a warm standby child that already holds the models. The
 * guest's thread sends each request to the bridge and blocks in `Atomics.wait` until the reply or
 * the deadline, whichever comes first, so a guest's synchronous wasi:nn call stays synchronous
 * (Node 20 has no JSPI) and never blocks its thread past its deadline.
 *
 * Cost: two thread hops and two process hops per call (~0.1–0.3 ms on a 2-vCPU VM), and two child
 * processes (~60 MiB each) per engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { BackendUnavailableError, InvalidArgumentError, LimitTooLowError } from '../errors.js';
import type { NnEngine, NnEngineOptions, NnRunOptions, NnSession, NnSessionOptions } from './engine.js';
import { NnError } from './errors.js';
import { ORT_NODE_INSTALL } from './install-hints.js';
import type { NativeReply, NativeRequest, WithoutId } from './native/protocol.js';
import { checkFeeds, type NnTensor, type NnValueInfo } from './tensor.js';

/** The parts of onnxruntime-node the child process uses (kept for `loadBinding` probes). */
export interface OrtNativeBinding {
  initOrt(): void;
  binding: unknown;
  Tensor: unknown;
}

/**
 * Default cap on what onnxruntime may allocate in the engine process. Lower than the wasm engine's
 * default: the process's own Node adds ~100 MiB of its own, and a guest should not be able to make
 * the host grow by more than ~256 MiB in all.
 */
export const DEFAULT_NATIVE_MEMORY_MAX_BYTES = 192 * 1024 * 1024;
/**
 * Data segment a child Node process with onnxruntime-node loaded takes for itself (measured ~100
 * MiB after loading a small model and running it once, ~80 MiB resident), added to the cap.
 */
export const NATIVE_PROCESS_BASE_BYTES = 112 * 1024 * 1024;
/** The smallest engine cap accepted. */
export const MIN_NATIVE_MEMORY_BYTES = 16 * 1024 * 1024;
/** How long a request without a deadline may take before the engine is considered stuck. */
const UNBOUNDED_REQUEST_MS = 120_000;

/** Options for {@link createOrtNativeEngine}. */
export interface OrtNativeEngineOptions extends NnEngineOptions {
  /**
   * Cap on what onnxruntime may allocate in the engine process (the process's data segment is
   * capped at this plus {@link NATIVE_PROCESS_BASE_BYTES}). Default 192 MiB, at least 16 MiB.
   */
  memoryMaxBytes?: number;
  /**
   * Checks onnxruntime-node can be loaded before a process is started (default: resolve the
   * package); tests replace it to simulate a machine without it.
   */
  loadBinding?: () => Promise<unknown>;
  /** Package the child loads (tests point it at a missing one). Default `onnxruntime-node`. */
  specifier?: string;
}

/**
 * Starts the native engine (bridge thread and child process). Rejects with
 * `BackendUnavailableError` when onnxruntime-node cannot be loaded or its process cannot start.
 */
export async function createOrtNativeEngine(options: OrtNativeEngineOptions = {}): Promise<NnEngine> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError(`threads must be a positive integer, got ${threads}`);
  const memoryMaxBytes = options.memoryMaxBytes ?? DEFAULT_NATIVE_MEMORY_MAX_BYTES;
  if (!(memoryMaxBytes >= MIN_NATIVE_MEMORY_BYTES) || !Number.isFinite(memoryMaxBytes)) {
    throw new LimitTooLowError(`native engine memory cap ${memoryMaxBytes} bytes is below the minimum of ${MIN_NATIVE_MEMORY_BYTES} bytes`);
  }
  const specifier = options.specifier ?? 'onnxruntime-node';
  try {
    await (options.loadBinding ?? (async () => import.meta.resolve(specifier)))();
  } catch (err) {
    throw new BackendUnavailableError(`onnxruntime-node is not available (${err instanceof Error ? err.message : String(err)}); ${ORT_NODE_INSTALL}`, { cause: err });
  }
  const signal = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const cwd = mkdtempSync(join(tmpdir(), 'sfirt-nn-native-'));
  const worker = new Worker(new URL('./native/bridge.js', import.meta.url), {
    workerData: { port: port2, signal, specifier, threads, dataLimitKiB: Math.floor((memoryMaxBytes + NATIVE_PROCESS_BASE_BYTES) / 1024), cwd },
    transferList: [port2],
  });
  try {
    const hello = await new Promise<{ op: string; message?: string }>((resolve, reject) => {
      port1.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`bridge thread exited (${code})`)));
    });
    if (hello.op !== 'ready') throw new Error(hello.message ?? 'the onnxruntime-node process did not start');
  } catch (err) {
    port1.close();
    await worker.terminate();
    rmSync(cwd, { recursive: true, force: true });
    throw new BackendUnavailableError(`onnxruntime-node is not available (${err instanceof Error ? err.message : String(err)}); ${ORT_NODE_INSTALL}`, { cause: err });
  }
  // From here on replies are read synchronously (receiveMessageOnPort), never by a listener.
  port1.removeAllListeners('message');
  worker.unref();
  port1.unref();
  return new OrtNativeEngine(worker, port1, new Int32Array(signal), memoryMaxBytes, cwd);
}

class OrtNativeEngine implements NnEngine {
  readonly backend = 'native' as const;
  #disposed = false;
  /** Set when the bridge stopped answering: the engine cannot be trusted to keep time any more. */
  #stuck = false;
  #nextId = 1;
  #nextSession = 1;
  readonly #sessions = new Set<OrtNativeSession>();

  constructor(readonly worker: Worker, readonly port: MessagePort, readonly signal: Int32Array, readonly memoryMaxBytes: number, readonly cwd: string) {}

  get usable(): boolean {
    return !this.#disposed && !this.#stuck;
  }

  /**
   * Sends `req` and blocks until its reply or `deadline` (`performance.now()` ms). Past the
   * deadline the reply is `timeout` (the bridge kills the run at the same time).
   */
  request(req: WithoutId<NativeRequest>, deadline?: number): NativeReply {
    if (this.#disposed) throw new NnError('runtime-error', 'inference engine is disposed');
    if (this.#stuck) throw new NnError('runtime-error', 'inference engine stopped answering');
    const id = this.#nextId++;
    const signal = this.signal;
    const until = deadline ?? performance.now() + UNBOUNDED_REQUEST_MS;
    const sent = { ...req, id, ...(deadline === undefined ? {} : { deadline: performance.timeOrigin + deadline }) } as NativeRequest;
    this.port.postMessage(sent);
    for (;;) {
      const seen = Atomics.load(signal, 0);
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const reply = m.message as NativeReply;
        if (reply.id === id) return reply;
        // A reply to a request whose caller already gave up: drop it.
      }
      const left = until - performance.now();
      if (left <= 0) {
        if (deadline === undefined) this.#stuck = true;
        return { id, ok: false, failure: { code: 'timeout', message: 'inference ran past the caller\'s deadline and was stopped' } };
      }
      Atomics.wait(signal, 0, seen, left);
    }
  }

  /** Sends `req` without waiting (its reply is dropped when a later request reads the port). */
  post(req: WithoutId<NativeRequest>): void {
    if (this.#disposed) return;
    this.port.postMessage({ ...req, id: this.#nextId++ } as NativeRequest);
  }

  createSession(model: Uint8Array, _options?: NnSessionOptions): NnSession {
    const session = this.#nextSession++;
    const reply = this.request({ op: 'load', session, model });
    if (!reply.ok) throw failure(reply);
    const s = new OrtNativeSession(this, session, reply.inputs ?? [], reply.outputs ?? []);
    this.#sessions.add(s);
    return s;
  }

  forget(session: OrtNativeSession): void {
    this.#sessions.delete(session);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#sessions.clear();
    this.port.close();
    // Ends the bridge; its children see their IPC channel close and exit.
    void this.worker.terminate().finally(() => rmSync(this.cwd, { recursive: true, force: true }));
  }
}

function failure(reply: Extract<NativeReply, { ok: false }>): NnError {
  const f = reply.failure;
  return new NnError(f.code, f.message, { outOfMemory: f.outOfMemory === true });
}

class OrtNativeSession implements NnSession {
  #released = false;

  /** The bridge re-loads a session into a replacement process, so only release or disposal ends it. */
  get alive(): boolean {
    return !this.#released && this.engine.usable;
  }

  constructor(readonly engine: OrtNativeEngine, readonly id: number, readonly inputs: NnValueInfo[], readonly outputs: NnValueInfo[]) {}

  run(feeds: Record<string, NnTensor>, options?: NnRunOptions): Record<string, NnTensor> {
    if (this.#released) throw new NnError('runtime-error', 'session is released');
    checkFeeds(this.inputs, feeds);
    const sent: Record<string, NnTensor> = {};
    for (const info of this.inputs) {
      const f = feeds[info.name]!;
      sent[info.name] = { type: f.type, dims: f.dims, data: f.data };
    }
    const reply = this.engine.request({ op: 'run', session: this.id, feeds: sent, maxOutputBytes: options?.maxOutputBytes ?? Number.MAX_SAFE_INTEGER }, options?.deadline);
    if (!reply.ok) throw failure(reply);
    const out = reply.tensors ?? {};
    if (options?.rawOutputs) {
      for (const name in out) {
        const t = out[name]!;
        t.data = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      }
    }
    return out;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.engine.forget(this);
    if (this.engine.usable) this.engine.post({ op: 'release', session: this.id });
  }
}
