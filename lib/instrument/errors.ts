export { InvalidModuleError } from '../errors.js';
