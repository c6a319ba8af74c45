// HTTP: serving functions (simple and wasi:http), outgoing HTTP for guests, metrics.
export {
  serve, createHandler, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MIN_BODY_BYTES_PER_SECOND, DEFAULT_BODY_READ_SHARE,
  type ServeOptions, type HandlerOptions, type HttpServer, type HttpHandler, type FunctionSource, type ServableFunction,
} from './serve.js';
export type { Route } from './routes.js';
export { BindFailedError, InvalidResponseError, InvalidRouteError, type InvalidResponseReason } from './errors.js';
export { wasiHttpImports, wasiHttpInstanceImports, type WasiHttpOptions } from './imports.js';
export { DEFAULT_OUTGOING, type OutgoingHttpPolicy } from './outgoing-policy.js';
export type { OutgoingStats } from './outgoing-handler.js';
export { isForbiddenHeader, MAX_FIELDS_BYTES, MAX_FIELDS_ENTRIES } from './header-policy.js';
export { MAX_LIVE_HTTP_RESOURCES } from './resource.js';
export { Metrics, LATENCY_WINDOW, type FunctionMetrics } from './metrics.js';
export { errorResponse, RETRY_AFTER_SECONDS, type ErrorResponse } from './status.js';
export { runIncomingHandler, INCOMING_HANDLER_EXPORT, type PlainResponse } from './incoming.js';
export type { PlainRequest } from './types.js';
