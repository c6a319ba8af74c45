// `crun`, `runc` and `gvisor`: the same OCI bundle (see setup.mjs) run by three runtimes.
// Containers share the kernel (crun, runc) or run on gVisor's user-space kernel (runsc, ptrace).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLineChild } from '../line-child.mjs';
import { CLEAN_ENV } from './child-env.mjs';
import { OCI_BUNDLE, OCI_STATE } from '../paths.mjs';
import { probe, which } from '../probe.mjs';

// crun refuses hybrid cgroups (v1 controllers + cgroup2 at /sys/fs/cgroup/unified, as here).
// Hiding the cgroup2 mount in a private mount namespace makes it use plain v1.
const HYBRID_CGROUP2 = '/sys/fs/cgroup/unified';

function isHybridCgroups() {
  return existsSync(`${HYBRID_CGROUP2}/cgroup.controllers`);
}

/** Launch command for one container of `runtime` named `id`. */
function ociCommand(runtime, id) {
  const root = join(OCI_STATE, runtime);
  mkdirSync(root, { recursive: true });
  const binary = which(runtime === 'gvisor' ? 'runsc' : runtime) ?? runtime;
  if (runtime === 'gvisor') {
    // Debian's runsc (2022-12) works only on ptrace; no iptables here, so no network at all.
    return [binary, ['--root', root, '--platform=ptrace', '--network=none', 'run', '--bundle', OCI_BUNDLE, id]];
  }
  const run = [binary, '--root', root, 'run', '--bundle', OCI_BUNDLE, id];
  if (runtime === 'crun' && isHybridCgroups()) {
    const script = `umount ${HYBRID_CGROUP2} 2>/dev/null; exec "$@"`;
    return [which('unshare') ?? 'unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...run]];
  }
  return [run[0], run.slice(1)];
}

/** Removes a container left behind (after a forced stop). */
function forceDelete(runtime, id) {
  const root = join(OCI_STATE, runtime);
  const binary = which(runtime === 'gvisor' ? 'runsc' : runtime) ?? runtime;
  spawnSync(binary, ['--root', root, 'delete', '--force', id], { env: CLEAN_ENV, stdio: 'ignore', timeout: 10000 });
}

/**
 * @param {'crun' | 'runc' | 'gvisor'} runtime
 * @param {string} describe
 * @returns {import('../backend.mjs').Backend}
 */
function ociBackend(runtime, describe) {
  const binaryName = runtime === 'gvisor' ? 'runsc' : runtime;
  const aptName = { crun: 'crun', runc: 'runc', gvisor: 'runsc' }[runtime];
  let checked = null;
  return {
    name: runtime,
    describe,
    async available() {
      checked ??= (async () => {
        if (!which(binaryName)) return `${binaryName} not installed (apt-get install ${aptName})`;
        if (process.getuid?.() !== 0) return `${binaryName} needs root here (rootless containers not set up)`;
        if (!existsSync(join(OCI_BUNDLE, 'config.json'))) return 'OCI bundle not built: run node bench/isolation/setup.mjs';
        // A real start of the bundle with a trivial command proves the runtime works on this host.
        const id = `sfirt-probe-${randomBytes(4).toString('hex')}`;
        const [command, args] = ociCommand(runtime, id);
        const reason = probe(command, args, 60000);
        forceDelete(runtime, id);
        return reason;
      })();
      return checked;
    },
    async start() {
      const id = `sfirt-${runtime}-${process.pid}-${randomBytes(4).toString('hex')}`;
      const [command, args] = ociCommand(runtime, id);
      return spawnLineChild(command, args, { env: CLEAN_ENV, onStop: () => forceDelete(runtime, id) });
    },
  };
}

/** crun: OCI runtime in C. */
export const crunBackend = ociBackend('crun', 'crun (OCI, C): pid/net/ipc/uts/mount namespaces, read-only bundle, uid 65534, no caps');
/** runc: the reference OCI runtime in Go. */
export const runcBackend = ociBackend('runc', 'runc (OCI, Go): same bundle as crun');
/** gVisor: user-space kernel intercepting syscalls (ptrace platform on this host). */
export const gvisorBackend = ociBackend('gvisor', 'gVisor runsc, ptrace platform, --network=none: same bundle, syscalls served by a user-space kernel');
