import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../errors.js';
import { secretFields } from './schema-facts.js';

/**
 * Resolves secret references in every string of the raw config: `${NAME}` (anywhere in a string) is
 * replaced by the environment variable, and a whole value `file:/path` by the file's contents (one
 * trailing newline dropped). Values are never echoed in errors: only the key path and the reference.
 */
export function resolveReferences(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): unknown {
  return walk(raw, '', baseDir, env);
}

function walk(value: unknown, keyPath: string, baseDir: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') return resolveString(value, keyPath, baseDir, env);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, `${keyPath}[${i}]`, baseDir, env));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, keyPath ? `${keyPath}.${k}` : k, baseDir, env);
    return out;
  }
  return value;
}

function resolveString(value: string, keyPath: string, baseDir: string, env: NodeJS.ProcessEnv): string {
  if (value.startsWith('file:')) {
    const file = path.resolve(baseDir, value.slice(5));
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new WharfError('CONFIG_SECRET', `cannot read the secret file for ${keyPath}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
        where: keyPath,
        hint: `make ${file} readable by the user running wharf, or change the reference`,
      });
    }
  }
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      throw new WharfError('CONFIG_SECRET', `environment variable ${name} is not set (used by ${keyPath})`, {
        where: keyPath,
        hint: `export ${name}=… before starting wharf, or change the reference`,
      });
    }
    return v;
  });
}

/** A whole value that is a reference: `${NAME}` or `file:/path`. */
const REFERENCE = /^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|file:.+)$/s;

/**
 * Refuses a secret written into the config itself where the channel schema marks the field
 * `"x-secret": "reference"` (an SFTP password, Shopify's accessToken, ...), in a merchant's channels,
 * in a report source (warehouse.reports) and in an export's SFTP destination: such a value must be a
 * reference, `${NAME}` or `file:/path`. Runs on the raw config, before references are resolved.
 * Throws CONFIG_SECRET naming the key path, never the value.
 */
export function requireSecretReferences(raw: unknown): void {
  type Obj = Record<string, unknown>;
  const cfg = raw as { merchants?: Record<string, { channels?: Record<string, Obj>; exports?: Record<string, { destination?: { sftp?: Obj } }> }>; warehouse?: { reports?: Record<string, Obj> } } | null;
  for (const [merchant, m] of Object.entries(cfg?.merchants ?? {})) {
    for (const [channel, c] of Object.entries(m?.channels ?? {})) checkReferences(c, referenceOnlyFields(c?.type), `merchants.${merchant}.channels.${channel}`, `${merchant}_${channel}`);
    for (const [kind, e] of Object.entries(m?.exports ?? {})) {
      checkReferences(e?.destination?.sftp, referenceOnlyFields('sftp'), `merchants.${merchant}.exports.${kind}.destination.sftp`, `${merchant}_${kind}_sftp`);
    }
  }
  for (const [name, r] of Object.entries(cfg?.warehouse?.reports ?? {})) checkReferences(r, referenceOnlyFields(r?.type), `warehouse.reports.${name}`, `warehouse_${name}`);
}

/** Throws CONFIG_SECRET for the first of `fields` of `obj` whose value is not a reference. */
function checkReferences(obj: Record<string, unknown> | undefined, fields: string[], at: string, envStem: string): void {
  for (const field of fields) {
    const v = obj?.[field];
    if (typeof v !== 'string' || REFERENCE.test(v.trim())) continue;
    const keyPath = `${at}.${field}`;
    throw new WharfError('CONFIG_SECRET', `the value is the secret itself; it must be a reference: \${ENV_NAME} or file:/path`, {
      where: keyPath,
      field: keyPath,
      hint: `e.g. ${field}: \${${`${envStem}_${field}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}} and export that variable before starting wharf (the value is not shown here)`,
    });
  }
}

const referenceOnly = new Map<string, string[]>();

/** The fields of a channel type whose schema (or the common schema it references) says `"x-secret": "reference"`. */
function referenceOnlyFields(type: unknown): string[] {
  if (typeof type !== 'string' || !/^[a-z]+$/.test(type)) return [];
  let fields = referenceOnly.get(type);
  if (!fields) {
    try {
      fields = secretFields(`channel-${type}.schema.json`).filter((s) => s.mark === 'reference').map((s) => s.field);
    } catch {
      fields = []; // an unknown type is reported by the schema check
    }
    referenceOnly.set(type, fields);
  }
  return fields;
}
