// {{name}}: each export of wit/world.wit is a function of this module. componentize-js compiles it,
// with a JavaScript engine, into a WebAssembly component (`sfirt build`).

/** greet: func(name: string) -> string */
export function greet(name) {
  return `Hello, ${name}!`;
}
