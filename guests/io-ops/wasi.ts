// Raw canonical-ABI imports of the io-ops guest (layouts in the comments; see index.ts).
// stream-error: tag 0 = last-operation-failed(own<error>), 1 = closed.

@external("wasi:cli/stdin@0.2.0", "get-stdin")
export declare function getStdin(): i32;
@external("wasi:cli/stdout@0.2.0", "get-stdout")
export declare function getStdout(): i32;
@external("wasi:cli/stderr@0.2.0", "get-stderr")
export declare function getStderr(): i32;

/** result<list<u8>, stream-error>: [0] tag; [4] ptr, [8] len | [4] stream-error tag, [8] error handle. */
@external("wasi:io/streams@0.2.0", "[method]input-stream.read")
export declare function inputRead(self: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]input-stream.blocking-read")
export declare function inputBlockingRead(self: i32, len: u64, ret: usize): void;
/** result<u64, stream-error>: [0] tag; [8] u64 | [8] stream-error tag, [12] error handle. */
@external("wasi:io/streams@0.2.0", "[method]input-stream.skip")
export declare function inputSkip(self: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]input-stream.subscribe")
export declare function inputSubscribe(self: i32): i32;
@external("wasi:io/streams@0.2.0", "[method]output-stream.check-write")
export declare function outputCheckWrite(self: i32, ret: usize): void;
/** result<_, stream-error>: [0] tag; [4] stream-error tag, [8] error handle. */
@external("wasi:io/streams@0.2.0", "[method]output-stream.write")
export declare function outputWrite(self: i32, buf: usize, len: usize, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush")
export declare function outputBlockingWrite(self: i32, buf: usize, len: usize, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.flush")
export declare function outputFlush(self: i32, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.write-zeroes")
export declare function outputWriteZeroes(self: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.splice")
export declare function outputSplice(self: i32, src: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.subscribe")
export declare function outputSubscribe(self: i32): i32;
@external("wasi:io/streams@0.2.0", "[resource-drop]input-stream")
export declare function dropInputStream(handle: i32): void;
@external("wasi:io/streams@0.2.0", "[resource-drop]output-stream")
export declare function dropOutputStream(handle: i32): void;

/** list<u32>: [0] ptr, [4] len. */
@external("wasi:io/poll@0.2.0", "poll")
export declare function poll(list: usize, len: usize, ret: usize): void;
@external("wasi:io/poll@0.2.0", "[method]pollable.ready")
export declare function pollableReady(self: i32): i32;
@external("wasi:io/poll@0.2.0", "[method]pollable.block")
export declare function pollableBlock(self: i32): void;
@external("wasi:io/poll@0.2.0", "[resource-drop]pollable")
export declare function dropPollable(handle: i32): void;

/** string: [0] ptr, [4] len. */
@external("wasi:io/error@0.2.0", "[method]error.to-debug-string")
export declare function errorToDebugString(self: i32, ret: usize): void;
@external("wasi:io/error@0.2.0", "[resource-drop]error")
export declare function dropError(handle: i32): void;

@external("wasi:clocks/monotonic-clock@0.2.0", "subscribe-duration")
export declare function subscribeDuration(ns: u64): i32;

/** list<u8>: [0] ptr, [4] len. */
@external("wasi:random/random@0.2.0", "get-random-bytes")
export declare function getRandomBytes(len: u64, ret: usize): void;
@external("wasi:random/insecure@0.2.0", "get-insecure-random-bytes")
export declare function getInsecureRandomBytes(len: u64, ret: usize): void;
