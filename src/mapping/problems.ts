import { isAbsolute, relative } from 'node:path';
import { WharfError } from '../errors.js';

/** Makes the error for one problem in a mapping file: `mappings/x.yaml: fields.createdAt.pattern: …`. */
export type MappingProblem = (field: string, message: string, hint?: string) => WharfError;

/** How a mapping file is named in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function problemsFor(file: string): MappingProblem {
  const shown = displayPath(file);
  return (field, message, hint) =>
    new WharfError('MAPPING_INVALID', field ? `${shown}: ${field}: ${message}` : `${shown}: ${message}`, {
      where: shown,
      field: field || undefined,
      hint,
    });
}
