import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ErrorObject, KeywordCxt, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { echo } from './errors.js';

/**
 * Set to `true` by scripts/bundle.mjs in the bundled CLI (dist/bundle/, one folder deeper than this
 * module's own place in dist/ or src/); undeclared anywhere else.
 */
declare const WHARF_BUNDLED: boolean | undefined;

/** The package root: this module is src/schemas.ts (vitest), dist/schemas.js (tsc) or part of dist/bundle/. */
const ROOT_URL = new URL(typeof WHARF_BUNDLED !== 'undefined' && WHARF_BUNDLED ? '../../' : '../', import.meta.url);

/** The schemas/ folder of the installed package (works from src/ under vitest, from dist/ and from dist/bundle/). */
export const SCHEMAS_DIR = fileURLToPath(new URL('schemas/', ROOT_URL));

/**
 * The validators of every schema in schemas/, compiled at build time (scripts/build-validators.mjs,
 * run by `npm run build`/`prepare`/`pretest`) into ajv standalone code. The same file from src/
 * (vitest) and from dist/.
 */
export const VALIDATORS_MODULE = fileURLToPath(new URL('dist/validators.cjs', ROOT_URL));

export type RecordKind = 'order' | 'stock' | 'shipment' | 'product';
export const RECORD_KINDS: readonly RecordKind[] = ['order', 'stock', 'shipment', 'product'];

export interface FieldError {
  /** Field path in the record, e.g. `lines[0].quantity` (empty for the record as a whole). */
  path: string;
  message: string;
}

// ajv is CommonJS and loaded only when a schema must be compiled in this process (the build, or
// generated validators missing or stale): loading it is a good part of a process start.
const require = createRequire(import.meta.url);

// verbose: errors carry the offending value and their schema, so record errors can say what was
// wrong and what is allowed (formatAjvErrors with showValues).
// validateSchema: false — only the schemas shipped in schemas/ are compiled here, and a test checks
// each against the 2020-12 meta-schema (test/config/schema-source.test.ts); compiling the
// meta-schema in every process was a sizeable part of start-up. strict still refuses unknown keywords.
const AJV_OPTIONS: Options = { allErrors: true, strict: true, allowUnionTypes: true, discriminator: true, strictRequired: false, verbose: true, validateSchema: false };

/**
 * Bump when newAjv's keywords or plugins change in a way AJV_OPTIONS does not show: the generated
 * validators then count as stale until the next build.
 */
const GENERATOR_VERSION = 1;

/**
 * `"x-secret"`'s check: true unless a secretCheckerFor check is running and refuses the value.
 * The generated validators are a factory that receives it (their code names it `xSecret`).
 */
const xSecret = (mark: unknown, value: unknown): boolean => secretCheck?.(mark, value) ?? true;

/**
 * A new ajv instance with Wharf's options, formats and keywords. `source` keeps the generated code
 * (ajv option `code.source`), for standalone code (https://ajv.js.org/standalone.html).
 */
export function newAjv(options: { source?: boolean } = {}): Ajv2020 {
  const { Ajv2020: Ajv, _ } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  // ajv-formats is CommonJS: its module object is the plugin, `default` too.
  const formats = require('ajv-formats') as (ajv: Ajv2020) => Ajv2020;
  const ajv = new Ajv({ ...AJV_OPTIONS, ...(options.source ? { code: { source: true } } : {}) });
  formats(ajv);
  // A code keyword (not a `validate` one) so that standalone code can carry it: the check is a
  // scope value whose standalone code is the factory's `xSecret` parameter. It fails with ajv's
  // default keyword error (`must pass "x-secret" keyword validation`, params {}).
  ajv.addKeyword({
    keyword: 'x-secret',
    schemaType: ['string', 'boolean'],
    code(cxt: KeywordCxt) {
      const check = cxt.gen.scopeValue('keyword', { ref: xSecret, code: _`xSecret` });
      cxt.fail(_`!${check}(${cxt.schemaValue}, ${cxt.data})`);
    },
  });
  // Editor-only keyword that appears in our config/mapping schemas.
  ajv.addKeyword({ keyword: 'markdownDescription' });
  return ajv;
}

/** The `*.schema.json` files of `dir`, sorted. */
export function schemaFiles(dir: string = SCHEMAS_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort();
}

/**
 * A hex SHA-256 of what the validators are made of: each schema file of `dir` (name and bytes), the
 * ajv version, AJV_OPTIONS and GENERATOR_VERSION. The generated module carries the one it was made
 * from; a different one here means it is stale.
 */
export function validatorsFingerprint(dir: string = SCHEMAS_DIR): string {
  const hash = createHash('sha256');
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  hash.update(JSON.stringify({ ajv: ajvVersion, options: AJV_OPTIONS, generator: GENERATOR_VERSION }));
  for (const file of schemaFiles(dir)) hash.update(`\0${file}\0`).update(readFileSync(dir + (dir.endsWith('/') ? '' : '/') + file));
  return hash.digest('hex');
}

/** What scripts/build-validators.mjs writes: a factory of the validators, keyed by schema file name. */
interface GeneratedModule {
  (xSecretCheck: typeof xSecret): Record<string, ValidateFunction | undefined>;
  fingerprint: string;
}

/**
 * The build-time validators if `modulePath` exists and was made from the schemas in `dir` as they are
 * now; null otherwise (missing: not built; stale: a schema edited, or ajv or the options changed,
 * since the build), and the caller compiles at run time.
 */
export function loadGeneratedValidators(modulePath: string = VALIDATORS_MODULE, dir: string = SCHEMAS_DIR): Record<string, ValidateFunction | undefined> | null {
  let mod: GeneratedModule;
  try {
    mod = require(modulePath) as GeneratedModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(modulePath)) return null;
    throw err;
  }
  if (typeof mod !== 'function' || mod.fingerprint !== validatorsFingerprint(dir)) return null;
  return mod(xSecret);
}

let generated: Record<string, ValidateFunction | undefined> | null | undefined;
let shared: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

export function loadSchema(fileName: string): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMAS_DIR + fileName, 'utf8')) as Record<string, unknown>;
}

/** One ajv instance that knows every schema in schemas/, so `$ref`s between them resolve. */
function registry(): Ajv2020 {
  if (!shared) {
    const ajv = newAjv();
    for (const file of schemaFiles()) ajv.addSchema(loadSchema(file));
    shared = ajv;
  }
  return shared;
}

/** Where this process's validators come from (tests check that a build's are used). */
export function validatorsSource(): 'generated' | 'compiled' {
  if (generated === undefined) generated = loadGeneratedValidators();
  return generated ? 'generated' : 'compiled';
}

/**
 * Validator for `schemas/<fileName>`, cached for the life of the process: the build's generated one
 * when it is up to date with schemas/, else compiled here.
 */
export function validatorFor(fileName: string): ValidateFunction {
  let fn = compiled.get(fileName);
  if (!fn) {
    if (validatorsSource() === 'generated') fn = generated?.[fileName];
    if (!fn) {
      const id = loadSchema(fileName).$id;
      const ajv = registry();
      fn = (typeof id === 'string' ? ajv.getSchema(id) : undefined) ?? ajv.compile(loadSchema(fileName));
    }
    compiled.set(fileName, fn);
  }
  return fn;
}

/** The `accepts` of the secretCheckerFor check that is running, if any (validation is synchronous). */
let secretCheck: ((mark: unknown, value: unknown) => boolean) | undefined;

/** What secretCheckerFor returns: validates like a ValidateFunction, its errors on `errors`. */
export interface SecretChecker {
  (data: unknown): boolean;
  /** The last call's errors (x-secret ones and any other), without the values they are about; null when valid. */
  errors: ErrorObject[] | null;
}

/**
 * A validator of `schemas/<fileName>` whose `x-secret` keyword checks the value it marks:
 * `accepts(mark, value)` false gives an error with keyword `x-secret` at that value's instancePath.
 * Every `$ref`, `oneOf`/discriminator and `if`/`then` of the schemas is followed by ajv, so each field
 * any schema marks is checked wherever the config uses it. Other keywords report too (callers keep
 * only `x-secret` errors). It runs the same validator as `validatorFor` (built ahead, or compiled once
 * per process), with `accepts` in force only during its own calls; errors carry no `data`, so no secret
 * value travels with them.
 */
export function secretCheckerFor(fileName: string, accepts: (mark: unknown, value: unknown) => boolean): SecretChecker {
  const validate = validatorFor(fileName);
  const check: SecretChecker = Object.assign((data: unknown): boolean => {
    const outer = secretCheck;
    secretCheck = accepts;
    try {
      const ok = validate(data);
      check.errors = ok ? null : (validate.errors ?? []).map(({ data: _value, parentSchema: _schema, ...e }) => e);
      return ok;
    } finally {
      secretCheck = outer;
    }
  }, { errors: null });
  return check;
}

/** `/lines/0/quantity` -> `lines[0].quantity` */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/**
 * Turns ajv's errors into one plain message per field, most specific first, without allOf noise.
 * With `showValues` (canonical records, never config: it may hold secrets) each message quotes the
 * offending value, cut short by echo(), and says what is allowed.
 */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined, options: { showValues?: boolean } = {}): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let path = pointerToPath(e.instancePath);
    let message: string;
    const shown = options.showValues && e.keyword !== 'required' && e.keyword !== 'additionalProperties' && e.keyword !== 'unevaluatedProperties' ? `${echo(e.data)} ` : '';
    // Only for records: config schema descriptions are long reference texts, not a message.
    const description = options.showValues && e.parentSchema && typeof e.parentSchema === 'object' && 'description' in e.parentSchema ? String(e.parentSchema.description) : undefined;
    switch (e.keyword) {
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        path = path ? `${path}.${missing}` : missing;
        message = 'is required but missing';
        break;
      }
      case 'additionalProperties':
      case 'unevaluatedProperties': {
        // unevaluatedProperties: a schema that adds fields to a referenced one (channel-api-common).
        const params = e.params as { additionalProperty?: string; unevaluatedProperty?: string };
        const extra = params.additionalProperty ?? params.unevaluatedProperty ?? '';
        path = path ? `${path}.${extra}` : extra;
        message = 'is not a known field';
        break;
      }
      case 'pattern':
        message = `${shown}is not valid: ${description ?? `must match ${(e.params as { pattern: string }).pattern}`}`;
        break;
      case 'format':
        message = `${shown}is not a valid ${(e.params as { format: string }).format}${description ? ` (${description})` : ''}`;
        break;
      case 'enum':
        message = `${shown}${shown ? 'is not allowed: ' : ''}must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'maxLength':
      case 'minLength': {
        const limit = (e.params as { limit: number }).limit;
        const len = typeof e.data === 'string' ? ` (${e.data.length} characters)` : '';
        message = `${shown}is too ${e.keyword === 'maxLength' ? 'long' : 'short'}${shown && len && !shown.includes(' characters)') ? len : ''}: at ${e.keyword === 'maxLength' ? 'most' : 'least'} ${limit} characters allowed`;
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const { comparison, limit } = e.params as { comparison: string; limit: number };
        const words: Record<string, string> = { '>=': 'at least', '<=': 'at most', '>': 'more than', '<': 'less than' };
        message = `${shown}is too ${comparison.startsWith('>') ? 'small' : 'large'}: must be ${words[comparison] ?? comparison} ${limit}`;
        break;
      }
      case 'discriminator': {
        const params = e.params as { tag?: string; tagValue?: unknown };
        path = path ? `${path}.${params.tag ?? 'type'}` : (params.tag ?? 'type');
        message = `${JSON.stringify(params.tagValue)} is not a known type`;
        break;
      }
      case 'allOf':
      case 'if':
        continue;
      default:
        message = shown && (typeof e.data !== 'object' || e.data === null) ? `${shown}is not allowed: ${e.message ?? e.keyword}` : (e.message ?? e.keyword);
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}

/** validateRecord's validators by kind: a key built per record (`${kind}.schema.json`) cost a string and its hash each time. */
const recordValidators = new Map<RecordKind, ValidateFunction>();

/** Validates one canonical record; returns no errors when it is valid. */
export function validateRecord(kind: RecordKind, value: unknown): FieldError[] {
  let validate = recordValidators.get(kind);
  if (!validate) {
    validate = validatorFor(`${kind}.schema.json`);
    recordValidators.set(kind, validate);
  }
  if (validate(value)) return [];
  return formatAjvErrors(validate.errors, { showValues: true });
}
