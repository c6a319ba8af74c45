import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutgoingPolicy } from '../../dist/http/outgoing-policy.js';
import { outgoingHandler } from '../../dist/http/outgoing-handler.js';
import { Fields, OutgoingRequest } from '../../dist/http/types.js';
import { HAS_JSPI, isAsyncImport } from '../../dist/host/async.js';

test('exact hosts allow only the default port unless a port is given', () => {
  const p = new OutgoingPolicy({ allowedHosts: ['api.example.com', '127.0.0.1:8080'] });
  assert.ok(p.allows('GET', 'https', 'api.example.com', 443));
  assert.ok(p.allows('GET', 'http', 'API.example.com', 80));
  assert.not.ok(p.allows('GET', 'https', 'api.example.com', 8443));
  assert.ok(p.allows('GET', 'http', '127.0.0.1', 8080));
  assert.not.ok(p.allows('GET', 'http', '127.0.0.1', 8081));
  assert.not.ok(p.allows('GET', 'http', 'localhost', 8080));
  assert.not.ok(p.allows('GET', 'https', 'evil.api.example.com', 443));
});

test('wildcards match subdomains only; host:* matches any port', () => {
  const p = new OutgoingPolicy({ allowedHosts: ['*.example.com', 'svc.local:*'] });
  assert.ok(p.allows('GET', 'https', 'a.example.com', 443));
  assert.ok(p.allows('GET', 'https', 'a.b.example.com', 443));
  assert.not.ok(p.allows('GET', 'https', 'example.com', 443));
  assert.not.ok(p.allows('GET', 'https', 'badexample.com', 443));
  assert.ok(p.allows('GET', 'http', 'svc.local', 1234));
});

test('methods and schemes are restricted', () => {
  const p = new OutgoingPolicy({ allowedHosts: ['x.test'], allowedMethods: ['GET'], schemes: ['https'] });
  assert.ok(p.allows('get', 'https', 'x.test', 443));
  assert.not.ok(p.allows('POST', 'https', 'x.test', 443));
  assert.not.ok(p.allows('GET', 'http', 'x.test', 80));
});

test('an empty allow-list denies everything; bad patterns are rejected', () => {
  const p = new OutgoingPolicy({ allowedHosts: [] });
  assert.not.ok(p.allows('GET', 'https', 'example.com', 443));
  assert.throws(() => new OutgoingPolicy({ allowedHosts: ['a.*.com'] }), /only as the first label/);
  assert.throws(() => new OutgoingPolicy({}), /allowedHosts/);
  assert.throws(() => new OutgoingPolicy({ allowedHosts: ['x'], timeoutMs: -1 }), /timeoutMs/);
});

test('without a policy the handler is synchronous (no JSPI stack per call) and denies every request', () => {
  const { handle } = outgoingHandler(undefined);
  assert.not.ok(isAsyncImport(handle), 'not an async import');
  const req = new OutgoingRequest(new Fields());
  req.setAuthority('127.0.0.1:1');
  const future = handle(req, undefined);
  assert.not.ok(future instanceof Promise);
  assert.equal(future.get(), { tag: 'ok', val: { tag: 'err', val: { tag: 'HTTP-request-denied' } } });
  // With a policy it may reach the network: async where the guest can suspend.
  assert.is(isAsyncImport(outgoingHandler({ allowedHosts: ['x.test'] }).handle), HAS_JSPI);
});

test.run();
