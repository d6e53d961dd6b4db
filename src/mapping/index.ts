/** The mapping engine: mapping files in, compiled InputMapping/OutputMapping out (docs/mapping.md). */
export { loadMapping, compileMapping, listMappingNames, parseYamlFile } from './load.js';
export { singular } from './output.js';
export type {
  FormatName, MappingContext, MappedRecord, InputMapping, OutputMapping, Mapping,
} from './types.js';
