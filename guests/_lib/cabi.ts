// The repository's guests import the kit's call-arena helpers by this path (see assembly/cabi.ts).
export * from "sfirt/assembly/cabi";
