// wasi:http host resources have owners: built per instance with its scope (lib/host/scope.ts),
// released on reset/discard; a request's own resources are released when its call ends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InstanceScope } from '../../dist/host/scope.js';
import { wasiHttpInstanceImports } from '../../dist/http/imports.js';
import { Fields, IncomingRequest, OutgoingResponse, ResponseOutparam } from '../../dist/http/types.js';
import { HTTP_RESOURCE_KIND, MAX_LIVE_HTTP_RESOURCES, RequestScope } from '../../dist/http/resource.js';
import { checkedResponse } from '../../dist/http/incoming.js';

const enc = (s) => new TextEncoder().encode(s);
const types = (scope) => wasiHttpInstanceImports()(scope)['wasi:http/types'];

test('what a guest constructs is tracked by its instance; a drop untracks; reset releases; use after release traps', () => {
  const scope = new InstanceScope();
  const t = types(scope);
  scope.mark();
  const kept = new t.Fields();
  kept.append('x-a', enc('1'));
  const dropped = t.Fields.fromList([['x-b', enc('2')]]);
  const response = new t.OutgoingResponse(new t.Fields());
  const body = response.body();
  const stream = body.write();
  assert.is(scope.count(HTTP_RESOURCE_KIND), 6, 'fields ×3, response, body, stream');
  dropped[Symbol.dispose]();
  assert.is(scope.count(HTTP_RESOURCE_KIND), 5);
  scope.releaseSinceMark();
  assert.is(scope.count(HTTP_RESOURCE_KIND), 0);
  assert.throws(() => kept.get('x-a'), /finished request/);
  assert.throws(() => stream.write(enc('late')), /finished request/);
});

test('per-instance classes accept objects the host built (instanceof), so server-made requests pass every instance', () => {
  const a = types(new InstanceScope());
  const b = types(new InstanceScope());
  const hostMade = Fields.fromNode(['x-y', 'z']);
  assert.ok(hostMade instanceof a.Fields && hostMade instanceof b.Fields);
  assert.ok(new a.Fields() instanceof b.Fields);
  assert.ok(new a.OutgoingResponse(new a.Fields()) instanceof OutgoingResponse);
  assert.is(a.IncomingRequest, IncomingRequest);
});

test('a guest that never drops what it creates is stopped at MAX_LIVE_HTTP_RESOURCES (a trap, not host memory)', () => {
  const scope = new InstanceScope();
  const t = types(scope);
  for (let i = 0; i < MAX_LIVE_HTTP_RESOURCES; i++) new t.Fields();
  assert.throws(() => new t.Fields(), /more than 1024/);
  scope.releaseAll();
  assert.is(scope.count(HTTP_RESOURCE_KIND), 0);
});

test('a request\'s resources (request, headers, body, stream, outparam) die with its scope', () => {
  const scope = new RequestScope();
  const req = new IncomingRequest({ method: 'POST', pathWithQuery: '/p', scheme: 'http', authority: 'h', rawHeaders: ['X-Secret', 'alice', 'Host', 'h'], body: enc('body') }, scope);
  const out = new ResponseOutparam(scope);
  const headers = req.headers();
  assert.equal(headers.get('x-secret'), [enc('alice')]);
  assert.equal(headers.get('host'), [], 'host never reaches the guest');
  const stream = req.consume().stream();
  assert.equal(stream.read(2n), enc('bo'));
  scope.releaseAll();
  for (const use of [() => headers.get('x-secret'), () => stream.read(2n), () => req.method(), () => ResponseOutparam.set(out, { tag: 'err', val: { tag: 'internal-error' } })]) {
    assert.throws(use, /finished request/);
  }
});

test('fields: values are bytes (latin1 both ways), CR/LF and bad names are invalid-syntax, attached fields are immutable', () => {
  const f = new Fields();
  assert.throws(() => f.append('x-v', enc('a\r\nb')), (e) => e.tag === 'invalid-syntax');
  assert.throws(() => f.append('x-v', new Uint8Array([0x61, 0x00])), (e) => e.tag === 'invalid-syntax');
  assert.throws(() => f.append('bad name', enc('x')), (e) => e.tag === 'invalid-syntax');
  assert.throws(() => f.append('Proxy-Foo', enc('x')), (e) => e.tag === 'forbidden');
  assert.throws(() => f.set('X-SFIRT-ERROR', [enc('x')]), (e) => e.tag === 'forbidden');
  assert.throws(() => f.append('content-length', enc('-1')), (e) => e.tag === 'invalid-syntax');
  f.append('x-bytes', new Uint8Array([0xe9, 0xff, 0x80]));
  assert.equal(f.get('X-Bytes'), [new Uint8Array([0xe9, 0xff, 0x80])]);
  const response = new OutgoingResponse(f);
  assert.throws(() => f.append('x-late', enc('1')), (e) => e.tag === 'immutable');
  const body = response.body();
  body.constructor.finish(body);
  const plain = checkedResponse({ tag: 'ok', val: response });
  assert.equal(plain.headers, [['x-bytes', '\xe9\xff\x80']]);
});

test('content-length: writes past a declared length are refused; finish reports a shortfall', () => {
  const headers = new Fields();
  headers.append('content-length', enc('3'));
  const response = new OutgoingResponse(headers);
  const body = response.body();
  const stream = body.write();
  assert.is(stream.checkWrite(), 3n);
  assert.throws(() => stream.write(enc('four')), (e) => e.tag === 'closed');
  stream.write(enc('tw'));
  assert.throws(() => body.constructor.finish(body), (e) => e.tag === 'HTTP-response-body-size' && e.val === 2n);
});

test.run();
