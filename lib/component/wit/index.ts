/**
 * WIT for the call path: parse jco's `componentWit` text (plus the interface definitions it omits,
 * decoded from the binary), resolve a world's exports and imports, find an export by name, and
 * validate call arguments against its signature.
 */
export { parseWit, interfaceId } from './parse.js';
export { resolveWorldExports, resolveWorldImports, missingInterfaces, canonicalFunctionName, importKey } from './resolve.js';
export { decodeComponentInterfaces, decodeInterfacesByDirection } from './decode.js';
export { jcoImportKeys, versionedImportMap, componentImportNames, stripVersion } from './import-keys.js';
export { addInterfacesFromBinary, witFromComponent, packageIdOf } from './from-component.js';
export { findExport, type ExportSpec } from './find.js';
export { validateArgs, compileValidator, describeValue, type ArgsValidator } from './validate.js';
export * from './types.js';
