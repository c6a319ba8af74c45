export { instrumentModule, METER_IMPORT_MODULE, METER_IMPORTS, WASM_PAGE_BYTES } from './instrument.js';
export type { InstrumentOptions, InstrumentResult, MemoryInfo, TableInfo } from './instrument.js';
export { InvalidModuleError } from './errors.js';
