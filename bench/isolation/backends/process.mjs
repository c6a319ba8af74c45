// `process`: the function as a plain child Node process. OS process isolation only (own address
// space, same user, same filesystem and network).
import { existsSync } from 'node:fs';
import { spawnLineChild } from '../line-child.mjs';
import { CLEAN_ENV } from './child-env.mjs';
import { FUNCTION_SOURCE, MODEL_PATH, NODE_BINARY } from '../paths.mjs';

/** @type {import('../backend.mjs').Backend} */
export const processBackend = {
  name: 'process',
  describe: 'child node process, same user and filesystem (address-space isolation only)',
  async available() {
    return existsSync(MODEL_PATH) ? null : `model missing: ${MODEL_PATH}`;
  },
  async start() {
    return spawnLineChild(NODE_BINARY, [FUNCTION_SOURCE, MODEL_PATH], { env: CLEAN_ENV });
  },
};
