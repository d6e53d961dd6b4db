import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../errors.js';
import { pointerToPath, secretCheckerFor } from '../schemas.js';

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
  // One run of the config validator (built at build time, src/schemas.ts): a name-based shortcut
  // that skipped it measured slower (it read every schema file) and is gone.
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
