// The HTTP errors live with every other error class in lib/errors.ts (one registry, one codec).
export { BindFailedError, InvalidResponseError, InvalidRouteError, type InvalidResponseReason } from '../errors.js';
