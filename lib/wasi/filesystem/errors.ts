/**
 * Host failures → WASI `error-code`s. A guest only ever sees a code: never a host exception, a
 * message or a path. Our glue and jco's turn a thrown string into the `err` of the WIT result, so
 * every method throws exactly one of these codes (`throw fsError(e)`), and anything we do not
 * recognise is `io`.
 */
import { ERROR_CODES, type ErrorCode } from './types.js';

const KNOWN = new Set<string>(ERROR_CODES);

/** True for a string that is a WASI `error-code`. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}

const BY_ERRNO: Record<string, ErrorCode> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EWOULDBLOCK: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDEADLK: 'deadlock',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  EMSGSIZE: 'message-size',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOLCK: 'no-lock',
  ENOMEM: 'insufficient-memory',
  // The host process (or system) ran out of file descriptors: the same answer as our own cap.
  EMFILE: 'insufficient-memory',
  ENFILE: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTRECOVERABLE: 'not-recoverable',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  ENOSYS: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
};

/**
 * The `error-code` for anything a host call threw: a code we threw ourselves passes through, a
 * Node `fs` error maps by its errno name, everything else (a host bug, an argument Node rejected)
 * is `io`. Never looks at a message, which may name a host path.
 */
export function fsError(err: unknown): ErrorCode {
  if (isErrorCode(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && BY_ERRNO[code]) || 'io';
}
