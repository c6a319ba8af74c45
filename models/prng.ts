/**
 * A small seeded pseudo-random generator (mulberry32). Only integer arithmetic and one division,
 * so the sequence is bit-identical on every JS engine: the models' bytes depend on it.
 */
export class Prng {
  #state: number;

  /** Starts the sequence from a 32-bit `seed`. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Returns the next value, uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Returns an integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Returns a value uniform in [-limit, limit). */
  uniform(limit: number): number {
    return (this.next() * 2 - 1) * limit;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { [i: number]: unknown; length: number }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/**
 * He-uniform initialisation: `count` weights uniform in ±sqrt(6 / fanIn), which keeps the
 * activation variance roughly constant through ReLU layers.
 */
export function heUniform(prng: Prng, count: number, fanIn: number): Float32Array {
  const limit = Math.sqrt(6 / fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = prng.uniform(limit);
  return out;
}
