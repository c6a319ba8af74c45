// Multi-core: function pools on worker threads.
export { createWorkerRuntime, WorkerRuntime, WorkerFunction, DEFAULT_MAX_PENDING_PER_WORKER, DEFAULT_WORKER_RESOURCE_LIMITS, type WorkerRuntimeOptions, type WorkerFunctionOptions } from './worker-runtime.js';
export { WorkerCrashedError } from './errors.js';
