import { parse } from '@bytecodealliance/jco';
import { writeFileSync } from 'node:fs';
const depth = Number(process.argv[2] ?? 200);
// Named types, each a list of the previous one: nesting by reference, not in the text.
const types = [];
for (let i = 0; i < depth; i++) types.push(`(type $t${i} (list ${i === 0 ? 'u8' : `$t${i - 1}`}))`);
const t = `$t${depth - 1}`;
// Red team probe (WIT/describe): a component whose export takes a list nested `depth` deep.
// Usage: OUT=dir node test/redteam/deep-type.mjs [depth]; then load or `sfirt inspect` the file.
// A component exporting f: func(x: <nested list>) with a core module that never runs.
const wat = `(component
  (core module $m (func (export "f") (param i32 i32)) (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  ${types.join('\n  ')}
  (func (export "f") (param "x" ${t}) (canon lift (core func $i "f") (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))))
)`;
const bytes = await parse(wat);
writeFileSync(`${process.env.OUT ?? '/tmp'}/deep-${depth}.wasm`, bytes);
console.log('ok', bytes.length);
