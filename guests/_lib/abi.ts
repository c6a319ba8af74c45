// The repository's guests import the kit's explicit-ownership helpers by this path (see assembly/abi.ts).
export * from "sfirt/assembly/abi";
