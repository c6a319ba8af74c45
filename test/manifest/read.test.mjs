// sfirt.json: validated against its shipped JSON Schema; every error names the file and the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest, InvalidManifestError } from '../../dist/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sfirt-manifest-'));
let n = 0;
function write(value) {
  const file = join(dir, `m${n++}.json`);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}
function refusal(value) {
  try {
    readManifest(write(value));
  } catch (err) {
    assert.instance(err, InvalidManifestError);
    assert.is(err.code, 'INVALID_MANIFEST');
    return err;
  }
  throw new Error('the manifest was accepted');
}

test('a full manifest: paths become absolute, options keep their shape', () => {
  const m = readManifest(write({
    $schema: './node_modules/sfirt/schema/sfirt.schema.json',
    functions: {
      greeter: {
        source: 'build/greeter.wasm', build: { lang: 'as', entry: 'src/index.ts' },
        limits: { memoryBytes: 1 << 24, fuel: null, timeoutMs: 500 }, pool: { mode: 'reset', max: 4 },
        wasi: { env: { A: '1' }, preopens: { '/data': 'data', '/out': { hostPath: '/abs/out', readOnly: false } }, deterministic: { seed: 7 } },
        outgoing: { allowedHosts: ['api.example.com'] }, glue: 'auto',
      },
    },
    nn: { models: { digits: 'models/digits.onnx' } },
    routes: [{ method: 'POST', path: '/greet', function: 'greeter', export: 'greet' }],
    server: { port: 0, metricsPath: '/metrics' },
  }));
  const f = m.functions.greeter;
  assert.is(f.source, join(dir, 'build/greeter.wasm'));
  assert.equal(f.wasi.preopens, { '/data': join(dir, 'data'), '/out': { hostPath: '/abs/out', readOnly: false } });
  assert.equal(f.limits, { memoryBytes: 1 << 24, fuel: null, timeoutMs: 500 });
  assert.is(m.nn.models.digits, join(dir, 'models/digits.onnx'));
  assert.equal(m.routes, [{ method: 'POST', path: '/greet', function: 'greeter', export: 'greet' }]);
  assert.equal(m.server, { port: 0, metricsPath: '/metrics' });
  assert.is(m.dir, dir);
});

test('a wrong type names the field', () => {
  const err = refusal({ functions: { f: { source: 'f.wasm', limits: { fuel: 'lots' } } } });
  assert.is(err.field, 'functions.f.limits.fuel');
  assert.match(err.message, /functions\.f\.limits\.fuel must be integer,null/);
});

test('an unknown field is named (a typo is not silently ignored)', () => {
  const err = refusal({ functions: { f: { source: 'f.wasm', limit: { fuel: 1 } } } });
  assert.is(err.field, 'functions.f.limit');
  assert.match(err.message, /functions\.f\.limit is not a known field/);
});

test('an enum lists the allowed values; several errors are all reported', () => {
  const err = refusal({ functions: { f: { source: 'f.wasm', pool: { mode: 'warm' }, glue: 'fastest' } } });
  assert.match(err.message, /functions\.f\.pool\.mode must be one of "fresh", "reuse", "reset"/);
  assert.match(err.message, /functions\.f\.glue must be one of/);
});

test('required fields, bad routes, and references to missing functions', () => {
  assert.match(refusal({}).message, /must have required property 'functions'/);
  assert.match(refusal({ functions: { f: {} } }).message, /functions\.f must have required property 'source'/);
  assert.match(refusal({ functions: { f: { source: 'f.wasm' } }, routes: [{ path: 'greet', function: 'f' }] }).message, /routes\.0\.path must match pattern/);
  const missing = refusal({ functions: { f: { source: 'f.wasm' } }, routes: [{ path: '/g', function: 'g' }] });
  assert.is(missing.field, 'routes.0.function');
  assert.match(missing.message, /"g", which is not in functions \(f\)/);
  // Names every object inherits are not functions either (the check used `in`).
  for (const name of ['toString', 'constructor', 'hasOwnProperty']) {
    assert.is(refusal({ functions: { f: { source: 'f.wasm' } }, routes: [{ path: '/g', function: name }] }).field, 'routes.0.function', name);
  }
});

test('preopen quotas: integers or null', () => {
  const grant = (extra) => ({ functions: { f: { source: 'f.wasm', wasi: { preopens: { '/out': { hostPath: 'out', readOnly: false, ...extra } } } } } });
  assert.equal(readManifest(write(grant({ maxBytes: 1024, maxEntries: null }))).functions.f.wasi.preopens['/out'].maxBytes, 1024);
  assert.match(refusal(grant({ maxBytes: -1 })).message, /maxBytes/);
  assert.match(refusal(grant({ maxEntries: '10' })).message, /maxEntries/);
});

test('not JSON, or no file: INVALID_MANIFEST with the cause', () => {
  assert.match(refusal('{ "functions": ').message, /is not JSON/);
  try {
    readManifest(join(dir, 'absent.json'));
    assert.unreachable();
  } catch (err) {
    assert.is(err.code, 'INVALID_MANIFEST');
    assert.match(err.message, /ENOENT/);
  }
});

test.run();
