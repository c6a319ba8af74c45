// Builds programs for the hostile `io-ops` guest (guests/io-ops) and decodes its results. The
// opcode table and encodings mirror guests/io-ops/index.ts.
const OP = {
  stdin: 0, stdout: 1, stderr: 2, read: 3, blockingRead: 4, skip: 5, checkWrite: 6, write: 7,
  blockingWrite: 8, flush: 9, writeZeroes: 10, splice: 11, subscribeIn: 12, subscribeOut: 13, poll: 14,
  ready: 15, block: 16, dropIn: 17, dropOut: 18, dropPollable: 19, subscribeDuration: 20, random: 21,
  insecureRandom: 22,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A handle produced by operation `op` of the same program. */
export const ref = (op) => ({ op });

const u8 = (v) => (out) => out.push(v & 0xff);
const u32 = (v) => (out) => { for (let i = 0; i < 4; i++) out.push((v >>> (8 * i)) & 0xff); };
const u64 = (v) => (out) => { let b = BigInt.asUintN(64, BigInt(v)); for (let i = 0; i < 8; i++) { out.push(Number(b & 0xffn)); b >>= 8n; } };
const bytes = (s) => (out) => { const b = typeof s === 'string' ? encoder.encode(s) : s; u32(b.length)(out); for (const x of b) out.push(x); };
const handle = (h) => (out) => {
  if (typeof h === 'number') { out.push(0); u32(h >>> 0)(out); return; }
  out.push(1, h.op & 0xff, (h.op >>> 8) & 0xff);
};

export class Program {
  #bytes = [];
  ops = [];
  #op(name, ...args) {
    this.#bytes.push(OP[name]);
    for (const a of args) a(this.#bytes);
    this.ops.push(name);
    return this.ops.length - 1;
  }
  bytes() { return Uint8Array.from(this.#bytes); }
  stdin() { return this.#op('stdin'); }
  stdout() { return this.#op('stdout'); }
  stderr() { return this.#op('stderr'); }
  read(h, len) { return this.#op('read', handle(h), u64(len)); }
  blockingRead(h, len) { return this.#op('blockingRead', handle(h), u64(len)); }
  skip(h, len) { return this.#op('skip', handle(h), u64(len)); }
  checkWrite(h) { return this.#op('checkWrite', handle(h)); }
  write(h, data) { return this.#op('write', handle(h), bytes(data)); }
  blockingWrite(h, data) { return this.#op('blockingWrite', handle(h), bytes(data)); }
  flush(h) { return this.#op('flush', handle(h)); }
  writeZeroes(h, len) { return this.#op('writeZeroes', handle(h), u64(len)); }
  splice(h, src, len) { return this.#op('splice', handle(h), handle(src), u64(len)); }
  subscribeIn(h) { return this.#op('subscribeIn', handle(h)); }
  subscribeOut(h) { return this.#op('subscribeOut', handle(h)); }
  poll(list) { return this.#op('poll', u32(list.length), ...list.map(handle)); }
  ready(h) { return this.#op('ready', handle(h)); }
  block(h) { return this.#op('block', handle(h)); }
  dropIn(h) { return this.#op('dropIn', handle(h)); }
  dropOut(h) { return this.#op('dropOut', handle(h)); }
  dropPollable(h) { return this.#op('dropPollable', handle(h)); }
  subscribeDuration(ns) { return this.#op('subscribeDuration', u64(ns)); }
  random(len) { return this.#op('random', u64(len)); }
  insecureRandom(len) { return this.#op('insecureRandom', u64(len)); }
}

/**
 * One result per operation: `{ ok: true, value }`, `{ closed: true }`, `{ failed: debugText }` or
 * `{ skipped: true }`.
 */
export function decode(program, out) {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  const r8 = () => view.getUint8(at++);
  const r32 = () => { const v = view.getUint32(at, true); at += 4; return v; };
  const r64 = () => { const v = view.getBigUint64(at, true); at += 8; return v; };
  const rBytes = () => { const n = r32(); const b = out.slice(at, at + n); at += n; return b; };
  const results = [];
  for (const name of program.ops) {
    const status = r8();
    if (status === 2) { results.push({ closed: true }); continue; }
    if (status === 3) { results.push({ failed: decoder.decode(rBytes()) }); continue; }
    if (status === 4) { results.push({ skipped: true }); continue; }
    if (status !== 0) throw new Error(`io-ops: bad status ${status} for ${name}`);
    let value;
    switch (name) {
      case 'stdin': case 'stdout': case 'stderr': case 'subscribeIn': case 'subscribeOut': case 'subscribeDuration':
      case 'random': case 'insecureRandom': value = r32(); break;
      case 'read': case 'blockingRead': value = rBytes(); break;
      case 'skip': case 'checkWrite': case 'splice': value = r64(); break;
      case 'poll': { const n = r32(); value = Array.from({ length: n }, r32); break; }
      case 'ready': value = !!r8(); break;
      default: value = undefined;
    }
    results.push({ ok: true, value });
  }
  return results;
}

/** Runs a program on a loaded io-ops function and decodes its results. */
export async function run(fn, program) {
  return decode(program, await fn.call('run', program.bytes()));
}
