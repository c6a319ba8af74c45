import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime } from '../../dist/index.js';
import { guest, rejection, tempCache } from '../helpers.mjs';

function kvHost() {
  const store = new Map();
  const calls = [];
  const logs = [];
  return {
    store, calls, logs,
    imports: {
      'sfirt:kv/store': {
        get(key) { calls.push(['get', key]); return store.get(key); },
        set(key, value) { calls.push(['set', key, value]); store.set(key, value); },
      },
      'sfirt:kv/log': { log(level, message) { logs.push([level, message]); } },
    },
  };
}

test('a guest calls host functions with typed arguments and results', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  const host = kvHost();
  const kv = await rt.load('kv', guest('kv'), { imports: host.imports });
  assert.is(await kv.call('incr', 'visits'), 1);
  assert.is(await kv.call('incr', 'visits'), 2);
  assert.is(host.store.get('visits'), '2');
  assert.equal(host.calls.slice(0, 2), [['get', 'visits'], ['set', 'visits', '1']]);
  assert.ok(host.logs.length >= 2);
  assert.is(await kv.call('copy', 'visits', 'backup'), true);
  assert.is(host.store.get('backup'), '2');
  assert.is(await kv.call('copy', 'missing', 'x'), false);
  assert.not.ok(host.store.has('x'));
});

test('a host function that throws is HOST_FUNCTION_ERROR; the instance is discarded and the next call works', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  const host = kvHost();
  let fail = true;
  const imports = {
    ...host.imports,
    'sfirt:kv/store': {
      get(key) { if (fail) throw new Error('backend down'); return host.store.get(key); },
      set(key, value) { host.store.set(key, value); },
    },
  };
  const kv = await rt.load('kv', guest('kv'), { imports });
  const err = await rejection(kv.call('incr', 'k'));
  assert.is(err.code, 'HOST_FUNCTION_ERROR');
  assert.match(err.message, 'sfirt:kv/store#get');
  assert.match(err.message, 'backend down');
  assert.instance(err.cause, Error);
  fail = false;
  assert.is(await kv.call('incr', 'k'), 1);
});

test('imports missing a function are reported at load', async () => {
  const rt = createRuntime({ cacheDir: tempCache() });
  const host = kvHost();
  const err = await rejection(rt.load('kv', guest('kv'), { imports: { 'sfirt:kv/store': host.imports['sfirt:kv/store'] } }));
  assert.is(err.code, 'MISSING_IMPORT');
  assert.match(err.message, 'sfirt:kv/log');
});

test.run();
