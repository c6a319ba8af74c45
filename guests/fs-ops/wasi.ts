// The WASI 0.2.0 imports the fs-ops guest calls, with their canonical-ABI core signatures.
// Resources are i32 handles; results that flatten to more than one value are written to `ret`
// (layouts in the comments: byte offsets from `ret`).

// ---- wasi:filesystem/preopens -------------------------------------------------------------------
/** list<tuple<own<descriptor>, string>>: [0] ptr, [4] len; 12-byte elements (handle, name ptr, name len). */
@external("wasi:filesystem/preopens@0.2.0", "get-directories")
export declare function getDirectories(ret: usize): void;

// ---- wasi:filesystem/types: descriptor ------------------------------------------------------------
// result<own<R>, error-code>: [0] tag, [4] handle | code.
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read-via-stream")
export declare function readViaStream(self: i32, offset: u64, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.write-via-stream")
export declare function writeViaStream(self: i32, offset: u64, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.append-via-stream")
export declare function appendViaStream(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.open-at")
export declare function openAt(self: i32, pathFlags: i32, path: usize, pathLen: usize, openFlags: i32, flags: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read-directory")
export declare function readDirectory(self: i32, ret: usize): void;

// result<_, error-code> and result<u8-sized, error-code>: [0] tag, [1] value | code.
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.advise")
export declare function advise(self: i32, offset: u64, length: u64, advice: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.sync-data")
export declare function syncData(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.sync")
export declare function sync(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.get-flags")
export declare function getFlags(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.get-type")
export declare function getType(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.set-size")
export declare function setSize(self: i32, size: u64, ret: usize): void;
/** new-timestamp flattens to (tag, seconds, nanoseconds). */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.set-times")
export declare function setTimes(self: i32, aTag: i32, aSec: u64, aNs: u32, mTag: i32, mSec: u64, mNs: u32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.create-directory-at")
export declare function createDirectoryAt(self: i32, path: usize, pathLen: usize, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.set-times-at")
export declare function setTimesAt(self: i32, pathFlags: i32, path: usize, pathLen: usize, aTag: i32, aSec: u64, aNs: u32, mTag: i32, mSec: u64, mNs: u32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.link-at")
export declare function linkAt(self: i32, oldFlags: i32, oldPath: usize, oldLen: usize, newDescriptor: i32, newPath: usize, newLen: usize, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.remove-directory-at")
export declare function removeDirectoryAt(self: i32, path: usize, pathLen: usize, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.rename-at")
export declare function renameAt(self: i32, oldPath: usize, oldLen: usize, newDescriptor: i32, newPath: usize, newLen: usize, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.symlink-at")
export declare function symlinkAt(self: i32, target: usize, targetLen: usize, path: usize, pathLen: usize, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.unlink-file-at")
export declare function unlinkFileAt(self: i32, path: usize, pathLen: usize, ret: usize): void;

/** result<tuple<list<u8>, bool>, error-code>: [0] tag; [4] ptr, [8] len, [12] eof | [4] code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read")
export declare function read(self: i32, length: u64, offset: u64, ret: usize): void;
/** result<filesize, error-code>: [0] tag, [8] u64 | code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.write")
export declare function write(self: i32, buf: usize, len: usize, offset: u64, ret: usize): void;
/**
 * result<descriptor-stat, error-code>: [0] tag; [8] type, [16] link-count, [24] size, then three
 * option<datetime> at [32], [56], [80] (tag, seconds at +8, nanoseconds at +16) | [8] code.
 */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.stat")
export declare function stat(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.stat-at")
export declare function statAt(self: i32, pathFlags: i32, path: usize, pathLen: usize, ret: usize): void;
/** result<string, error-code>: [0] tag; [4] ptr, [8] len | [4] code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.readlink-at")
export declare function readlinkAt(self: i32, path: usize, pathLen: usize, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.is-same-object")
export declare function isSameObject(self: i32, other: i32): i32;
/** result<metadata-hash-value, error-code>: [0] tag; [8] lower, [16] upper | [8] code. */
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.metadata-hash")
export declare function metadataHash(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.metadata-hash-at")
export declare function metadataHashAt(self: i32, pathFlags: i32, path: usize, pathLen: usize, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[resource-drop]descriptor")
export declare function dropDescriptor(handle: i32): void;

// ---- wasi:filesystem/types: directory-entry-stream, errors ----------------------------------------
/** result<option<directory-entry>, error-code>: [0] tag; [4] some, [8] type, [12] name ptr, [16] len | [4] code. */
@external("wasi:filesystem/types@0.2.0", "[method]directory-entry-stream.read-directory-entry")
export declare function readDirectoryEntry(self: i32, ret: usize): void;
@external("wasi:filesystem/types@0.2.0", "[resource-drop]directory-entry-stream")
export declare function dropDirectoryEntryStream(handle: i32): void;
/** option<error-code>: [0] some, [1] code. */
@external("wasi:filesystem/types@0.2.0", "filesystem-error-code")
export declare function filesystemErrorCode(error: i32, ret: usize): void;

// ---- wasi:io/streams, wasi:io/error ------------------------------------------------------------------
// stream-error: tag 0 = last-operation-failed(own<error>), 1 = closed.
/** result<list<u8>, stream-error>: [0] tag; [4] ptr, [8] len | [4] stream-error tag, [8] error handle. */
@external("wasi:io/streams@0.2.0", "[method]input-stream.read")
export declare function inputRead(self: i32, len: u64, ret: usize): void;
/** result<u64, stream-error>: [0] tag; [8] u64 | [8] stream-error tag, [12] error handle. */
@external("wasi:io/streams@0.2.0", "[method]input-stream.skip")
export declare function inputSkip(self: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.check-write")
export declare function outputCheckWrite(self: i32, ret: usize): void;
/** result<_, stream-error>: [0] tag; [4] stream-error tag, [8] error handle. */
@external("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush")
export declare function outputWrite(self: i32, buf: usize, len: usize, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.write-zeroes")
export declare function outputWriteZeroes(self: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[resource-drop]input-stream")
export declare function dropInputStream(handle: i32): void;
@external("wasi:io/streams@0.2.0", "[resource-drop]output-stream")
export declare function dropOutputStream(handle: i32): void;
@external("wasi:io/error@0.2.0", "[resource-drop]error")
export declare function dropError(handle: i32): void;
