// `bubblewrap`: the function in new user/pid/net/ipc/uts/cgroup/mount namespaces, seeing only a
// read-only /usr and the /app tree, with an empty environment.
import { existsSync } from 'node:fs';
import { spawnLineChild } from '../line-child.mjs';
import { CLEAN_ENV } from './child-env.mjs';
import { APP_DIR, SANDBOX_APP, SANDBOX_ARGS } from '../paths.mjs';
import { probe, which } from '../probe.mjs';

/** bwrap arguments that build the sandbox; `command` runs inside it. */
export function bubblewrapArgs(command) {
  return [
    '--unshare-all', // user, ipc, pid, net, uts, cgroup (if possible)
    '--die-with-parent', '--new-session', '--clearenv', '--setenv', 'PATH', '/usr/bin',
    '--uid', '65534', '--gid', '65534',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin',
    '--ro-bind', APP_DIR, SANDBOX_APP,
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
    '--chdir', SANDBOX_APP,
    ...command,
  ];
}

/** @type {import('../backend.mjs').Backend} */
export const bubblewrapBackend = {
  name: 'bubblewrap',
  describe: 'bwrap: new user/pid/net/ipc/uts/cgroup/mount namespaces, read-only /usr + /app, empty env',
  async available() {
    const bwrap = which('bwrap');
    if (!bwrap) return 'bwrap not installed (apt-get install bubblewrap)';
    if (!existsSync(`${APP_DIR}/classify.mjs`)) return 'app tree not built: run node bench/isolation/setup.mjs';
    return probe(bwrap, bubblewrapArgs(['/usr/bin/true']));
  },
  async start() {
    return spawnLineChild(which('bwrap') ?? 'bwrap', bubblewrapArgs(SANDBOX_ARGS), { env: CLEAN_ENV });
  },
};
