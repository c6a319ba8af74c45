// wasi:http@0.2.0 and wasi:io@0.2.0 imports, declared by hand with their canonical-ABI core
// signatures (checked against the core module wasm-tools expects for world.wit). Resources are
// i32 handles; a result whose flattened form has more than one value is written to `ret`, laid
// out as the canonical ABI says: discriminant first, payload at the payload's alignment.

// fields
@external("wasi:http/types@0.2.0", "[constructor]fields")
export declare function newFields(): i32;
/** `entries`: list<tuple<string, list<u8>>> (16 bytes each); result<fields, header-error> at ret: [0] tag, [4] handle or error. */
@external("wasi:http/types@0.2.0", "[static]fields.from-list")
export declare function fieldsFromList(entries: usize, len: usize, ret: usize): void;
/** list<list<u8>> at ret: (ptr, len), elements (ptr, len). */
@external("wasi:http/types@0.2.0", "[method]fields.get")
export declare function fieldsGet(fields: i32, namePtr: usize, nameLen: usize, ret: usize): void;
/** result<_, header-error> at ret. */
@external("wasi:http/types@0.2.0", "[method]fields.append")
export declare function fieldsAppend(fields: i32, namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize, ret: usize): void;
@external("wasi:http/types@0.2.0", "[resource-drop]fields")
export declare function dropFields(fields: i32): void;

// incoming-request
/** method at ret: [0] case, [4] ptr, [8] len for `other`. */
@external("wasi:http/types@0.2.0", "[method]incoming-request.method")
export declare function requestMethod(request: i32, ret: usize): void;
/** option<string> at ret: [0] tag, [4] ptr, [8] len. */
@external("wasi:http/types@0.2.0", "[method]incoming-request.path-with-query")
export declare function requestPathWithQuery(request: i32, ret: usize): void;
@external("wasi:http/types@0.2.0", "[method]incoming-request.headers")
export declare function requestHeaders(request: i32): i32;
/** result<incoming-body> at ret: [0] tag, [4] handle. */
@external("wasi:http/types@0.2.0", "[method]incoming-request.consume")
export declare function requestConsume(request: i32, ret: usize): void;
@external("wasi:http/types@0.2.0", "[resource-drop]incoming-request")
export declare function dropIncomingRequest(request: i32): void;

// incoming-body
/** result<input-stream> at ret: [0] tag, [4] handle. */
@external("wasi:http/types@0.2.0", "[method]incoming-body.stream")
export declare function incomingBodyStream(body: i32, ret: usize): void;
@external("wasi:http/types@0.2.0", "[resource-drop]incoming-body")
export declare function dropIncomingBody(body: i32): void;

// outgoing-response / outgoing-body / response-outparam
@external("wasi:http/types@0.2.0", "[constructor]outgoing-response")
export declare function newOutgoingResponse(headers: i32): i32;
@external("wasi:http/types@0.2.0", "[method]outgoing-response.set-status-code")
export declare function setStatusCode(response: i32, status: i32): i32;
/** result<outgoing-body> at ret: [0] tag, [4] handle. */
@external("wasi:http/types@0.2.0", "[method]outgoing-response.body")
export declare function responseBody(response: i32, ret: usize): void;
/** result<output-stream> at ret: [0] tag, [4] handle. */
@external("wasi:http/types@0.2.0", "[method]outgoing-body.write")
export declare function outgoingBodyWrite(body: i32, ret: usize): void;
/** result<_, error-code> at ret. */
@external("wasi:http/types@0.2.0", "[static]outgoing-body.finish")
export declare function outgoingBodyFinish(body: i32, hasTrailers: i32, trailers: i32, ret: usize): void;
/** result<outgoing-response, error-code>, flattened: tag, then the joined payload slots. */
@external("wasi:http/types@0.2.0", "[static]response-outparam.set")
export declare function responseOutparamSet(param: i32, tag: i32, p0: i32, p1: i32, p2: i64, p3: i32, p4: i32, p5: i32, p6: i32): void;

// outgoing-request
@external("wasi:http/types@0.2.0", "[constructor]outgoing-request")
export declare function newOutgoingRequest(headers: i32): i32;
@external("wasi:http/types@0.2.0", "[method]outgoing-request.set-method")
export declare function setMethod(request: i32, method: i32, otherPtr: usize, otherLen: usize): i32;
@external("wasi:http/types@0.2.0", "[method]outgoing-request.set-path-with-query")
export declare function setPathWithQuery(request: i32, isSome: i32, ptr: usize, len: usize): i32;
@external("wasi:http/types@0.2.0", "[method]outgoing-request.set-scheme")
export declare function setScheme(request: i32, isSome: i32, scheme: i32, otherPtr: usize, otherLen: usize): i32;
@external("wasi:http/types@0.2.0", "[method]outgoing-request.set-authority")
export declare function setAuthority(request: i32, isSome: i32, ptr: usize, len: usize): i32;

// future-incoming-response / incoming-response
@external("wasi:http/types@0.2.0", "[method]future-incoming-response.subscribe")
export declare function futureSubscribe(future: i32): i32;
/**
 * option<result<result<incoming-response, error-code>>> at ret (56 bytes, align 8): [0] some?,
 * [8] outer ok?, [16] 0 = response / 1 = error-code, [24] handle or error-code case.
 */
@external("wasi:http/types@0.2.0", "[method]future-incoming-response.get")
export declare function futureGet(future: i32, ret: usize): void;
@external("wasi:http/types@0.2.0", "[resource-drop]future-incoming-response")
export declare function dropFuture(future: i32): void;
@external("wasi:http/types@0.2.0", "[method]incoming-response.status")
export declare function responseStatus(response: i32): i32;
/** result<incoming-body> at ret. */
@external("wasi:http/types@0.2.0", "[method]incoming-response.consume")
export declare function responseConsume(response: i32, ret: usize): void;
@external("wasi:http/types@0.2.0", "[resource-drop]incoming-response")
export declare function dropIncomingResponse(response: i32): void;

// outgoing-handler
/** result<future-incoming-response, error-code> at ret: [0] tag, [8] handle or error-code case. */
@external("wasi:http/outgoing-handler@0.2.0", "handle")
export declare function outgoingHandle(request: i32, hasOptions: i32, options: i32, ret: usize): void;

// wasi:io
/** result<list<u8>, stream-error> at ret: [0] tag, [4] ptr, [8] len. */
@external("wasi:io/streams@0.2.0", "[method]input-stream.blocking-read")
export declare function blockingRead(stream: i32, len: i64, ret: usize): void;
/** result<_, stream-error> at ret. */
@external("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush")
export declare function blockingWriteAndFlush(stream: i32, ptr: usize, len: usize, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[resource-drop]input-stream")
export declare function dropInputStream(stream: i32): void;
@external("wasi:io/streams@0.2.0", "[resource-drop]output-stream")
export declare function dropOutputStream(stream: i32): void;
@external("wasi:io/poll@0.2.0", "[method]pollable.block")
export declare function pollableBlock(pollable: i32): void;
@external("wasi:io/poll@0.2.0", "[resource-drop]pollable")
export declare function dropPollable(pollable: i32): void;
