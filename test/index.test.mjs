// The public entry (dist/index.js) exports the API and no internals: every error class of the
// registry is there (users test `instanceof`), the wire codec, HTTP plumbing and per-thread limit
// state are not (issue 22: a narrow public surface).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sfirt from '../dist/index.js';
import { ERROR_CLASSES } from '../dist/errors.js';

test('every error class of the registry is exported under its own name', () => {
  for (const [code, cls] of Object.entries(ERROR_CLASSES)) {
    assert.is(sfirt[cls.name], cls, `${code}: ${cls.name}`);
  }
  assert.is(sfirt.SfiError, Object.getPrototypeOf(sfirt.TrapError));
});

test('internals stay out of the entry', () => {
  const internals = [
    'describe', 'toWire', 'fromWire', 'errorClass', 'ERROR_CLASSES', 'MAX_NN_MESSAGE_CHARS', // error codec
    'LATENCY_WINDOW', 'Metrics', 'errorResponse', 'RETRY_AFTER_SECONDS', 'runIncomingHandler', 'INCOMING_HANDLER_EXPORT',
    'serve', 'wasiHttpInstanceImports', 'isForbiddenHeader', 'MAX_FIELDS_BYTES', 'MAX_FIELDS_ENTRIES', 'MAX_LIVE_HTTP_RESOURCES', // HTTP plumbing
    'callDeadline', 'callFuel', 'remainingCallMs', // per-thread call state
  ];
  for (const name of internals) assert.is(name in sfirt, false, name);
});

test('the API a user programs against is there', () => {
  for (const name of ['createRuntime', 'Runtime', 'SfiFunction', 'ResourceHandle', 'DEFAULT_LIMITS', 'createWorkerRuntime', 'WorkerRuntime',
    'WorkerFunction', 'createHandler', 'wasiHttpImports', 'DEFAULT_OUTGOING', 'readManifest', 'describeComponent', 'buildGuest']) {
    assert.ok(name in sfirt, name);
  }
});

test.run();
