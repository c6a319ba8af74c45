// {{name}}: each export of wit/world.wit is a function here, with the canonical ABI's flattened
// parameters (a string arrives as ptr + len). sfirt's kit converts, and `sfirt build` adds the
// memory management exports (cabi_realloc, cabi_post_*), so this file is all you write.
import { liftString, returnString } from "sfirt/assembly";

/** greet: func(name: string) -> string */
export function greet(namePtr: usize, nameLen: usize): usize {
  const name = liftString(namePtr, nameLen);
  return returnString("Hello, " + name + "!");
}
