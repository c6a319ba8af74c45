export { Meter, DEFAULT_FUEL_SLICE, SLICE_TARGET_MS } from './meter.js';
export type { MeterLimits, StopReason } from './meter.js';
export { classifyTrap } from './classify.js';
export type { CallLimits } from './classify.js';
export { METER_IMPORT_MODULE } from '../instrument/instrument.js';
