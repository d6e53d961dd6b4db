import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { configPathFrom, findChannel, loadConfig, type LoadedConfig } from '../config/load.js';
import { merchantRuleOf, type FileChannelEntry } from '../daemon/intake-policy.js';
import { loadMapping } from '../mapping/index.js';
import type { InputMapping, Mapping } from '../mapping/types.js';
import type { MerchantRule } from '../pipeline/records.js';
import { previewRecords, type PreviewOutcome } from '../pipeline/preview.js';
import { compileRules, mappingFor } from '../sources/pattern.js';
import { describeEntry } from '../pipeline/report.js';
import { EXIT, print, type GlobalOptions } from './context.js';
import { usage } from './exit.js';
import { renderPreview } from './render-preview.js';

export interface PreviewOptions extends GlobalOptions {
  mapping: string;
  mappings?: string;
  merchant?: string;
  channel?: string;
  json?: boolean;
}

/** The config, when there is one that loads; undefined otherwise. */
function configOf(opts: PreviewOptions): LoadedConfig | undefined {
  const file = configPathFrom(opts.config);
  if (!existsSync(file)) return undefined;
  try {
    return loadConfig(file);
  } catch {
    // A broken config must not stop an integrator from previewing a mapping.
    return undefined;
  }
}

/** Where mappings live: --mappings, else the config's folder, else ./mappings. */
function mappingsDir(opts: PreviewOptions): string {
  if (opts.mappings) return path.resolve(opts.mappings);
  return configOf(opts)?.mappingsDir ?? path.resolve('mappings');
}

/**
 * Whose records a previewed file holds, by the same rule the daemon applies (merchantRuleOf): the
 * config entry named by --channel (a channel or `@warehouse/<name>`), else the one file channel or
 * report source whose `files` rules read a file of this name with this mapping. No config, or no
 * entry: the merchant channel rule (`merchant` = --merchant). Throws USAGE (exit 2) when the file
 * matches entries with different rules and no --channel says which one.
 */
function previewRule(file: string, opts: PreviewOptions): MerchantRule {
  const config = configOf(opts);
  if (!config) return { from: 'channel' };
  if (opts.channel !== undefined) {
    let entry: FileChannelEntry | undefined;
    try {
      entry = findChannel(config, opts.channel);
    } catch {
      // --channel is then only the label put into the records.
    }
    return entry ? merchantRuleOf(config, entry) : { from: 'channel' };
  }
  const name = path.basename(file);
  const entries: FileChannelEntry[] = [...config.channels, ...config.reportSources];
  const reading = entries.filter((e) => 'files' in e.config && mappingFor(compileRules(e.config.files), name) === opts.mapping);
  const rules = reading.map((e) => ({ key: e.key, rule: merchantRuleOf(config, e) }));
  const distinct = new Set(rules.map((r) => JSON.stringify(r.rule, (_k, v: unknown) => (v instanceof Set ? [...(v as Set<unknown>)] : v))));
  if (distinct.size > 1) {
    throw usage(`${name} with mapping ${opts.mapping} is read by ${rules.map((r) => r.key).join(', ')}, which decide the merchant differently; give --channel <one of them>`);
  }
  return rules[0]?.rule ?? { from: 'channel' };
}

/** The mapping named by --mapping; MAPPING_NOT_FOUND or MAPPING_INVALID otherwise (exit 2). */
async function anyMapping(opts: PreviewOptions): Promise<Mapping> {
  return loadMapping(opts.mapping, mappingsDir(opts));
}

/** The input mapping named by --mapping; MAPPING_NOT_FOUND, MAPPING_INVALID or USAGE otherwise (exit 2). */
async function inputMapping(opts: PreviewOptions): Promise<InputMapping> {
  const m = await anyMapping(opts);
  if (m.direction !== 'input') throw usage(`${opts.mapping} is an output mapping; validate takes input mappings (map takes both: give it canonical records as JSON or NDJSON)`);
  return m;
}

/** Checks that `file` is one readable file (a usage error, exit 2, otherwise). */
function checkFile(file: string): void {
  if (!existsSync(file)) throw usage(`no such file: ${file}`);
  if (statSync(file).isDirectory()) throw usage(`${file} is a folder; validate and map take one file (e.g. ${path.join(file, '<name>')})`);
  if (!statSync(file).isFile()) throw usage(`${file} is not a regular file; validate and map take one file`);
}

/** The file and mapping checked before anything is printed: a usage or config error (exit 2) otherwise. */
async function usable(file: string, opts: PreviewOptions): Promise<InputMapping> {
  checkFile(file);
  return inputMapping(opts);
}

/** Runs one file through parse -> map -> validate (previewRecords), calling back per record. */
async function walk(file: string, mapping: InputMapping, opts: PreviewOptions, rule: MerchantRule, onValid: (rec: Record<string, unknown>) => void): Promise<PreviewOutcome> {
  return previewRecords(createReadStream(file), mapping, {
    merchant: opts.merchant ?? 'preview', channel: opts.channel ?? 'preview', fileName: path.basename(file), receivedAt: new Date(statSync(file).mtimeMs).toISOString(), rule,
  }, onValid);
}

export async function validateCommand(file: string, opts: PreviewOptions): Promise<number> {
  const mapping = await usable(file, opts);
  const { read, invalid, errors, notes, unreadable } = await walk(file, mapping, opts, previewRule(file, opts), () => undefined);
  if (opts.json) {
    print(JSON.stringify({ file, mapping: opts.mapping, valid: errors.length === 0, records: read, invalid, ...(unreadable ? { unreadable } : {}), errors, ...(notes.length ? { notes } : {}) }, null, 2));
  } else {
    for (const n of notes) print(`${path.basename(file)}: note: ${n}`);
    for (const e of errors) print(`${path.basename(file)}: ${describeEntry(e)}`);
    const records = `${read} record${read === 1 ? '' : 's'}`;
    print(errors.length === 0 ? `${file}: valid (${records})`
      : unreadable ? `${file}: INVALID: the file could not be read to the end (${records} read before the error${invalid ? `, ${invalid} of them invalid` : ''})`
      : `${file}: INVALID: ${invalid} of ${records} have errors (${errors.length} error(s))`);
  }
  return errors.length === 0 ? EXIT.ok : EXIT.failed;
}

/**
 * `wharf map FILE --mapping NAME`. An input mapping: FILE is a partner file, printed as the canonical
 * records it becomes (a JSON array). An output mapping: FILE holds canonical records (JSON array,
 * one object, or NDJSON), printed as the file the mapping renders (see renderPreview).
 */
export async function mapCommand(file: string, opts: PreviewOptions): Promise<number> {
  checkFile(file);
  const chosen = await anyMapping(opts);
  if (chosen.direction === 'output') return renderPreview(file, chosen);
  // Streams the JSON array so a large file previews without holding every record. Nothing reaches
  // stdout before the file and the mapping are known to be usable (a usage error prints no "[").
  const mapping = chosen;
  const rule = previewRule(file, opts);
  let first = true;
  process.stdout.write('[');
  const { errors, notes } = await walk(file, mapping, opts, rule, (rec) => {
    process.stdout.write(`${first ? '\n' : ',\n'}${JSON.stringify(rec, null, 2).replace(/^/gm, '  ')}`);
    first = false;
  });
  process.stdout.write(first ? ']\n' : '\n]\n');
  for (const n of notes) process.stderr.write(`${path.basename(file)}: note: ${n}\n`);
  for (const e of errors) process.stderr.write(`${path.basename(file)}: ${describeEntry(e)}\n`);
  return errors.length === 0 ? EXIT.ok : EXIT.failed;
}
