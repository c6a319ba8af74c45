#!/usr/bin/env node
// Prepares everything the isolation benchmark needs (`npm run bench:setup`):
//   1. Debian packages (bubblewrap, crun, runc, runsc, qemu, busybox, cpio) when missing;
//   2. the read-only /app tree (function + model + the linux-x64 part of onnxruntime-node);
//   3. the OCI bundle used by crun, runc and runsc;
//   4. the QEMU guest: Debian cloud kernel + an initramfs with busybox, node, its libraries and /app.
// Each product is rebuilt only when the hash of its inputs changes, so a second run takes ~1 s.
// Usage: node bench/isolation/setup.mjs [--no-apt] [--no-vm]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync,
  symlinkSync, writeFileSync, copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLEAN_ENV } from './backends/child-env.mjs';
import {
  APP_DIR, CACHE_DIR, FUNCTION_SOURCE, MODEL_PATH, NODE_BINARY, OCI_BUNDLE, REPO_ROOT, SANDBOX_ARGS,
  STAMP_FILE, VM_INITRAMFS, VM_KERNEL, VM_MODULES,
} from './paths.mjs';

/** Debian packages per command they provide. */
export const APT_PACKAGES = {
  bwrap: 'bubblewrap', crun: 'crun', runc: 'runc', runsc: 'runsc', 'qemu-system-x86_64': 'qemu-system-x86',
  busybox: 'busybox-static', cpio: 'cpio',
};
/** Debian 12's cloud kernel meta-package; its dependency names the versioned image package. */
const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64';
/** Bump when a recipe below changes, to force rebuilding. */
const RECIPE_VERSION = 4;

const ORT_NODE = join(REPO_ROOT, 'node_modules', 'onnxruntime-node');
const ORT_COMMON = join(REPO_ROOT, 'node_modules', 'onnxruntime-common');
const ORT_BIN = join('bin', 'napi-v6', 'linux', 'x64');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { env: CLEAN_ENV, maxBuffer: 1 << 30, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr?.toString().slice(-1000)}`);
  }
  return result.stdout;
}

function commandExists(command) {
  return CLEAN_ENV.PATH.split(':').some((dir) => existsSync(join(dir, command)));
}

function filesUnder(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => filesUnder(join(path, name)));
}

/** Content hash of files/directories plus extra strings. */
function hashInputs(paths, extra = []) {
  const hash = createHash('sha256');
  hash.update(`recipe ${RECIPE_VERSION}\n`);
  for (const item of extra) hash.update(`${item}\n`);
  for (const path of paths) {
    for (const file of filesUnder(path)) {
      hash.update(`${relative(REPO_ROOT, file)}\n`);
      hash.update(readFileSync(file));
    }
  }
  return hash.digest('hex');
}

function readStamps() {
  try {
    return JSON.parse(readFileSync(STAMP_FILE, 'utf8'));
  } catch {
    return {};
  }
}

/** Runs `build` unless the stamp for `name` matches `digest` and `outputs` exist. */
function buildIfChanged(name, digest, outputs, build, log) {
  const stamps = readStamps();
  if (stamps[name] === digest && outputs.every((p) => existsSync(p))) {
    log(`${name}: up to date`);
    return false;
  }
  const t0 = performance.now();
  build();
  writeFileSync(STAMP_FILE, `${JSON.stringify({ ...readStamps(), [name]: digest }, null, 2)}\n`);
  log(`${name}: built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}

function ensureAptPackages(log) {
  const missing = Object.entries(APT_PACKAGES).filter(([command]) => !commandExists(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) {
    log('apt: all packages present');
    return;
  }
  if (process.getuid?.() !== 0) {
    log(`apt: missing ${missing.join(' ')} (not root: install them yourself); continuing`);
    return;
  }
  log(`apt: installing ${missing.join(' ')}`);
  const env = { ...CLEAN_ENV, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env, stdio: 'inherit' });
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, stdio: 'inherit' });
}

/** The /app tree: exactly what `node /app/classify.mjs /app/digits.onnx` loads. */
function buildAppTree() {
  rmSync(APP_DIR, { recursive: true, force: true });
  mkdirSync(APP_DIR, { recursive: true });
  copyFileSync(FUNCTION_SOURCE, join(APP_DIR, 'classify.mjs'));
  copyFileSync(MODEL_PATH, join(APP_DIR, 'digits.onnx'));
  const nodeModules = join(APP_DIR, 'node_modules');
  for (const part of ['package.json', 'dist', ORT_BIN]) {
    cpSync(join(ORT_NODE, part), join(nodeModules, 'onnxruntime-node', part), { recursive: true });
  }
  for (const part of ['package.json', 'dist']) {
    cpSync(join(ORT_COMMON, part), join(nodeModules, 'onnxruntime-common', part), { recursive: true });
  }
}

/** Base OCI config from the runtime itself (`crun spec`, else `runc spec`). */
function baseSpec() {
  const dir = mkdtempSync(join(tmpdir(), 'sfirt-spec-'));
  try {
    const runtime = commandExists('crun') ? 'crun' : 'runc';
    run(runtime, ['spec'], { cwd: dir });
    return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * OCI bundle: empty read-only rootfs with mount points; /usr and /app bound read-only, tmpfs
 * /tmp, its own (empty) network namespace, no /sys/fs/cgroup mount, uid 65534, no capabilities.
 */
function buildOciBundle() {
  const spec = baseSpec();
  rmSync(OCI_BUNDLE, { recursive: true, force: true });
  const rootfs = join(OCI_BUNDLE, 'rootfs');
  for (const dir of ['usr', 'app', 'tmp', 'proc', 'dev', 'sys', 'etc']) mkdirSync(join(rootfs, dir), { recursive: true });
  symlinkSync('usr/lib', join(rootfs, 'lib'));
  symlinkSync('usr/lib64', join(rootfs, 'lib64'));
  symlinkSync('usr/bin', join(rootfs, 'bin'));
  spec.process.terminal = false;
  spec.process.args = SANDBOX_ARGS;
  spec.process.env = ['PATH=/usr/bin'];
  spec.process.cwd = '/app';
  spec.process.user = { uid: 65534, gid: 65534 };
  spec.process.capabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  spec.process.noNewPrivileges = true;
  spec.root = { path: 'rootfs', readonly: true };
  spec.hostname = 'fn';
  spec.mounts = spec.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
  const bindRo = (source, destination) => ({ destination, type: 'bind', source, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  spec.mounts.push(
    bindRo('/usr', '/usr'),
    bindRo(APP_DIR, '/app'),
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=16m'] },
  );
  // Namespaces: pid, network (empty: loopback only), ipc, uts, mount; keep what the spec has.
  const kinds = new Set(spec.linux.namespaces.map((n) => n.type));
  for (const type of ['pid', 'network', 'ipc', 'uts', 'mount']) if (!kinds.has(type)) spec.linux.namespaces.push({ type });
  delete spec.linux.resources; // cgroup limits are not part of this comparison (hybrid cgroups here)
  writeFileSync(join(OCI_BUNDLE, 'config.json'), `${JSON.stringify(spec, null, 2)}\n`);
}

/** Name of the versioned kernel image package behind the cloud meta-package. */
function cloudKernelPackage(log) {
  let out = '';
  try {
    out = run('apt-cache', ['depends', KERNEL_META_PACKAGE]).toString();
  } catch {
    // A fresh machine may have no package lists yet.
    log('vm: apt-get update (no package lists)');
    run('apt-get', ['update'], { env: { ...CLEAN_ENV, DEBIAN_FRONTEND: 'noninteractive' } });
    out = run('apt-cache', ['depends', KERNEL_META_PACKAGE]).toString();
  }
  const match = /Depends:\s+(linux-image-[^\s]+-cloud-amd64)/.exec(out);
  if (!match) throw new Error(`cannot find the kernel behind ${KERNEL_META_PACKAGE}: ${out}`);
  return match[1];
}

function buildKernel(pkg, log) {
  const work = mkdtempSync(join(tmpdir(), 'sfirt-kernel-'));
  try {
    log(`vm: apt-get download ${pkg}`);
    run('apt-get', ['download', pkg], { cwd: work });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    run('dpkg', ['-x', join(work, deb), join(work, 'x')]);
    const boot = join(work, 'x', 'boot');
    const image = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
    mkdirSync(dirname(VM_KERNEL), { recursive: true });
    copyFileSync(join(boot, image), VM_KERNEL);
    const release = image.slice('vmlinuz-'.length);
    const drivers = join(work, 'x', 'lib', 'modules', release, 'kernel', 'drivers');
    rmSync(VM_MODULES, { recursive: true, force: true });
    mkdirSync(VM_MODULES, { recursive: true });
    for (const module of VIRTIO_CONSOLE_MODULES) {
      const file = [join(drivers, 'virtio', `${module}.ko`), join(drivers, 'char', `${module}.ko`)].find((f) => existsSync(f));
      if (!file) throw new Error(`kernel module ${module}.ko not found in ${pkg}`);
      copyFileSync(file, join(VM_MODULES, `${module}.ko`));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Shared libraries `file` needs (absolute paths from ldd), plus the dynamic loader. */
function sharedLibraries(file) {
  const out = run('ldd', [file]).toString();
  const libs = [];
  for (const line of out.split('\n')) {
    const match = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match) libs.push(match[1]);
  }
  return libs;
}

/** virtio console modules in load order (each depends only on earlier ones). */
const VIRTIO_CONSOLE_MODULES = ['virtio_ring', 'virtio', 'virtio_mmio', 'virtio_console'];

/**
 * The guest's /init: mount the basics, pick the console the host talks on (kernel argument
 * `sfirt.console=hvc0` for virtio-console, else the 8250 serial line ttyS0), make it raw, then
 * run the function on it.
 */
const VM_INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
cmdline=" $(/bin/busybox cat /proc/cmdline) "
console=ttyS0
speed=115200
case "$cmdline" in *" sfirt.console=hvc0 "*) console=hvc0 speed= ;; esac
if [ "$console" = hvc0 ]; then
  for m in ${VIRTIO_CONSOLE_MODULES.join(' ')}; do /bin/busybox insmod /modules/$m.ko; done
  # The port is attached from a work item after insmod returns, and /dev/hvc0 exists before it is
  # usable: the hvc driver creates all its device nodes when the first port registers, and an open
  # before that port is in the driver's list fails with ENODEV. The redirection below then failed,
  # /init ended and QEMU exited 0 (6 of 44 boots under load here). So wait until it opens.
  i=0
  until /bin/busybox true 2>/dev/null </dev/hvc0 || [ $i -ge 1000 ]; do /bin/busybox usleep 10000; i=$((i+1)); done
fi
# Errors go nowhere unless the host asked for them on the serial line (sfirt.stderr=ttyS0, set by
# SFIRT_VM_CONSOLE_DIR in backends/vm.mjs; only with the virtio console, ttyS0 is free then).
err=/dev/null
case "$cmdline" in *" sfirt.stderr=ttyS0 "*) err=/dev/ttyS0 ;; esac
# Keep the console open from here on: its settings are applied to the open line, not reset by a
# later reopen. Raw and echo-free (hvc0 has no line speed to set), then announce that requests
# may be sent.
exec </dev/$console >/dev/$console 2>$err
/bin/busybox stty $speed raw -echo
echo sfirt-guest-up
cd /app
exec /usr/bin/node /app/classify.mjs /app/digits.onnx
`;

/** Initramfs (uncompressed newc cpio: decompressing under TCG would add seconds to each boot). */
function buildInitramfs() {
  const root = mkdtempSync(join(tmpdir(), 'sfirt-initramfs-'));
  try {
    for (const dir of ['bin', 'proc', 'sys', 'dev', 'tmp', 'usr/bin']) mkdirSync(join(root, dir), { recursive: true });
    copyFileSync('/usr/bin/busybox', join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    symlinkSync('busybox', join(root, 'bin', 'sh'));
    copyFileSync(NODE_BINARY, join(root, 'usr', 'bin', 'node'));
    chmodSync(join(root, 'usr', 'bin', 'node'), 0o755);
    const ortBinary = join(APP_DIR, 'node_modules', 'onnxruntime-node', ORT_BIN);
    const libs = new Set([
      ...sharedLibraries(NODE_BINARY),
      ...readdirSync(ortBinary).flatMap((f) => sharedLibraries(join(ortBinary, f))),
    ]);
    for (const lib of libs) {
      if (lib.startsWith(APP_DIR)) continue; // libonnxruntime comes with /app
      const target = join(root, lib);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(lib, target);
    }
    // Debian's loader path is /lib64/ld-linux-x86-64.so.2 → keep the usrmerge symlinks.
    for (const [link, to] of [['lib', 'usr/lib'], ['lib64', 'usr/lib64']]) {
      if (existsSync(join(root, link))) {
        cpSync(join(root, link), join(root, to), { recursive: true });
        rmSync(join(root, link), { recursive: true });
      }
      mkdirSync(join(root, to), { recursive: true });
      symlinkSync(to, join(root, link));
    }
    cpSync(APP_DIR, join(root, 'app'), { recursive: true });
    cpSync(VM_MODULES, join(root, 'modules'), { recursive: true });
    writeFileSync(join(root, 'init'), VM_INIT, { mode: 0o755 });
    // Sorted file list + fixed mtimes: the archive is reproducible.
    const list = run('find', ['.', '-mindepth', '1'], { cwd: root }).toString().trim().split('\n').sort().join('\n');
    run('touch', ['-h', '-d', '@0', ...list.split('\n')], { cwd: root });
    const cpio = run('cpio', ['--quiet', '-o', '-H', 'newc', '--owner=0:0', '--reproducible'], { cwd: root, input: `${list}\n` });
    mkdirSync(dirname(VM_INITRAMFS), { recursive: true });
    writeFileSync(VM_INITRAMFS, cpio);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Builds whatever is missing or stale.
 * @param {{ apt?: boolean, vm?: boolean, log?: (msg: string) => void }} [options]
 */
export async function setupIsolation({ apt = true, vm = true, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  mkdirSync(CACHE_DIR, { recursive: true });
  if (apt) ensureAptPackages(log);
  if (!existsSync(MODEL_PATH)) throw new Error(`model missing: ${MODEL_PATH} (train it first: models/)`);
  const appInputs = [FUNCTION_SOURCE, MODEL_PATH, join(ORT_NODE, 'package.json'), join(ORT_NODE, 'dist'),
    join(ORT_NODE, ORT_BIN), join(ORT_COMMON, 'package.json'), join(ORT_COMMON, 'dist')];
  const appDigest = hashInputs(appInputs);
  buildIfChanged('app', appDigest, [join(APP_DIR, 'classify.mjs')], buildAppTree, log);
  if (commandExists('crun') || commandExists('runc')) {
    buildIfChanged('oci', hashInputs([], [appDigest, APP_DIR, OCI_BUNDLE]), [join(OCI_BUNDLE, 'config.json')], buildOciBundle, log);
  } else {
    log('oci: neither crun nor runc installed; bundle not built');
  }
  if (!vm) return;
  if (!commandExists('apt-get') || !commandExists('busybox') || !commandExists('cpio')) {
    log('vm: needs apt-get, busybox and cpio; guest not built');
    return;
  }
  const kernelPackage = cloudKernelPackage(log);
  buildIfChanged('kernel', hashInputs([], [kernelPackage, ...VIRTIO_CONSOLE_MODULES]), [VM_KERNEL, VM_MODULES], () => buildKernel(kernelPackage, log), log);
  const initDigest = hashInputs([NODE_BINARY, '/usr/bin/busybox', VM_MODULES], [appDigest, VM_INIT]);
  buildIfChanged('initramfs', initDigest, [VM_INITRAMFS], buildInitramfs, log);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const t0 = performance.now();
  await setupIsolation({ apt: !args.includes('--no-apt'), vm: !args.includes('--no-vm') });
  process.stderr.write(`setup done in ${((performance.now() - t0) / 1000).toFixed(1)} s (${relative(process.cwd(), CACHE_DIR) || CACHE_DIR})\n`);
}
