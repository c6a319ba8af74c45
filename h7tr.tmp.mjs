import { transpile } from '@bytecodealliance/jco';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
for (const p of process.argv.slice(2)) {
  const name = p.split('/').pop().replace(/\.(component\.)?wasm$/, '');
  const out = await transpile(readFileSync(p), { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true });
  const dir = `/tmp/h7/jco/${name}`; mkdirSync(dir, { recursive: true });
  for (const [f, c] of Object.entries(out.files)) { mkdirSync(dir + '/' + f.split('/').slice(0,-1).join('/'), {recursive:true}); writeFileSync(`${dir}/${f}`, c); }
  console.log(name, JSON.stringify(out.imports), JSON.stringify(out.exports), Object.keys(out.files).join(','));
}
