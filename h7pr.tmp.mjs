import { print } from '@bytecodealliance/jco';
import { readFileSync } from 'node:fs';
const w = await print(readFileSync(process.argv[2]));
let depth=0; const out=[];
// drop bodies of core modules
let inCore=false, coreDepth=0;
for (const l of w.split('\n')) {
  if (!inCore && /^\s*\(core module/.test(l)) { out.push(l); inCore=true; coreDepth=0; }
  if (inCore) { for (const c of l) { if (c==='(') coreDepth++; else if (c===')') coreDepth--; }
    if (/\((import|export) /.test(l) && !/^\s*\(core module/.test(l)) out.push(l);
    if (coreDepth<=0) inCore=false; continue; }
  out.push(l);
}
console.log(out.join('\n'));
