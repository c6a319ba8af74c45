// A request's resources (RequestScope: an array, each resource knowing its index) and the
// constructors of the shared wasi:http types (plain objects of the shared classes, registered with
// the running request). What is released, when, and what a kept handle still reaches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HTTP_RESOURCE_KIND, MAX_LIVE_HTTP_RESOURCES, RequestScope, withRequestOwner } from '../../dist/http/resource.js';
import { sharedHttpTypes } from '../../dist/http/instance-types.js';
import { Fields, IncomingRequest, OutgoingResponse, ResponseOutparam } from '../../dist/http/types.js';
import { wrapHostImports } from '../../dist/host/imports.js';
import { END_OF_BODY } from '../../dist/http/streams.js';

const enc = (s) => new TextEncoder().encode(s);
const plain = () => ({ method: 'GET', pathWithQuery: '/', scheme: 'http', authority: 'x', rawHeaders: ['x-secret', 's3cret'], body: enc('body') });

test('untracking from the middle, twice, or from another scope: only live resources of this scope are released, each once', () => {
  const scope = new RequestScope();
  const other = new RequestScope();
  const made = Array.from({ length: 6 }, () => new Fields().adopt(scope));
  const foreign = new Fields().adopt(other);
  assert.is(scope.count(), 6);
  made[1][Symbol.dispose]();
  made[4][Symbol.dispose]();
  made[1][Symbol.dispose](); // a second drop changes nothing
  scope.untrack(foreign); // not ours: nothing is removed
  scope.untrack({}); // never tracked
  assert.is(scope.count(), 4);
  const released = [];
  for (const f of made) { const r = f.release.bind(f); f.release = () => { released.push(f); r(); }; }
  scope.releaseAll();
  assert.is(scope.count(), 0);
  assert.equal(released.sort((a, b) => made.indexOf(a) - made.indexOf(b)), [made[0], made[2], made[3], made[5]]);
  for (const i of [0, 2, 3, 5]) assert.throws(() => made[i].get('a'), /finished request/);
  // Dropped ones are the guest's to drop, not the request's to release; the other scope's is untouched.
  assert.not.throws(() => made[1].get('a'));
  assert.not.throws(() => foreign.get('a'));
  assert.is(other.count(), 1);
});

test('a resource dropped after its request ended, or released twice, does not disturb the next request', () => {
  const first = new RequestScope();
  const kept = new Fields().adopt(first);
  first.releaseAll();
  const next = new RequestScope();
  const fresh = new Fields().adopt(next);
  kept[Symbol.dispose](); // late drop of a handle from the previous request
  assert.is(next.count(), 1);
  next.releaseAll();
  assert.throws(() => fresh.get('a'), /finished request/);
  assert.throws(() => kept.get('a'), /finished request/);
});

test('the request cap counts live resources: dropping frees room, a leak is stopped', () => {
  const scope = new RequestScope();
  for (let i = 0; i < MAX_LIVE_HTTP_RESOURCES * 3; i++) new Fields().adopt(scope)[Symbol.dispose]();
  assert.is(scope.count(), 0);
  for (let i = 0; i < MAX_LIVE_HTTP_RESOURCES; i++) new Fields().adopt(scope);
  assert.throws(() => new Fields().adopt(scope), /more than 1024/);
  scope.releaseAll();
});

test('shared constructors build plain objects of the shared classes, owned by the running request', () => {
  const t = sharedHttpTypes;
  const scope = new RequestScope();
  const [fields, listed, response] = withRequestOwner(scope, () => {
    const f = new t.Fields();
    return [f, t.Fields.fromList([['x-a', enc('1')]]), new t.OutgoingResponse(f)];
  });
  assert.is(Object.getPrototypeOf(fields), Fields.prototype);
  assert.is(Object.getPrototypeOf(listed), Fields.prototype);
  assert.is(Object.getPrototypeOf(response), OutgoingResponse.prototype);
  assert.ok(Fields.fromNode(['a', 'b']) instanceof t.Fields, 'host-built fields pass the glue check');
  assert.ok(!(new OutgoingResponse(new Fields()) instanceof t.Fields));
  assert.is(scope.count(HTTP_RESOURCE_KIND), 3);
  assert.equal(listed.get('x-a'), [enc('1')]);
  assert.throws(() => t.Fields(), /without 'new'/);
  scope.releaseAll();
  assert.throws(() => listed.get('x-a'), /finished request/);
  assert.throws(() => response.statusCode(), /finished request/);
  // Outside a request nothing owns them: plain garbage collection.
  const loose = new t.Fields();
  assert.is(loose.owner, undefined);
});

test('host-call wrapping passes the shared constructors through (a wrapped one would return no owned object)', () => {
  const sink = { hostFailure: undefined };
  const wrapped = wrapHostImports({ 'wasi:http/types': sharedHttpTypes }, sink, () => false)['wasi:http/types'];
  for (const name of ['Fields', 'OutgoingResponse', 'OutgoingRequest', 'RequestOptions', 'IncomingRequest', 'ResponseOutparam']) {
    assert.is(wrapped[name], sharedHttpTypes[name], name);
  }
});

test('the request and its outparam: released with the scope, and a kept handle reaches nothing', () => {
  const scope = new RequestScope();
  const req = new IncomingRequest(plain(), scope);
  const out = new ResponseOutparam(scope);
  const headers = req.headers();
  assert.equal(headers.get('x-secret'), [enc('s3cret')]);
  scope.releaseAll();
  assert.throws(() => headers.get('x-secret'), /finished request/);
  assert.throws(() => req.pathWithQuery(), /finished request/);
  assert.throws(() => ResponseOutparam.set(out, { tag: 'err', val: { tag: 'internal-error' } }), /finished request/);
});

test('a body read to its end answers err(closed) as a value (the glue takes it as the result), every time; then a release traps', () => {
  const scope = new RequestScope();
  const req = new IncomingRequest(plain(), scope);
  const stream = req.consume().stream();
  assert.equal(stream.blockingRead(3n), enc('bod'));
  assert.equal(stream.read(10n), enc('y'));
  for (const end of [stream.read(1n), stream.blockingRead(1n), stream.skip(1n), stream.blockingSkip(1n)]) {
    assert.is(end, END_OF_BODY);
    assert.equal(end, { tag: 'err', val: { tag: 'closed' } });
  }
  scope.releaseAll();
  assert.throws(() => stream.read(1n), /finished request/);
});

test.run();
