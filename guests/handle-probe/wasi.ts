// The WASI 0.2.0 imports the handle-probe guest calls, with their canonical-ABI core signatures.
// Resources are i32 handles; results that flatten to more than one value are written to `ret`.

/** list<tuple<own<descriptor>, string>>: [0] ptr, [4] len; 12-byte elements (handle, name ptr, name len). */
@external("wasi:filesystem/preopens@0.2.0", "get-directories")
export declare function getDirectories(ret: usize): void;
/** result<own<descriptor>, error-code>: [0] tag, [4] handle | code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.open-at")
export declare function openAt(self: i32, pathFlags: i32, path: usize, pathLen: usize, openFlags: i32, flags: i32, ret: usize): void;
/** result<own<input-stream>, error-code>: [0] tag, [4] handle | code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read-via-stream")
export declare function readViaStream(self: i32, offset: u64, ret: usize): void;
/** result<own<directory-entry-stream>, error-code>: [0] tag, [4] handle | code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read-directory")
export declare function readDirectory(self: i32, ret: usize): void;
/** result<tuple<list<u8>, bool>, error-code>: [0] tag; [4] ptr, [8] len, [12] eof | [4] code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read")
export declare function read(self: i32, length: u64, offset: u64, ret: usize): void;
/** result<option<directory-entry>, error-code>: [0] tag; [4] some; [8] type, [12] name ptr, [16] name len. */
@external("wasi:filesystem/types@0.2.0", "[method]directory-entry-stream.read-directory-entry")
export declare function readDirectoryEntry(self: i32, ret: usize): void;
/** result<list<u8>, stream-error>: [0] tag; [4] ptr, [8] len. */
@external("wasi:io/streams@0.2.0", "[method]input-stream.read")
export declare function inputRead(self: i32, len: u64, ret: usize): void;
@external("wasi:clocks/monotonic-clock@0.2.0", "subscribe-duration")
export declare function subscribeDuration(ns: u64): i32;
@external("wasi:clocks/monotonic-clock@0.2.0", "now")
export declare function monotonicNow(): u64;
/** list<u8>: [0] ptr, [4] len. */
@external("wasi:random/random@0.2.0", "get-random-bytes")
export declare function getRandomBytes(len: u64, ret: usize): void;
@external("wasi:io/poll@0.2.0", "[method]pollable.ready")
export declare function pollableReady(self: i32): i32;
