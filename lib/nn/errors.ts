export { NnError, type NnErrorCode } from '../errors.js';
