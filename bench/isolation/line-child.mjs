// A running function instance reached over a child process's stdin/stdout, speaking the line
// protocol of fn/classify.mjs. Shared by every backend that spawns something.
import { spawn } from 'node:child_process';

const STDERR_TAIL_BYTES = 2000;

/**
 * Spawns `command args` and returns a backend Handle for it.
 * Responses are matched to requests by their leading id, so lines that are not responses (the
 * `ready` line, a VM's kernel messages) are ignored.
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string,string>, cwd?: string, onStop?: () => Promise<void> | void,
 *   stopSignal?: NodeJS.Signals, stopGraceMs?: number, closeStdinToStop?: boolean,
 *   holdUntilLine?: string }} [options] `holdUntilLine`: requests are queued until the child
 *   prints this line (a VM's serial line echoes and drops input until its /init configures it)
 * @returns {import('./backend.mjs').Handle}
 */
export function spawnLineChild(command, args, options = {}) {
  const { env = {}, cwd, onStop, stopSignal = 'SIGTERM', stopGraceMs = 2000, closeStdinToStop = true, holdUntilLine } = options;
  const child = spawn(command, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  /** @type {Map<string, { resolve: (line: string) => void, reject: (e: Error) => void }>} */
  const pending = new Map();
  let stderrTail = '';
  let exited = null;
  let buffered = '';
  /** @type {string[] | null} requests waiting for `holdUntilLine` */
  let held = holdUntilLine ? [] : null;

  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      const error = new Error(`${command} exited (${signal ?? code}) with ${pending.size} request(s) pending; stderr: ${stderrTail.trim().slice(-500)}`);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      resolve(exited);
    });
    child.on('error', (error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      exited = { code: -1, signal: null };
      resolve(exited);
    });
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES); });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      if (held && line.trim() === holdUntilLine) {
        for (const request of held) child.stdin.write(request);
        held = null;
        continue;
      }
      const id = line.slice(0, line.indexOf(' ') >>> 0);
      const waiter = pending.get(id);
      if (waiter) {
        pending.delete(id);
        waiter.resolve(line);
      }
    }
  });
  child.stdin.on('error', () => {}); // EPIPE after the child died is reported through 'exit'

  return {
    request(line) {
      if (exited) return Promise.reject(new Error(`${command} already exited; stderr: ${stderrTail.trim().slice(-500)}`));
      const id = line.slice(0, line.indexOf(' ') >>> 0);
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (held) held.push(`${line}\n`);
        else child.stdin.write(`${line}\n`);
      });
    },
    async stop() {
      if (!exited) {
        if (closeStdinToStop) child.stdin.end();
        else child.kill(stopSignal);
        const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, stopGraceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      await onStop?.();
    },
    pids() {
      return exited || child.pid === undefined ? [] : [child.pid];
    },
    stderr() {
      return stderrTail;
    },
  };
}
