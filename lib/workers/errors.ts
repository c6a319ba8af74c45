export { WorkerCrashedError, toWire, fromWire, type WireError } from '../errors.js';
