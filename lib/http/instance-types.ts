/**
 * The `wasi:http/types` import objects: constructors that register what a guest constructs
 * (fields, responses, outgoing requests, request options) with an owner. Per instance
 * (`instanceHttpTypes(scope)`), the owner is the instance's scope: a reset or a discard releases
 * it, and per-instance caps count it. Shared by every instance (`sharedHttpTypes`), the owner is
 * the request whose `handle` call is running (`currentRequestOwner`), released when it ends.
 * The constructors build objects of the shared classes (see `owned`), so objects the host builds
 * (an incoming request's headers, an upstream response's) pass the glue's checks in every instance.
 */
import { RESOURCE_CONSTRUCTOR } from '../host/imports.js';
import { Fields } from './fields.js';
import { currentRequestOwner, type HttpResource, type ResourceOwner } from './resource.js';
import {
  FutureIncomingResponse, FutureTrailers, httpErrorCode, IncomingBody, IncomingRequest, IncomingResponse,
  OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam,
} from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResourceConstructor = new (...args: any[]) => HttpResource;

/**
 * A constructor for the import object: `new Owned(...args)` builds a plain `Base` and registers it
 * with `owner()`. `Owned.prototype` is `Base.prototype`, so `instanceof Owned` is the ordinary
 * prototype check and accepts every `Base` (those the host builds too), and what the guest
 * constructs is a `Base` of the same shape as the host's: the glue's `instanceof` needs no custom
 * `Symbol.hasInstance` call, and `Base`'s methods see one object shape, not one per owner.
 */
function owned<C extends ResourceConstructor>(Base: C, owner: () => ResourceOwner | undefined): C {
  // One parameter (the `wasi:http` constructors take at most one): a rest parameter and its spread
  // cost an array per construction, several per request.
  if (Base.length > 1) throw new TypeError(`owned(${Base.name}): constructors of more than one parameter are not supported`);
  const Owned = function (this: unknown, arg: unknown) {
    if (new.target === undefined) throw new TypeError(`Class constructor ${Base.name} cannot be invoked without 'new'`);
    return new Base(arg).adopt(owner());
  } as unknown as C;
  Object.defineProperty(Owned, 'name', { value: Base.name });
  Object.defineProperty(Owned, RESOURCE_CONSTRUCTOR, { value: true }); // not wrapped as a host function
  Owned.prototype = Base.prototype;
  Object.setPrototypeOf(Owned, Base); // statics (none of which construct) are inherited
  return Owned;
}

/** The `wasi:http/types` import object whose constructions `owner()` owns. */
function ownedHttpTypes(owner: () => ResourceOwner | undefined) {
  const OwnedFields = owned(Fields, owner);
  // `from-list` constructs: it must build owned fields, not inherit `Fields.fromList`.
  Object.defineProperty(OwnedFields, 'fromList', {
    writable: true, configurable: true,
    value: (entries: [string, Uint8Array][]): Fields => {
      const fields = new OwnedFields();
      for (const [name, value] of entries) fields.append(name, value);
      return fields;
    },
  });
  return {
    Fields: OwnedFields, OutgoingResponse: owned(OutgoingResponse, owner),
    OutgoingRequest: owned(OutgoingRequest, owner), RequestOptions: owned(RequestOptions, owner),
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
