export { decodeStream, readText, decoderLabel, firstInvalidUtf8, lineAt, ENCODINGS } from './decode.js';
export { readCsv, type CsvReadOptions, type CsvRow } from './csv.js';
export {
  readXmlRecords, parseXmlRecords, assertNoDoctype, decodeXmlEntities, XML_ATTR_PREFIX, XML_TEXT_KEY,
  type XmlReadOptions, type SourceRecord,
} from './xml.js';
export { readJsonRecords, parseJsonRecords, readNdjson, type JsonReadOptions, type NdjsonRecord } from './json.js';
export {
  CsvWriter, buildXml, xmlRecordElement, jsonText, ndjsonLine, writeChunk, guardFormula, looksLikeFormula,
  outputEncoding, outputEncodingName, OUTPUT_ENCODINGS,
  type CsvWriteOptions, type XmlWriteOptions, type OutputEncoder, type OutputEncodingName,
} from './writers.js';
