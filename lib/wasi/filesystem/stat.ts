/** Host `fs.Stats` → `descriptor-type`, `descriptor-stat` and `metadata-hash-value`. */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type BigIntStats, type Stats } from 'node:fs';
import type { Datetime, DescriptorStat, DescriptorType, MetadataHashValue } from './types.js';

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK } = constants;

/** The `descriptor-type` of a file mode. */
export function typeOfMode(mode: number): DescriptorType {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'regular-file';
    case S_IFDIR: return 'directory';
    case S_IFLNK: return 'symbolic-link';
    case S_IFIFO: return 'fifo';
    case S_IFSOCK: return 'socket';
    case S_IFCHR: return 'character-device';
    case S_IFBLK: return 'block-device';
    default: return 'unknown';
  }
}

export function typeOfStats(s: Stats | BigIntStats): DescriptorType {
  return typeOfMode(Number(s.mode));
}

const NS = 1_000_000_000n;
function datetime(ns: bigint): Datetime {
  return { seconds: ns / NS, nanoseconds: Number(ns % NS) };
}

export function descriptorStat(s: BigIntStats): DescriptorStat {
  return {
    type: typeOfStats(s),
    linkCount: s.nlink,
    size: s.size,
    dataAccessTimestamp: datetime(s.atimeNs),
    dataModificationTimestamp: datetime(s.mtimeNs),
    statusChangeTimestamp: datetime(s.ctimeNs),
  };
}

/** Per-process key: hashes tell a guest whether two objects are the same, never their inode numbers. */
const KEY = randomBytes(32);

/** `metadata-hash`: a keyed hash of (device, inode), like Wasmtime's. */
export function metadataHash(s: BigIntStats): MetadataHashValue {
  const id = Buffer.alloc(16);
  id.writeBigUInt64LE(BigInt.asUintN(64, s.dev), 0);
  id.writeBigUInt64LE(BigInt.asUintN(64, s.ino), 8);
  const digest = createHash('sha256').update(KEY).update(id).digest();
  return { lower: digest.readBigUInt64LE(0), upper: digest.readBigUInt64LE(8) };
}

/** Seconds (Node's `utimes` unit) for a `new-timestamp`, given the current value in ns. */
export function timestampSeconds(ts: { tag: string; val?: Datetime }, currentNs: bigint | undefined): number {
  switch (ts?.tag) {
    case 'no-change': return Number(currentNs ?? 0n) / 1e9;
    case 'now': return Date.now() / 1000;
    case 'timestamp': {
      const { seconds, nanoseconds } = ts.val ?? ({} as Partial<Datetime>);
      if (typeof seconds !== 'bigint' || typeof nanoseconds !== 'number' || !(nanoseconds >= 0 && nanoseconds < 1e9)) throw 'invalid';
      if (seconds > BigInt(Number.MAX_SAFE_INTEGER)) throw 'overflow';
      return Number(seconds) + nanoseconds / 1e9;
    }
    default: throw 'invalid';
  }
}
