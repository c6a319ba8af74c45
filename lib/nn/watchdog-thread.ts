/**
 * The watchdog thread of one engine-owning thread (see `watchdog.ts`). It sleeps on the control
 * block until the armed run's soft deadline, writes the engine's `terminate` byte (onnxruntime
 * stops between nodes), then at the hard deadline writes the engine's stop byte (the engine traps
 * at its next checked loop). Engine memories arrive as shared `WebAssembly.Memory` objects over
 * the message port and are dropped on `unregister`.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  ARMED, ENGINE, FIRED, FIRED_HARD, FIRED_SOFT, FIRING, GRACE, HARD_ADDR, ORIGIN, sharedNow, SLEEP_MS, SLEEPS_FOREVER,
  SOFT_ADDR, SOFT_AT, SOFT_FIRED_AT, STATE, WAKE, type WatchdogMessage,
} from './watchdog-layout.js';

const { control, port } = workerData as { control: SharedArrayBuffer; port: MessagePort };
const ctl = new Int32Array(control);
const times = new Float64Array(control);
const memories = new Map<number, WebAssembly.Memory>();

function drain(): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const msg = m.message as WatchdogMessage;
    if (msg.kind === 'register') {
      memories.set(msg.id, msg.memory);
      port.postMessage({ kind: 'registered', id: msg.id });
    } else {
      memories.delete(msg.id);
    }
  }
}

/** Writes 1 at `addr` of engine `id`'s memory (the buffer is re-read: the memory may have grown). */
function raise(id: number, addr: number): void {
  const memory = memories.get(id);
  if (memory === undefined || addr <= 0) return;
  const bytes = new Uint8Array(memory.buffer);
  if (addr < bytes.length) Atomics.store(bytes, addr, 1);
}

/** One pass over the armed run: fires what is due; returns when to look again (shared ms; Infinity: never; NaN: now). */
function check(now: number): number {
  if (Atomics.load(ctl, STATE) !== ARMED) {
    // Between runs. Keep sleeping until the last deadline armed, if it is still ahead: the next
    // run most likely has a deadline at least as late, and then its owner need not wake us (a
    // stream of short runs would otherwise wake this thread once per run).
    const last = times[SOFT_AT]!;
    return last > now ? last : Infinity;
  }
  // Claim the arm first: while FIRING, the owner cannot disarm and re-arm under us.
  if (Atomics.compareExchange(ctl, STATE, ARMED, FIRING) !== ARMED) return NaN;
  try {
    const id = ctl[ENGINE]!;
    let fired = ctl[FIRED]!;
    const softAt = times[SOFT_AT]!;
    if ((fired & FIRED_SOFT) === 0) {
      if (now < softAt) return softAt;
      raise(id, ctl[SOFT_ADDR]!);
      fired |= FIRED_SOFT;
      times[SOFT_FIRED_AT] = now;
    }
    // The grace runs from when the soft stop really happened: a watchdog that woke late (a busy
    // machine) still gives onnxruntime its chance to stop cleanly.
    const hardAt = times[SOFT_FIRED_AT]! + times[GRACE]!;
    if ((fired & FIRED_HARD) === 0 && now >= hardAt) {
      raise(id, ctl[HARD_ADDR]!);
      fired |= FIRED_HARD;
    }
    ctl[FIRED] = fired;
    return (fired & FIRED_HARD) === 0 ? hardAt : Infinity;
  } finally {
    Atomics.store(ctl, STATE, ARMED);
  }
}

// This thread never returns to its event loop: messages are read synchronously between waits.
for (;;) {
  drain();
  const wake = Atomics.load(ctl, WAKE);
  const next = check(sharedNow());
  if (Number.isNaN(next)) continue;
  Atomics.store(ctl, SLEEP_MS, next === Infinity ? SLEEPS_FOREVER : Math.floor(next - times[ORIGIN]!));
  const now = sharedNow();
  if (next <= now) continue;
  Atomics.wait(ctl, WAKE, wake, next === Infinity ? undefined : next - now);
}
