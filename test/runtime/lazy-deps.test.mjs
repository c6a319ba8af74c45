// Heavy dependencies load on first use, not with sfirt: undici (~7.5 MB of heap; only outgoing
// wasi:http requests use it) and Ajv (manifest validation). Imported eagerly they made every
// process pay, and the garbage collection their heap set off landed inside its first load().
// Each case runs in a new process, which reports the packages it has loaded (the CommonJS cache,
// where both end up whether imported or required).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { guest, root, tempCache } from '../helpers.mjs';

const entry = pathToFileURL(join(root, 'dist', 'index.js')).href;

/** Runs `body` (module code, `sfirt` in scope) in a new process; resolves to the packages it loaded. */
function loadedAfter(body) {
  const script = `
    import { createRequire } from 'node:module';
    const sfirt = await import(${JSON.stringify(entry)});
    ${body}
    const names = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(['undici', 'ajv'].filter((p) => names.some((n) => n.includes(\`/node_modules/\${p}/\`)))));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root });
  return JSON.parse(out.trim().split('\n').at(-1));
}

test('importing sfirt and loading a component loads neither undici nor Ajv', () => {
  const cacheDir = tempCache();
  const body = `
    const rt = sfirt.createRuntime({ cacheDir: ${JSON.stringify(cacheDir)} });
    const fn = await rt.load('f', ${JSON.stringify(guest('compute'))});
    if ((await fn.call('add', 2, 3)) !== 5) throw new Error('wrong sum');
    rt.close();`;
  assert.equal(loadedAfter(body), [], 'a cold load');
  assert.equal(loadedAfter(body), [], 'a warm load');
  rmSync(cacheDir, { recursive: true, force: true });
});

test('control: each loads once used (what the check above would see)', () => {
  assert.equal(loadedAfter(`await import('undici');`), ['undici']);
  assert.equal(loadedAfter(`try { sfirt.readManifest('/nonexistent/sfirt.json'); } catch {}
    try { sfirt.readManifest(${JSON.stringify(join(root, 'package.json'))}); } catch {}`), ['ajv']);
});

test.run();
