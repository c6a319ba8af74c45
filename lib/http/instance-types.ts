/**
 * Per-instance `wasi:http/types` constructors: what a guest constructs (fields, responses,
 * outgoing requests, request options) is registered with its instance's scope, so a reset or a
 * discard releases it and per-instance caps count it. The constructors are subclasses whose
 * `instanceof` accepts every object of the shared class, so objects the host builds (an incoming
 * request, the headers of a response from upstream) pass the glue's checks in every instance.
 */
import { Fields } from './fields.js';
import type { ResourceOwner } from './resource.js';
import {
  FutureIncomingResponse, FutureTrailers, httpErrorCode, IncomingBody, IncomingRequest, IncomingResponse,
  OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam, wasiHttpTypes,
} from './types.js';

/** The `wasi:http/types` import object of one instance, whose constructions `owner` tracks. */
export function instanceHttpTypes(owner: ResourceOwner): typeof wasiHttpTypes {
  class InstanceFields extends Fields {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof Fields; }
    constructor() {
      super();
      this.adopt(owner);
    }
    static override fromList(entries: [string, Uint8Array][]): Fields {
      const fields = new InstanceFields();
      for (const [name, value] of entries) fields.append(name, value);
      return fields;
    }
  }
  class InstanceOutgoingResponse extends OutgoingResponse {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof OutgoingResponse; }
    constructor(headers: Fields) {
      super(headers);
      this.adopt(owner);
    }
  }
  class InstanceOutgoingRequest extends OutgoingRequest {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof OutgoingRequest; }
    constructor(headers: Fields) {
      super(headers);
      this.adopt(owner);
    }
  }
  class InstanceRequestOptions extends RequestOptions {
    static override [Symbol.hasInstance](value: unknown): boolean { return value instanceof RequestOptions; }
    constructor() {
      super();
      this.adopt(owner);
    }
  }
  return {
    Fields: InstanceFields, OutgoingResponse: InstanceOutgoingResponse, OutgoingRequest: InstanceOutgoingRequest,
    RequestOptions: InstanceRequestOptions,
    IncomingRequest, IncomingBody, FutureTrailers, OutgoingBody, ResponseOutparam, IncomingResponse, FutureIncomingResponse,
    httpErrorCode,
  };
}
