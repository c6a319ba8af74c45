// `vm` / `vm-serial`: the function in a QEMU microvm guest (Debian cloud kernel, initramfs with
// busybox, node, onnxruntime-node and the model), requests and responses over a virtio-console
// (`vm`) or the emulated 8250 serial line (`vm-serial`).
// Software-emulated (TCG): this machine's KVM is PVM and cannot run stock guest kernels
// (PLATFORM.md), so every guest instruction is translated — numbers are far slower than a
// hardware-virtualised microVM and must not be read as "VM cost".
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLineChild } from '../line-child.mjs';
import { CLEAN_ENV } from './child-env.mjs';
import { VM_INITRAMFS, VM_KERNEL } from '../paths.mjs';
import { which } from '../probe.mjs';

/** Firecracker's published boot time to guest user space (hardware virtualisation), for reference only. */
export const FIRECRACKER_PUBLISHED_BOOT_MS = 125;
/** Printed by the guest's /init once its console is raw and echo-free (see setup.mjs). */
export const GUEST_UP_LINE = 'sfirt-guest-up';
/** Guest memory: the 150 MB initramfs is unpacked into RAM, then node + onnxruntime run. */
const GUEST_MEMORY = '768M';
// tsc_early_khz avoids intermittent hangs calibrating the TSC under TCG; panic=-1 + -no-reboot
// make QEMU exit when /init (the function) exits.
const KERNEL_ARGS = 'console=ttyS0,115200 loglevel=0 quiet pci=off tsc_early_khz=2600000 reboot=t panic=-1 rdinit=/init';

/**
 * Opt-in diagnosis: with SFIRT_VM_CONSOLE_DIR set, each `vm` guest's serial line (kernel messages,
 * and the stderr of its /init and node, which otherwise go nowhere) is kept in a file there.
 */
const CONSOLE_DIR = process.env.SFIRT_VM_CONSOLE_DIR;
let consoleLogs = 0;

/** `-serial` for the virtio transport: none, or a fresh file under CONSOLE_DIR. */
function diagnosticSerial() {
  if (!CONSOLE_DIR) return { serial: 'none', append: '' };
  mkdirSync(CONSOLE_DIR, { recursive: true });
  const file = join(CONSOLE_DIR, `guest-${process.pid}-${Date.now()}-${++consoleLogs}.log`);
  return { serial: `file:${file}`, append: ' sfirt.stderr=ttyS0' };
}

/**
 * QEMU arguments for one guest.
 * @param {'virtio' | 'serial'} transport `virtio`: requests over a virtio-console (hvc0) on
 *   virtio-mmio; `serial`: over the emulated 8250 UART (ttyS0), which moves the 1 KB request in
 *   16-byte FIFO loads and adds ~100–300 ms per image under TCG here.
 */
export function qemuArgs(transport) {
  const machine = [
    '-M', 'microvm', '-accel', 'tcg', '-cpu', 'max', '-smp', '1', '-m', GUEST_MEMORY,
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', VM_KERNEL, '-initrd', VM_INITRAMFS,
  ];
  if (transport === 'serial') return [...machine, '-serial', 'stdio', '-append', KERNEL_ARGS];
  const { serial, append } = diagnosticSerial();
  return [
    ...machine, '-serial', serial,
    '-device', 'virtio-serial-device', '-chardev', 'stdio,id=fn', '-device', 'virtconsole,chardev=fn',
    '-append', `${KERNEL_ARGS} sfirt.console=hvc0${append}`,
  ];
}

/**
 * @param {'virtio' | 'serial'} transport
 * @returns {import('../backend.mjs').Backend}
 */
function vmBackendOver(transport) {
  return {
    name: transport === 'virtio' ? 'vm' : 'vm-serial',
    describe: `QEMU microvm, software-emulated (TCG), Debian cloud kernel + initramfs, ${transport === 'virtio' ? 'virtio-console' : '8250 serial console'}`,
    slow: true,
    optIn: transport === 'serial',
    note: `software-emulated (TCG; KVM here is PVM and rejects stock kernels), so not a measure of hardware VM cost; requests written before the guest's /init has made its console raw are held by the host until it prints "${GUEST_UP_LINE}"`,
    async available() {
      if (!which('qemu-system-x86_64')) return 'qemu-system-x86_64 not installed (apt-get install qemu-system-x86)';
      if (!existsSync(VM_KERNEL) || !existsSync(VM_INITRAMFS)) return 'guest kernel/initramfs not built: run node bench/isolation/setup.mjs';
      return null;
    },
    async start() {
      return spawnLineChild(which('qemu-system-x86_64') ?? 'qemu-system-x86_64', qemuArgs(transport), {
        env: CLEAN_ENV, holdUntilLine: GUEST_UP_LINE, closeStdinToStop: false, stopSignal: 'SIGTERM',
      });
    },
  };
}

/** The VM backend: requests over virtio-console. */
export const vmBackend = vmBackendOver('virtio');
/** The same guest reached over the emulated 8250 serial line (opt-in: name it explicitly). */
export const vmSerialBackend = vmBackendOver('serial');
