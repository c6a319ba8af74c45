/**
 * `wasi:clocks` and `wasi:random` for one function: real by default, or deterministic (seeded),
 * so that a run can be reproduced bit for bit.
 */
import { randomBytes } from 'node:crypto';
import { hrtime } from 'node:process';
import { TrapError } from '../errors.js';
import type { InstanceScope } from '../host/scope.js';
import { Pollable } from './io/index.js';
import { clocks } from './shim.js';

/**
 * Most bytes one `get-random-bytes` may ask for (and never more than the guest's memory can hold):
 * the host makes them before the guest can refuse them, so a 16 MiB guest asking for 1 GiB cost
 * the host 2 GiB and 5 s. More traps (`resource-limit`); no real program asks for that much at once.
 */
export const MAX_RANDOM_BYTES = 64 * 1024 * 1024;

/** A guest's `len` for random bytes, or a trap past `max`. */
function randomLength(len: unknown, max: number): number {
  if (typeof len !== 'bigint' || len < 0n || len > BigInt(max)) {
    throw new TrapError('resource-limit', `wasm trap: asked for ${String(len)} random bytes; at most ${max} per call`);
  }
  return Number(len);
}

export interface DeterminismOptions {
  /** Seed of the random streams (default 0). */
  seed?: number;
  /** What the wall clock reads at the first call, in ms since the epoch (default 2000-01-01). */
  startTimeMs?: number;
  /** How far both clocks advance on each read, in ns (default 1,000). */
  tickNs?: number;
}

/** splitmix64: small, fast, and good enough for reproducible (not secure) guest randomness. */
class SplitMix64 {
  constructor(public state: bigint) {
    this.state = BigInt.asUintN(64, state);
  }
  readonly next = (): bigint => {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

function bytesFrom(next: () => bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 8) {
    let v = next();
    for (let j = i; j < Math.min(len, i + 8); j++) { out[j] = Number(v & 0xffn); v >>= 8n; }
  }
  return out;
}

/** The real monotonic clock: the shim's readings, our subscriptions (pollables of `io/`). */
const monotonicClock = Object.freeze({
  now: clocks.monotonicClock.now,
  resolution: clocks.monotonicClock.resolution,
  subscribeInstant: (when: bigint) => Pollable.at(performance.now() + Number(BigInt.asUintN(64, when) - hrtime.bigint()) / 1e6),
  subscribeDuration: (duration: bigint) => Pollable.at(performance.now() + Number(BigInt.asUintN(64, duration)) / 1e6),
});

/**
 * Import-object entries for clocks and random, keyed as jco keys them. `maxRandomBytes`: the
 * most one random call may return (the guest's memory limit, at most {@link MAX_RANDOM_BYTES}).
 * Deterministic streams are built per call of this function: build them once per instance, on
 * its `scope` (see `deterministicClocksAndRandom`).
 */
export function clocksAndRandom(det: DeterminismOptions | undefined, maxRandomBytes = MAX_RANDOM_BYTES, scope?: InstanceScope): Record<string, object> {
  const max = Math.min(maxRandomBytes, MAX_RANDOM_BYTES);
  if (!det) {
    const u64 = () => randomBytes(8).readBigUInt64LE();
    const bytes = (len: bigint) => new Uint8Array(randomBytes(randomLength(len, max)));
    return {
      'wasi:clocks/monotonic-clock': monotonicClock,
      'wasi:clocks/wall-clock': {
        now() { const ms = Date.now(); return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1e6 }; },
        resolution() { return { seconds: 0n, nanoseconds: 1e6 }; },
      },
      'wasi:random/random': { getRandomBytes: bytes, getRandomU64: u64 },
      'wasi:random/insecure': { getInsecureRandomBytes: bytes, getInsecureRandomU64: u64 },
      'wasi:random/insecure-seed': { insecureSeed: () => [u64(), u64()] },
    };
  }
  return deterministicClocksAndRandom(det, max, scope);
}

/**
 * Seeded clocks and random for one instance. With a `scope`, the streams are instance state: a
 * pool `reset` puts them back where they were when the instance finished initialising, so every
 * call on a fresh or reset instance draws the same values (`reuse` continues them).
 */
function deterministicClocksAndRandom(det: DeterminismOptions, max: number, scope: InstanceScope | undefined): Record<string, object> {
  const tick = BigInt(det.tickNs ?? 1000);
  const start = BigInt(det.startTimeMs ?? Date.UTC(2000, 0, 1)) * 1_000_000n;
  let elapsed = 0n;
  const advance = () => (elapsed += tick);
  // Waiting on the simulated clock takes no real time: a subscription moves the clock to its
  // instant and is ready at once, so runs stay reproducible and never block.
  const until = (instant: bigint) => {
    if (instant > elapsed) elapsed = instant;
    return Pollable.at(-Infinity);
  };
  const secureRng = new SplitMix64(BigInt(det.seed ?? 0));
  const insecureRng = new SplitMix64(BigInt(det.seed ?? 0) ^ 0x5deece66dn);
  const secure = secureRng.next;
  const insecure = insecureRng.next;
  scope?.state(() => {
    const [e, s, i] = [elapsed, secureRng.state, insecureRng.state];
    return () => { elapsed = e; secureRng.state = s; insecureRng.state = i; };
  });
  return {
    'wasi:clocks/monotonic-clock': {
      now: () => advance(),
      resolution: () => tick,
      subscribeInstant: (when: bigint) => until(BigInt.asUintN(64, when)),
      subscribeDuration: (duration: bigint) => until(elapsed + BigInt.asUintN(64, duration)),
    },
    'wasi:clocks/wall-clock': {
      now() { const ns = start + advance(); return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) }; },
      resolution() { return { seconds: 0n, nanoseconds: Number(tick) }; },
    },
    'wasi:random/random': { getRandomBytes: (len: bigint) => bytesFrom(secure, randomLength(len, max)), getRandomU64: secure },
    'wasi:random/insecure': { getInsecureRandomBytes: (len: bigint) => bytesFrom(insecure, randomLength(len, max)), getInsecureRandomU64: insecure },
    'wasi:random/insecure-seed': { insecureSeed: () => [insecure(), insecure()] },
  };
}
