import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../errors.js';
import { loadSchema, pointerToPath, SCHEMAS_DIR, secretCheckerFor } from '../schemas.js';

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
 * Refuses a secret written into the config itself wherever a schema marks the field
 * `"x-secret": "reference"` (an SFTP password, Shopify's accessToken, ...): in a merchant's channels,
 * a report source (warehouse.reports), warehouse.orders.sftp, an export's SFTP destination, and any
 * place a later schema adds. Such a value must be a reference, `${NAME}` or `file:/path`. The config
 * schema itself finds the fields (secretCheckerFor), so no list of places is kept here. Runs on the
 * raw config, before references are resolved. Throws CONFIG_SECRET naming the key path, never the value.
 */
export function requireSecretReferences(raw: unknown): void {
  // Compiling the checker (every schema, allErrors) costs about a second of CPU per process; it can
  // only find something when a field of a reference-marked name holds a string that is no reference.
  const names = referenceFieldNames();
  if (names && !hasLiteralUnder(raw, names)) return;
  const check = secretCheckerFor('config.schema.json', (mark, value) => mark !== 'reference' || typeof value !== 'string' || REFERENCE.test(value.trim()));
  if (check(raw)) return;
  const first = (check.errors ?? []).filter((e) => e.keyword === 'x-secret').map((e) => pointerToPath(e.instancePath)).sort()[0];
  if (first === undefined) return; // other problems: the schema check after resolution reports them
  const segments = first.split('.');
  const field = segments[segments.length - 1]!;
  // merchants.demo.channels.drop.password -> DEMO_DROP_PASSWORD; warehouse.orders.sftp.password -> WAREHOUSE_ORDERS_SFTP_PASSWORD
  const envName = segments.filter((s) => !['merchants', 'channels', 'exports', 'reports', 'destination'].includes(s)).join('_').toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  throw new WharfError('CONFIG_SECRET', `the value is the secret itself; it must be a reference: \${ENV_NAME} or file:/path`, {
    where: first,
    field: first,
    hint: `e.g. ${field}: \${${envName}} and export that variable before starting wharf (the value is not shown here)`,
  });
}

let referenceNames: Set<string> | null | undefined;

/**
 * The property names that some schema marks `"x-secret": "reference"`; null when a mark sits anywhere
 * but directly in a `properties` entry (then the names alone cannot find every marked value).
 */
function referenceFieldNames(): Set<string> | null {
  if (referenceNames !== undefined) return referenceNames;
  const names = new Set<string>();
  let marks = 0;
  let named = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n['x-secret'] === 'reference') marks++;
    const props = n.properties;
    if (props && typeof props === 'object' && !Array.isArray(props)) {
      for (const [name, p] of Object.entries(props)) {
        if (p && typeof p === 'object' && (p as Record<string, unknown>)['x-secret'] === 'reference') {
          names.add(name);
          named++;
        }
      }
    }
    for (const v of Object.values(n)) visit(v);
  };
  for (const file of readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json'))) visit(loadSchema(file));
  referenceNames = marks === named ? names : null;
  return referenceNames;
}

/** True when some object in `value` has a key of `names` whose value is a string that is not a reference. */
function hasLiteralUnder(value: unknown, names: Set<string>): boolean {
  if (Array.isArray(value)) return value.some((v) => hasLiteralUnder(v, names));
  if (!value || typeof value !== 'object') return false;
  for (const [k, v] of Object.entries(value)) {
    if (names.has(k) && typeof v === 'string' && !REFERENCE.test(v.trim())) return true;
    if (hasLiteralUnder(v, names)) return true;
  }
  return false;
}
