/**
 * The native engine's bridge thread: owns the engine's child processes (onnxruntime-node under a
 * data-segment limit) and relays the client thread's requests to them. The client blocks in
 * `Atomics.wait` for each reply, so the bridge is what keeps time: a run still going at its
 * deadline gets its child killed (the only way to stop onnxruntime-node, whose JS binding does not
 * expose run termination), the reply is `timeout`, and a standby child (kept warm, with the
 * models already loaded) takes over at once while another standby starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { workerData, type MessagePort } from 'node:worker_threads';
import type { ChildHello, ChildReply, ChildRequest, NativeFailure, NativeReply, NativeRequest, WithoutId } from './protocol.js';
import { timerDelay } from '../../timers.js';

interface BridgeData {
  port: MessagePort;
  /** Int32 [0]: bumped (and notified) after every reply is posted. */
  signal: SharedArrayBuffer;
  specifier: string;
  threads: number;
  /** Data-segment limit of each child, in KiB (`ulimit -d`). */
  dataLimitKiB: number;
  /** An empty directory, the children's working directory. */
  cwd: string;
}

const { port, signal, specifier, threads, dataLimitKiB, cwd } = workerData as BridgeData;
const signalView = new Int32Array(signal);
const CHILD_SCRIPT = fileURLToPath(new URL('./child.js', import.meta.url));
/** Most stderr kept from a child (for the message when it fails to start). */
const STDERR_LIMIT = 4096;

/** One child process and the sessions loaded in it (the bridge's session id → the child's handle). */
class Child {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  /** Set once the process said it is ready. */
  started = false;
  readonly handles = new Map<number, Promise<number>>();
  readonly #pending = new Map<number, (reply: ChildReply) => void>();
  #nextId = 1;
  #exited = false;
  #stderr = '';

  constructor() {
    // `ulimit -d` caps the data segment (heap and private writable mappings: what onnxruntime
    // allocates) before `exec` replaces the shell with Node; the environment is empty so nothing
    // of the host's (NODE_OPTIONS, ORT_* switches) reaches it, and the working directory is empty
    // so that a relative path in a model (external data) finds no host file. `--jitless`: the
    // child's JS only relays messages to onnxruntime's native code, and without a JIT V8 reserves
    // no code range — Node 22+ reserve ~700 MiB of it at start, which `ulimit -d` counts (they do
    // not start under the cap at all without it).
    this.proc = spawn('/bin/sh', ['-c', 'ulimit -d "$1" && exec "$2" --jitless --expose-gc "$3" "$4" "$5"', 'sh', String(dataLimitKiB), process.execPath, CHILD_SCRIPT, specifier, String(threads)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: {},
      cwd,
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      if (this.#stderr.length < STDERR_LIMIT) this.#stderr += chunk.toString('utf8').slice(0, STDERR_LIMIT - this.#stderr.length);
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const onHello = (msg: ChildHello | ChildReply) => {
        if ('op' in msg) {
          this.proc.off('message', onHello);
          if (msg.op === 'ready') resolve();
          else reject(new Error(msg.message));
        }
      };
      this.proc.on('message', onHello);
      this.proc.once('exit', (code, sig) => reject(new Error(`the onnxruntime-node process exited (${sig ?? code}) before it was ready${this.#stderr ? `: ${this.#stderr.trim()}` : ''}`)));
      this.proc.once('error', reject);
    });
    this.ready.then(() => { this.started = true; }, () => {});
    this.proc.on('message', (msg: ChildReply | ChildHello) => {
      if ('id' in msg) {
        const done = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        done?.(msg);
      }
    });
    this.proc.once('exit', () => {
      this.#exited = true;
      for (const done of this.#pending.values()) done({ id: 0, ok: false, failure: { code: 'runtime-error', message: 'the inference process ended unexpectedly', outOfMemory: true } });
      this.#pending.clear();
    });
  }

  get alive(): boolean {
    return !this.#exited;
  }

  request(msg: WithoutId<Extract<ChildRequest, { id: number }>>): Promise<ChildReply> {
    if (this.#exited) return Promise.resolve({ id: 0, ok: false, failure: { code: 'runtime-error', message: 'the inference process ended unexpectedly' } });
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.proc.send({ ...msg, id } as ChildRequest);
    });
  }

  /** The child's handle for session `session` (loading `model` into it the first time). */
  handle(session: number, model: Uint8Array): Promise<number> {
    let h = this.handles.get(session);
    if (h === undefined) {
      h = this.request({ op: 'load', model }).then((r) => {
        if (!r.ok) throw r.failure;
        return r.handle!;
      });
      h.catch(() => this.handles.delete(session));
      this.handles.set(session, h);
    }
    return h;
  }

  /** Ends the process; it counts as gone at once (its 'exit' event comes later). */
  kill(): void {
    if (this.#exited) return;
    this.#exited = true;
    this.proc.kill('SIGKILL');
    for (const done of this.#pending.values()) done({ id: 0, ok: false, failure: { code: 'runtime-error', message: 'the inference process was stopped' } });
    this.#pending.clear();
  }
}

/** Models by session id, to load them into a replacement child. */
const models = new Map<number, Uint8Array>();
let active = new Child();
/**
 * Warm children, oldest first. A child takes ~70–250 ms of CPU to start (more on a busy machine),
 * longer than a caller may take to reach its next deadline: with one standby, the replacement
 * started at one takeover was often not ready at the next, and the victim queued behind it waited
 * for the process to start (measured: up to 108 ms of a 200 ms budget). Two standbys, started at
 * different takeovers, give each one the time of two attacks to get ready.
 */
const standbys: Child[] = [];
const STANDBYS = 2;
/** Requests received and not yet answered, and requests answered so far. */
let inFlight = 0;
let completed = 0;
/** Set while standbys are missing: the value of `completed` when they went missing. */
let topUpSince: number | undefined;
/** How long a missing standby waits for the bridge to be idle while another one is warm. */
const SPAWN_DELAY_MS = 25;

/** Starts a standby child and loads every known model into it. */
function startStandby(): void {
  const child = new Child();
  standbys.push(child);
  child.ready.then(() => {
    for (const [session, model] of models) child.handle(session, model).catch(() => {});
  }, () => {
    const i = standbys.indexOf(child);
    if (i >= 0) standbys.splice(i, 1);
  });
}

/**
 * Starts standbys until there are {@link STANDBYS} live ones, one at a time (the next once the
 * last is ready): processes starting together share the CPU and are all late.
 */
function topUpStandbys(): void {
  topUpSince = undefined;
  for (let i = standbys.length - 1; i >= 0; i--) if (!standbys[i]!.alive) standbys.splice(i, 1);
  if (standbys.length >= STANDBYS) return;
  const starting = standbys.find((c) => !c.started);
  if (starting !== undefined) {
    if (!waitingFor.has(starting)) {
      waitingFor.add(starting);
      // A standby that fails to start is not replaced here (that would spawn in a loop); the next takeover tries again.
      starting.ready.then(() => { waitingFor.delete(starting); if (standbys.length < STANDBYS) needStandby(); }, () => { waitingFor.delete(starting); });
    }
    return;
  }
  startStandby();
  if (standbys.length < STANDBYS) topUpStandbys();
}
/** Standbys still starting that a top-up waits for. */
const waitingFor = new Set<Child>();

/**
 * A standby was used: start its replacement when it is in nobody's way. `spawn` blocks this thread
 * for a few ms (up to ~15 on a busy machine), and the call queued behind a stopped run arrives a
 * few ms after the stop; while another standby is warm, the replacement starts after the next
 * request is answered, or after {@link SPAWN_DELAY_MS} without requests. Without a warm standby,
 * at once.
 */
function needStandby(): void {
  if (topUpSince !== undefined) return;
  topUpSince = completed;
  if (!standbys.some((c) => c.alive)) {
    setImmediate(() => { if (topUpSince !== undefined) topUpStandbys(); });
    return;
  }
  setTimeout(() => { if (topUpSince !== undefined && inFlight === 0) topUpStandbys(); }, SPAWN_DELAY_MS);
}

/** A request was answered: a replacement standby waiting for the request after the stop starts now. */
function requestDone(): void {
  inFlight--;
  completed++;
  if (topUpSince !== undefined && completed >= topUpSince + 2) topUpStandbys();
}

/** The child to use now: the active one, or the oldest live standby when the active one died. */
function current(): Child {
  if (!active.alive) {
    for (let i = standbys.length - 1; i >= 0; i--) if (!standbys[i]!.alive) standbys.splice(i, 1);
    // The oldest standby that is ready, else the oldest still starting.
    const i = Math.max(0, standbys.findIndex((c) => c.started));
    const next = standbys.splice(i, 1)[0];
    active = next ?? new Child();
    needStandby();
  }
  return active;
}

function reply(msg: NativeReply): void {
  port.postMessage(msg);
  Atomics.add(signalView, 0, 1);
  Atomics.notify(signalView, 0);
}

function failed(id: number, failure: NativeFailure): void {
  reply({ id, ok: false, failure });
}

async function handle(req: NativeRequest): Promise<void> {
  switch (req.op) {
    case 'load': {
      models.set(req.session, req.model);
      try {
        const child = current();
        await child.ready;
        const r = await child.request({ op: 'load', model: req.model });
        if (!r.ok) {
          models.delete(req.session);
          return failed(req.id, r.failure);
        }
        child.handles.set(req.session, Promise.resolve(r.handle!));
        reply({ id: req.id, ok: true, inputs: r.inputs!, outputs: r.outputs! });
        // A standby still starting has no message listener yet; it loads every model once ready.
        for (const s of standbys) if (s.alive && s.started) s.handle(req.session, req.model).catch(() => {});
      } catch {
        models.delete(req.session);
        failed(req.id, { code: 'runtime-error', message: 'the inference process cannot start' });
      }
      return;
    }
    case 'run': {
      const model = models.get(req.session);
      if (model === undefined) return failed(req.id, { code: 'runtime-error', message: 'session is released' });
      let timer: NodeJS.Timeout | undefined;
      const deadline = req.deadline === undefined ? undefined : new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timerDelay(req.deadline! - (performance.timeOrigin + performance.now())));
      });
      try {
        // A process that died on its own (out of memory in the previous request, say) before or
        // while taking this one: the run is pure, so it is tried once more on the replacement.
        for (let attempt = 0; ; attempt++) {
          const child = current();
          const work = runOn(child, req, model);
          const outcome = await (deadline ? Promise.race([work, deadline]) : work);
          if (outcome === 'timeout') {
            // onnxruntime-node cannot be asked to stop: end its process, and let the standby take over.
            child.kill();
            current();
            return failed(req.id, { code: 'timeout', message: 'inference ran past the caller\'s deadline and was stopped' });
          }
          if (outcome.ok) return reply({ id: req.id, ok: true, tensors: outcome.tensors! });
          if (child.alive || attempt > 0) {
            if (!child.alive) current();
            return failed(req.id, outcome.failure);
          }
        }
      } finally {
        clearTimeout(timer);
      }
    }
    case 'release': {
      models.delete(req.session);
      for (const child of [active, ...standbys]) {
        const h = child.handles.get(req.session);
        child.handles.delete(req.session);
        h?.then((handle) => { if (child.alive) child.proc.send({ op: 'release', handle } satisfies ChildRequest); }, () => {});
      }
      return reply({ id: req.id, ok: true });
    }
  }
}

/** Runs `req` on `child` (loading the model there first if needed); never rejects. */
function runOn(child: Child, req: Extract<NativeRequest, { op: 'run' }>, model: Uint8Array): Promise<ChildReply> {
  return (async (): Promise<ChildReply> => {
    await child.ready;
    const handle = await child.handle(req.session, model);
    return child.request({ op: 'run', handle, feeds: req.feeds, maxOutputBytes: req.maxOutputBytes });
  })().catch((err: unknown): ChildReply => ({ id: 0, ok: false, failure: isFailure(err) ? err : { code: 'runtime-error', message: 'the inference process failed' } }));
}

function isFailure(x: unknown): x is NativeFailure {
  return typeof x === 'object' && x !== null && 'code' in x && 'message' in x;
}

// Requests are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: NativeRequest) => {
  inFlight++;
  queue = queue.then(() => handle(req)).catch(() => {}).finally(requestDone);
});

// The first child and the first standby start together, and the engine is ready once both are (a
// run stopped right after the engine started then finds a warm process, not one still starting);
// a standby that cannot start does not hold the engine back. The second standby starts after.
startStandby();
const firstStandby = standbys[0]!;
active.ready.then(async () => {
  await firstStandby.ready.catch(() => {});
  port.postMessage({ op: 'ready' });
  topUpStandbys();
}, (err: unknown) => {
  port.postMessage({ op: 'failed', message: err instanceof Error ? err.message : String(err) });
});
