export { Meter, DEFAULT_FUEL_SLICE, SLICE_TARGET_MS, reservationOf } from './meter.js';
export type { MeterLimits, StopReason, InstanceCaps } from './meter.js';
export { classifyTrap } from './classify.js';
export { chargeLift, liftBytesLeft, LIFT_CLOCK_BYTES, LIFT_ELEMENT_BYTES } from './lift.js';
export type { CallLimits } from './classify.js';
export { METER_IMPORT_MODULE } from '../instrument/instrument.js';
