// The environment given to every child: nothing inherited. An inherited NODE_EXTRA_CA_CERTS alone
// adds ~34 ms to each Node start (PLATFORM.md), and sandboxes should not see the host's variables.

/** Minimal environment for sandbox launchers and the function. */
export const CLEAN_ENV = Object.freeze({ PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' });
