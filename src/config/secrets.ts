import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../errors.js';

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
