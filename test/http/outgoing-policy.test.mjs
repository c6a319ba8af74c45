import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutgoingPolicy } from '../../dist/http/outgoing-policy.js';

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

test.run();
