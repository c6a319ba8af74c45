// The repository's guests build with the same pipeline `sfirt build` ships (lib/guest/component.ts).
export { asIdentifier, componentFromCore, componentFromWat, isComponent } from '../../dist/guest/component.js';
