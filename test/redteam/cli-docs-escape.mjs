// Red team probe (CLI): a component whose `package-docs` custom section carries terminal escape
// sequences; prints `sfirt inspect --wit` output with control characters made visible (`cat -v`
// style) so you can see whether raw escapes reach the terminal.
// Usage: node test/redteam/cli-docs-escape.mjs
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guest, root } from '../helpers.mjs';

const leb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
const name = Buffer.from('package-docs');
const json = Buffer.from(JSON.stringify({ docs: 'Harmless.\u001b[2K\u001b[1A\u001b[2K\u001b[31mFAKE LINE\u001b[0m' }));
const payload = Buffer.concat([Buffer.from(leb(name.length)), name, Buffer.from([0]), json]);
const file = join(mkdtempSync(join(tmpdir(), 'sfirt-red-docs-')), 'docs.wasm');
writeFileSync(file, Buffer.concat([readFileSync(guest('hello')), Buffer.from([0, ...leb(payload.length)]), payload]));
const r = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'inspect', file, '--wit'], { encoding: 'utf8' });
const visible = r.stdout.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `^${String.fromCharCode(c.charCodeAt(0) + 64)}`);
console.log(JSON.stringify({ rawEscapeReachedTerminal: /\u001b/.test(r.stdout), firstLine: visible.split('\n')[0] }));
