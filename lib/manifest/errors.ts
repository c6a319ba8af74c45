import { SfiError } from '../errors.js';

/** `sfirt.json` is missing, not JSON, or does not match its schema; `field` names where. */
export class InvalidManifestError extends SfiError {
  override readonly code = 'INVALID_MANIFEST';
  constructor(readonly manifestPath: string, readonly field: string, message: string) {
    super(message);
    this.name = 'InvalidManifestError';
  }
}
