/**
 * Recycled byte buffers for wasi:nn input tensors. A guest builds one input tensor per inference;
 * allocating a fresh off-heap buffer for it costs ~4 µs for a 3 KiB digit (more than the rest of
 * the host's work together), while a recycled one costs a memcpy. Buffers come back when the
 * tensor is consumed by `compute` (the engine has copied it into its own memory) or dropped.
 */
export class BufferPool {
  readonly #free = new Map<number, Uint8Array[]>();
  #pooledBytes = 0;

  /**
   * @param maxPooledBytes bytes kept for reuse at most (released buffers beyond it are left to GC)
   * @param maxPerSize buffers of one size kept at most
   */
  constructor(readonly maxPooledBytes = 16 * 1024 * 1024, readonly maxPerSize = 4) {}

  /** A buffer of exactly `byteLength` bytes with unspecified contents. */
  take(byteLength: number): Uint8Array {
    const list = this.#free.get(byteLength);
    const buffer = list?.pop();
    if (buffer === undefined) return new Uint8Array(byteLength);
    this.#pooledBytes -= byteLength;
    return buffer;
  }

  /** Returns `buffer` for reuse; the caller must not touch it afterwards. */
  give(buffer: Uint8Array): void {
    const size = buffer.byteLength;
    // Small arrays live on V8's heap and cost ~0.1 µs to allocate: not worth keeping.
    if (size <= 64 || this.#pooledBytes + size > this.maxPooledBytes) return;
    let list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, (list = []));
    if (list.length >= this.maxPerSize) return;
    list.push(buffer);
    this.#pooledBytes += size;
  }

  /** Bytes currently kept for reuse. */
  get pooledBytes(): number {
    return this.#pooledBytes;
  }
}
