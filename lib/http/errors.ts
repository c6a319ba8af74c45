import { SfiError } from '../errors.js';

/**
 * A `wasi:http` guest's response the host refuses to send: no response set, an `error-code`
 * set, a body that disagrees with its declared `content-length`, an informational (1xx) status,
 * a body on a 204/304, or headers past the size cap. The client gets a 500 of the server's own;
 * `reason` says which (never sent to the client).
 */
export class InvalidResponseError extends SfiError {
  override readonly code = 'INVALID_RESPONSE';
  constructor(readonly reason: InvalidResponseReason, message: string) {
    super(message);
    this.name = 'InvalidResponseError';
  }
}

/** Why a guest's response was refused. */
export type InvalidResponseReason =
  | 'no-response' | 'error-code' | 'content-length-mismatch' | 'invalid-content-length'
  | 'informational-status' | 'body-not-allowed' | 'headers-too-large' | 'body-too-large' | 'body-not-finished';

/**
 * A route that can never be served: its function is not loaded, its export does not exist or does
 * not fit the route kind (a simple route needs one `string`/`list<u8>` parameter or none; a
 * `wasi-http` route a `wasi:http/incoming-handler` export). Thrown by `serve()`/`createHandler()`
 * at start; a function reloaded later with another shape answers 500 with this code.
 */
export class InvalidRouteError extends SfiError {
  override readonly code = 'INVALID_ROUTE';
  constructor(readonly route: string, message: string) {
    super(`route ${route}: ${message}`);
    this.name = 'InvalidRouteError';
  }
}
