// Small checks backends use to say why they cannot run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLEAN_ENV } from './backends/child-env.mjs';

/** Absolute path of `command` on PATH, or null. */
export function which(command) {
  for (const dir of CLEAN_ENV.PATH.split(':')) {
    if (existsSync(`${dir}/${command}`)) return `${dir}/${command}`;
  }
  return null;
}

/**
 * Runs a short command; returns null on exit 0, else a one-line reason.
 * @param {string} command
 * @param {string[]} args
 * @param {number} [timeoutMs]
 */
export function probe(command, args, timeoutMs = 20000) {
  const result = spawnSync(command, args, { env: CLEAN_ENV, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) return `${command}: ${result.error.message}`;
  if (result.status === 0) return null;
  const detail = `${result.stderr}${result.stdout}`.trim().split('\n').slice(-2).join(' | ');
  return `${command} ${args.slice(0, 3).join(' ')}… exited ${result.status ?? result.signal}: ${detail}`;
}
