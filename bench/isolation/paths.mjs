// Where the isolation benchmark finds its inputs and keeps its build products. Everything built
// lives under <repo>/.cache/isolation (gitignored) so `setup.mjs` can be re-run cheaply.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above this file). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Build cache for bundles, kernel and initramfs. */
export const CACHE_DIR = join(REPO_ROOT, '.cache', 'isolation');
/** The function's source. */
export const FUNCTION_SOURCE = join(REPO_ROOT, 'bench', 'isolation', 'fn', 'classify.mjs');
/** The real digits model and its held-out inputs. */
export const MODEL_PATH = join(REPO_ROOT, 'models', 'digits.onnx');
export const DIGITS_LOADER = join(REPO_ROOT, 'models', 'digits-test.mjs');

/**
 * The minimal read-only tree every sandbox sees at /app: the function, the model and just the
 * parts of onnxruntime-node it loads (linux-x64 CPU binary only, not the 288 MB package).
 */
export const APP_DIR = join(CACHE_DIR, 'app');
/** Paths inside a sandbox. */
export const SANDBOX_APP = '/app';
export const SANDBOX_ARGS = ['/usr/bin/node', '/app/classify.mjs', '/app/digits.onnx'];

/** OCI bundle shared by crun, runc and runsc (its rootfs is read-only, so instances can share it). */
export const OCI_BUNDLE = join(CACHE_DIR, 'oci');
/** Per-runtime state directories (`--root`). */
export const OCI_STATE = join(CACHE_DIR, 'state');

/** QEMU guest: kernel and initramfs. */
export const VM_KERNEL = join(CACHE_DIR, 'vm', 'vmlinuz');
export const VM_INITRAMFS = join(CACHE_DIR, 'vm', 'initramfs.cpio');
/** The kernel's virtio console modules (not built in), copied into the initramfs. */
export const VM_MODULES = join(CACHE_DIR, 'vm', 'modules');
/** Stamp of the inputs each build product was made from (see setup.mjs). */
export const STAMP_FILE = join(CACHE_DIR, 'stamps.json');

/** Node binary used for every child (the same one that runs the benchmark). */
export const NODE_BINARY = process.execPath;
