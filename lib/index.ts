// The public entry of `sfirt`: the API a user programs against, listed name by name (no `export *`),
// so internals — the error wire codec, HTTP plumbing, limits' per-thread state — never leak into
// it. test/index.test.mjs checks both directions: every error class is here, no internal is.
export { createRuntime, Runtime, type RuntimeOptions, type FunctionOptions } from './runtime.js';
export { SfiFunction, type Invocation, type CallStats, type InvokeOptions } from './invoke/function.js';
export { ResourceHandle } from './invoke/handles.js';
export { DEFAULT_LIMITS, type Limits } from './invoke/limits.js';
export type { ComponentSource } from './component/source.js';
export type { PoolOptions, PoolMode } from './pool/pool.js';
export type { WasiOptions } from './wasi/policy.js';
export type { PreopenGrant } from './wasi/filesystem/index.js';
export type { StdioMode } from './wasi/stdio.js';
export type { HostImports } from './host/imports.js';
export { asyncImport } from './host/async.js';

// Errors: one class per stable `code` (lib/errors.ts holds them all, with the registry).
export {
  SfiError, NotAComponentError, InvalidComponentError, InvalidModuleError, MissingImportError, UnknownExportError,
  UnknownFunctionError, InvalidArgumentError, InvalidHandleError, TrapError, GuestExitError, HostFunctionError,
  FuelExhaustedError, DeadlineExceededError, MemoryLimitExceededError, ResultLimitExceededError, InvalidManifestError,
  LimitTooLowError, OverloadedError, BackendUnavailableError, NnError, WorkerCrashedError, ClosedError, InternalError,
  InvalidResponseError, InvalidRouteError, AsyncUnsupportedError, BindFailedError,
  type SfiErrorCode, type InvalidHandleReason, type TrapKind, type NnErrorCode, type InvalidResponseReason,
} from './errors.js';
export type { NnBackend } from './nn/engine.js';

// HTTP: `runtime.serve()` is the server; these are for apps that own theirs or grant guests wasi:http.
export { createHandler, type ServeOptions, type HandlerOptions, type HttpServer, type HttpHandler } from './http/serve.js';
export type { Route } from './http/routes.js';
export { wasiHttpImports, type WasiHttpOptions } from './http/imports.js';
export { DEFAULT_OUTGOING, type OutgoingHttpPolicy } from './http/outgoing-policy.js';
export type { OutgoingStats } from './http/outgoing-handler.js';
export type { FunctionMetrics } from './http/metrics.js';

// Multi-core: function pools on worker threads.
export {
  createWorkerRuntime, WorkerRuntime, WorkerFunction, DEFAULT_WORKER_RESOURCE_LIMITS,
  type WorkerRuntimeOptions, type WorkerFunctionOptions,
} from './workers/worker-runtime.js';
export type { WorkerHttpServer, WorkerServeStats } from './workers/worker-serve.js';

// Manifests (sfirt.json), typed functions, inspection and guest builds.
export type { LoadedManifest } from './manifest/load.js';
export type { Manifest, ManifestFunction, ManifestBuild, ManifestNn, ManifestServer } from './manifest/types.js';
export { readManifest } from './manifest/read.js';
export type { TypedFunction, WitResult } from './typed.js';
export { describeComponent, type ComponentDescription, type DescribedFunction, type DescribedImport, type ImportProvider } from './component/describe.js';
export { buildGuest, type GuestBuild, type GuestLanguage } from './guest/build.js';
