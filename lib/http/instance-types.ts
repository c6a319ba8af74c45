/**
 * The `wasi:http/types` import objects: constructors that register what a guest constructs
 * (fields, responses, outgoing requests, request options) with an owner. Per instance
 * (`instanceHttpTypes(scope)`), the owner is the instance's scope: a reset or a discard releases
 * it, and per-instance caps count it. Shared by every instance (`sharedHttpTypes`), the owner is
 * the request whose `handle` call is running (`currentRequestOwner`), released when it ends.
 * The constructors are subclasses whose `instanceof` accepts every object of the shared class, so
 * objects the host builds (an incoming request's headers, an upstream response's) pass the
 * glue's checks in every instance.
 */
import { Fields } from './fields.js';
import { currentRequestOwner, type ResourceOwner } from './resource.js';
import {
  FutureIncomingResponse, FutureTrailers, httpErrorCode, IncomingBody, IncomingRequest, IncomingResponse,
  OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam,
} from './types.js';

/** The `wasi:http/types` import object whose constructions `owner()` owns. */
function ownedHttpTypes(owner: () => ResourceOwner | undefined) {
  class OwnedFields extends Fields {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof Fields; }
    constructor() {
      super();
      this.adopt(owner());
    }
    static override fromList(entries: [string, Uint8Array][]): Fields {
      const fields = new OwnedFields();
      for (const [name, value] of entries) fields.append(name, value);
      return fields;
    }
  }
  class OwnedOutgoingResponse extends OutgoingResponse {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof OutgoingResponse; }
    constructor(headers: Fields) {
      super(headers);
      this.adopt(owner());
    }
  }
  class OwnedOutgoingRequest extends OutgoingRequest {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof OutgoingRequest; }
    constructor(headers: Fields) {
      super(headers);
      this.adopt(owner());
    }
  }
  class OwnedRequestOptions extends RequestOptions {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof RequestOptions; }
    constructor() {
      super();
      this.adopt(owner());
    }
  }
  return {
    Fields: OwnedFields as typeof Fields, OutgoingResponse: OwnedOutgoingResponse as typeof OutgoingResponse,
    OutgoingRequest: OwnedOutgoingRequest as typeof OutgoingRequest, RequestOptions: OwnedRequestOptions as typeof RequestOptions,
    IncomingRequest, IncomingBody, FutureTrailers, OutgoingBody, ResponseOutparam, IncomingResponse, FutureIncomingResponse,
    httpErrorCode,
  };
}

/** The `wasi:http/types` import object of one instance, whose constructions `scope` tracks. */
export function instanceHttpTypes(scope: ResourceOwner): ReturnType<typeof ownedHttpTypes> {
  return ownedHttpTypes(() => scope);
}

/** The `wasi:http/types` import object shared by every instance: constructions belong to the running request. */
export const sharedHttpTypes = ownedHttpTypes(() => currentRequestOwner);
