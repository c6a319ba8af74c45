// The `io-ops` guest: an interpreter of `wasi:io` calls (streams, pollables, clock subscriptions,
// random bytes). `run(program)` executes each operation exactly as encoded (any handle number,
// any length) and returns one result per operation. The tests build programs and decode results
// with test/wasi/io-ops.mjs, whose opcode table must match this one.
//
// Program: operations `opcode:u8 args...`, little-endian. A handle argument is `kind:u8` then
// either a raw u32 (kind 0) or the u16 index of an earlier operation whose handle to use (kind 1).
// Handles are never dropped implicitly. Results, per operation: status:u8, then
//   0 ok: payload (below)        2 stream closed
//   3 stream failed: the error's to-debug-string (u32 length + bytes)
//   4 skipped: a referenced operation produced no handle
import { alloc, releaseCallMemory } from '../_lib/cabi';
import {
  getStdin, getStdout, getStderr, inputRead, inputBlockingRead, inputSkip, inputSubscribe,
  outputCheckWrite, outputWrite, outputBlockingWrite, outputFlush, outputWriteZeroes, outputSplice,
  outputSubscribe, dropInputStream, dropOutputStream, poll, pollableReady, pollableBlock, dropPollable,
  errorToDebugString, dropError, subscribeDuration, getRandomBytes, getInsecureRandomBytes,
} from './wasi';

export { cabi_realloc } from '../_lib/cabi';

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const READ: u8 = 3;
const BLOCKING_READ: u8 = 4;
const SKIP: u8 = 5;
const CHECK_WRITE: u8 = 6;
const WRITE: u8 = 7;
const BLOCKING_WRITE: u8 = 8;
const FLUSH: u8 = 9;
const WRITE_ZEROES: u8 = 10;
const SPLICE: u8 = 11;
const SUBSCRIBE_IN: u8 = 12;
const SUBSCRIBE_OUT: u8 = 13;
const POLL: u8 = 14;
const READY: u8 = 15;
const BLOCK: u8 = 16;
const DROP_IN: u8 = 17;
const DROP_OUT: u8 = 18;
const DROP_POLLABLE: u8 = 19;
const SUBSCRIBE_DURATION: u8 = 20;
const RANDOM: u8 = 21;
const INSECURE_RANDOM: u8 = 22;

let at: usize = 0;
let end: usize = 0;
function u8_(): u8 { const v = at < end ? load<u8>(at) : <u8>0; at += 1; return v; }
function u16_(): u16 { const v = at + 2 <= end ? load<u16>(at) : <u16>0; at += 2; return v; }
function u32_(): u32 { const v = at + 4 <= end ? load<u32>(at) : <u32>0; at += 4; return v; }
function u64_(): u64 { const v = at + 8 <= end ? load<u64>(at) : <u64>0; at += 8; return v; }
let argLength: usize = 0;
function bytes_(): usize {
  let n = <usize>u32_();
  if (at + n > end) n = end > at ? end - at : 0;
  const ptr = at;
  at += n;
  argLength = n;
  return ptr;
}

// Handle produced by each operation (-1: none), indexed by operation number.
let produced: usize = 0;
let producedCapacity: u32 = 0;
function setProduced(op: u32, h: i32): void {
  if (op >= producedCapacity) {
    let capacity: u32 = producedCapacity == 0 ? 64 : producedCapacity * 2;
    while (capacity <= op) capacity *= 2;
    const grown = alloc(<usize>capacity * 4);
    memory.fill(grown, 0xff, <usize>capacity * 4);
    if (producedCapacity > 0) memory.copy(grown, produced, <usize>producedCapacity * 4);
    produced = grown;
    producedCapacity = capacity;
  }
  store<i32>(produced + <usize>op * 4, h);
}
let missing = false;
function handle_(): i32 {
  if (u8_() == 0) return <i32>u32_();
  const op = <u32>u16_();
  const h = op < producedCapacity ? load<i32>(produced + <usize>op * 4) : -1;
  if (h < 0) missing = true;
  return h;
}
function skipped(): bool {
  if (!missing) return false;
  missing = false;
  put8(4);
  return true;
}

let out: usize = 0;
let outLength: usize = 0;
let outCapacity: usize = 0;
function reserve(n: usize): usize {
  if (outLength + n > outCapacity) {
    let capacity: usize = outCapacity == 0 ? 256 : outCapacity * 2;
    while (capacity < outLength + n) capacity *= 2;
    const grown = heap.alloc(capacity);
    if (outLength > 0) memory.copy(grown, out, outLength);
    if (out != 0) heap.free(out);
    out = grown;
    outCapacity = capacity;
  }
  const p = out + outLength;
  outLength += n;
  return p;
}
function put8(v: u8): void { store<u8>(reserve(1), v); }
function put32(v: u32): void { store<u32>(reserve(4), v); }
function put64(v: u64): void { store<u64>(reserve(8), v); }
function putBytes(ptr: usize, len: usize): void {
  put32(<u32>len);
  memory.copy(reserve(len), ptr, len);
}

const RET: usize = memory.data(64, 8);

/** The stream-error whose variant tag is at RET + `tagAt` (its error handle 4 bytes later). */
function streamError(tagAt: usize): void {
  if (load<u8>(RET + tagAt) == 1) { put8(2); return; }
  const error = load<i32>(RET + tagAt + 4);
  const text = alloc(8);
  errorToDebugString(error, text);
  dropError(error);
  put8(3);
  putBytes(<usize>load<u32>(text), <usize>load<u32>(text, 4));
}

function step(op: u32, code: u8): void {
  switch (code) {
    case STDIN: { const h = getStdin(); setProduced(op, h); put8(0); put32(<u32>h); break; }
    case STDOUT: { const h = getStdout(); setProduced(op, h); put8(0); put32(<u32>h); break; }
    case STDERR: { const h = getStderr(); setProduced(op, h); put8(0); put32(<u32>h); break; }
    case READ: case BLOCKING_READ: {
      const h = handle_(); const len = u64_(); if (skipped()) break;
      if (code == READ) inputRead(h, len, RET); else inputBlockingRead(h, len, RET);
      if (load<u8>(RET) != 0) { streamError(4); break; }
      put8(0); putBytes(<usize>load<u32>(RET, 4), <usize>load<u32>(RET, 8));
      break;
    }
    case SKIP: case CHECK_WRITE: {
      const h = handle_(); const len = code == SKIP ? u64_() : 0; if (skipped()) break;
      if (code == SKIP) inputSkip(h, len, RET); else outputCheckWrite(h, RET);
      if (load<u8>(RET) != 0) { streamError(8); break; }
      put8(0); put64(load<u64>(RET, 8));
      break;
    }
    case WRITE: case BLOCKING_WRITE: {
      const h = handle_(); const data = bytes_(); if (skipped()) break;
      if (code == WRITE) outputWrite(h, data, argLength, RET); else outputBlockingWrite(h, data, argLength, RET);
      if (load<u8>(RET) != 0) { streamError(4); break; }
      put8(0);
      break;
    }
    case FLUSH: {
      const h = handle_(); if (skipped()) break;
      outputFlush(h, RET);
      if (load<u8>(RET) != 0) { streamError(4); break; }
      put8(0);
      break;
    }
    case WRITE_ZEROES: {
      const h = handle_(); const len = u64_(); if (skipped()) break;
      outputWriteZeroes(h, len, RET);
      if (load<u8>(RET) != 0) { streamError(4); break; }
      put8(0);
      break;
    }
    case SPLICE: {
      const h = handle_(); const src = handle_(); const len = u64_(); if (skipped()) break;
      outputSplice(h, src, len, RET);
      if (load<u8>(RET) != 0) { streamError(8); break; }
      put8(0); put64(load<u64>(RET, 8));
      break;
    }
    case SUBSCRIBE_IN: case SUBSCRIBE_OUT: {
      const h = handle_(); if (skipped()) break;
      const p = code == SUBSCRIBE_IN ? inputSubscribe(h) : outputSubscribe(h);
      setProduced(op, p); put8(0); put32(<u32>p);
      break;
    }
    case POLL: {
      const n = u32_();
      const list = alloc(<usize>n * 4 + 4);
      for (let i: u32 = 0; i < n; i++) store<i32>(list + <usize>i * 4, handle_());
      if (skipped()) break;
      poll(list, <usize>n, RET);
      const ready = <usize>load<u32>(RET);
      const count = load<u32>(RET, 4);
      put8(0); put32(count);
      for (let i: u32 = 0; i < count; i++) put32(load<u32>(ready + <usize>i * 4));
      break;
    }
    case READY: { const h = handle_(); if (skipped()) break; put8(0); put8(<u8>pollableReady(h)); break; }
    case BLOCK: { const h = handle_(); if (skipped()) break; pollableBlock(h); put8(0); break; }
    case DROP_IN: { const h = handle_(); if (skipped()) break; dropInputStream(h); put8(0); break; }
    case DROP_OUT: { const h = handle_(); if (skipped()) break; dropOutputStream(h); put8(0); break; }
    case DROP_POLLABLE: { const h = handle_(); if (skipped()) break; dropPollable(h); put8(0); break; }
    case SUBSCRIBE_DURATION: { const ns = u64_(); const p = subscribeDuration(ns); setProduced(op, p); put8(0); put32(<u32>p); break; }
    case RANDOM: case INSECURE_RANDOM: {
      const len = u64_();
      if (code == RANDOM) getRandomBytes(len, RET); else getInsecureRandomBytes(len, RET);
      put8(0); put32(load<u32>(RET, 4));
      break;
    }
    default:
      put8(255);
      at = end;
  }
}

/** `run: func(program: list<u8>) -> list<u8>` */
export function run(program: usize, length: usize): usize {
  at = program;
  end = program + length;
  producedCapacity = 0;
  missing = false;
  outLength = 0;
  let op: u32 = 0;
  while (at < end) step(op++, u8_());
  const ret = alloc(8);
  store<u32>(ret, <u32>out);
  store<u32>(ret, <u32>outLength, 4);
  return ret;
}

export function cabi_post_run(ret: usize): void {
  releaseCallMemory();
}
