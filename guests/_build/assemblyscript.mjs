// The repository's guests compile with the same asc settings `sfirt build` ships (lib/guest/assemblyscript.ts).
export { ASC_OPTIONS, compileAssemblyScript } from '../../dist/guest/assemblyscript.js';
