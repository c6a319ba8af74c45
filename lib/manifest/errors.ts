export { InvalidManifestError } from '../errors.js';
