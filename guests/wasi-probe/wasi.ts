// WASI 0.2.0 imports, declared by hand with their canonical-ABI core signatures (AssemblyScript
// has no WASI preview2 bindings). Resources are i32 handles; a result whose flattened form has
// more than one value is written to `ret`, a caller-provided buffer laid out as the canonical ABI
// says (discriminant byte first, payload at the payload's alignment).

// wasi:cli/environment: list<tuple<string,string>> / list<string> as (ptr, len) at ret.
@external("wasi:cli/environment@0.2.0", "get-environment")
export declare function getEnvironment(ret: usize): void;
@external("wasi:cli/environment@0.2.0", "get-arguments")
export declare function getArguments(ret: usize): void;

// wasi:cli/stdout, stderr: own<output-stream>.
@external("wasi:cli/stdout@0.2.0", "get-stdout")
export declare function getStdout(): i32;
@external("wasi:cli/stderr@0.2.0", "get-stderr")
export declare function getStderr(): i32;

// wasi:io/streams. result<_, stream-error> at ret: [0] 0=ok 1=err; [4] 0=last-operation-failed
// (own<error> at [8]) 1=closed.
@external("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush")
export declare function blockingWriteAndFlush(stream: i32, ptr: usize, len: usize, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[resource-drop]output-stream")
export declare function dropOutputStream(stream: i32): void;
@external("wasi:io/error@0.2.0", "[resource-drop]error")
export declare function dropIoError(error: i32): void;

// wasi:filesystem/preopens: list<tuple<own<descriptor>, string>> at ret; 12-byte elements
// (handle, name ptr, name len).
@external("wasi:filesystem/preopens@0.2.0", "get-directories")
export declare function getDirectories(ret: usize): void;

// wasi:filesystem/types. Flags are bit sets in an i32; error-code is an enum index.
/** path-flags */
export const SYMLINK_FOLLOW: i32 = 1;
/** open-flags */
export const OPEN_CREATE: i32 = 1, OPEN_DIRECTORY: i32 = 2, OPEN_TRUNCATE: i32 = 8;
/** descriptor-flags */
export const DESCRIPTOR_READ: i32 = 1, DESCRIPTOR_WRITE: i32 = 2;

/** result<own<descriptor>, error-code> at ret: [0] tag, [4] handle or error-code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.open-at")
export declare function openAt(self: i32, pathFlags: i32, pathPtr: usize, pathLen: usize, openFlags: i32, flags: i32, ret: usize): void;
/** result<descriptor-type, error-code> at ret: [0] tag, [1] descriptor-type or error-code (both u8). */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.get-type")
export declare function getType(self: i32, ret: usize): void;
/** descriptor-type */
export const TYPE_DIRECTORY: u8 = 3;
/** result<tuple<list<u8>, bool>, error-code> at ret: [0] tag, [4] ptr, [8] len, [12] eof; or [4] error-code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read")
export declare function descriptorRead(self: i32, length: u64, offset: u64, ret: usize): void;
/** result<filesize, error-code> at ret: [0] tag, [8] u64 written or error-code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.write")
export declare function descriptorWrite(self: i32, ptr: usize, len: usize, offset: u64, ret: usize): void;
/** result<own<directory-entry-stream>, error-code> at ret: [0] tag, [4] handle or error-code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read-directory")
export declare function readDirectory(self: i32, ret: usize): void;
/**
 * result<option<directory-entry>, error-code> at ret: [0] tag; ok: [4] option tag, [8] type,
 * [12] name ptr, [16] name len; err: [4] error-code.
 */
@external("wasi:filesystem/types@0.2.0", "[method]directory-entry-stream.read-directory-entry")
export declare function readDirectoryEntry(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[resource-drop]descriptor")
export declare function dropDescriptor(handle: i32): void;
@external("wasi:filesystem/types@0.2.0", "[resource-drop]directory-entry-stream")
export declare function dropDirectoryEntryStream(handle: i32): void;

/** The `wasi:filesystem/types` error-code names, by enum index. */
export const FILESYSTEM_ERROR_CODES: string[] = [
  'access', 'would-block', 'already', 'bad-descriptor', 'busy', 'deadlock', 'quota', 'exist',
  'file-too-large', 'illegal-byte-sequence', 'in-progress', 'interrupted', 'invalid', 'io',
  'is-directory', 'loop', 'too-many-links', 'message-size', 'name-too-long', 'no-device',
  'no-entry', 'no-lock', 'insufficient-memory', 'insufficient-space', 'not-directory',
  'not-empty', 'not-recoverable', 'unsupported', 'no-tty', 'no-such-device', 'overflow',
  'not-permitted', 'pipe', 'read-only', 'invalid-seek', 'text-file-busy', 'cross-device',
];

// wasi:clocks: datetime { seconds: u64 at [0], nanoseconds: u32 at [8] } at ret.
@external("wasi:clocks/wall-clock@0.2.0", "now")
export declare function wallClockNow(ret: usize): void;
@external("wasi:clocks/monotonic-clock@0.2.0", "now")
export declare function monotonicNow(): u64;

// wasi:random/random: list<u8> as (ptr, len) at ret.
@external("wasi:random/random@0.2.0", "get-random-bytes")
export declare function getRandomBytes(len: u64, ret: usize): void;
