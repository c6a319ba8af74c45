// The repository's guests compose their WIT as `sfirt build` does (lib/guest/wit-source.ts).
export { composeWit } from '../../dist/guest/wit-source.js';
