import { readdirSync } from 'node:fs';
import { loadSchema, SCHEMAS_DIR } from '../schemas.js';

/**
 * Facts the code reads from the config's JSON Schemas (schemas/*.schema.json), so that each is written
 * once: the `default` of a field and which fields hold secrets (`"x-secret"`). The TypeScript types
 * come from the same schemas (src/config/generated, `npm run schemas:types`).
 */

type SchemaNode = {
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  allOf?: { $ref?: string }[];
  'x-secret'?: unknown;
};

/**
 * The defaults of a config type `T`, nested like it: every field of `T`, made required. Only fields
 * whose schema has a `default` are there at run time; callers read only those (the connector and
 * config tests check the values they read).
 */
export type Defaults<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends readonly unknown[]
    ? NonNullable<T[K]>
    : NonNullable<T[K]> extends Record<string, unknown>
      ? Defaults<NonNullable<T[K]>>
      : NonNullable<T[K]>;
};

/** Schemas an `allOf` entry references by file name (`channel-api-common.schema.json`). */
function referenced(schema: SchemaNode): SchemaNode[] {
  return (schema.allOf ?? []).flatMap((s) => (typeof s.$ref === 'string' && s.$ref.endsWith('.schema.json') ? [loadSchema(s.$ref) as SchemaNode] : []));
}

function collectDefaults(schema: SchemaNode, into: Record<string, unknown>): Record<string, unknown> {
  // A referenced common schema first: the schema's own properties refine its defaults.
  for (const base of referenced(schema)) collectDefaults(base, into);
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.properties) {
      const nested = collectDefaults(prop, { ...((into[key] as Record<string, unknown> | undefined) ?? {}) });
      if (Object.keys(nested).length > 0) into[key] = nested;
    } else if ('default' in prop) {
      into[key] = prop.default;
    }
  }
  return into;
}

/**
 * The `default`s of a schema's properties (`schemas/<file>`), nested objects as nested objects, with
 * those of the schemas it references through `allOf` (a platform's channel schema and the common
 * webshop fields). `pointer` picks a part of the file (`/$defs/reportStock`). Reads the file once
 * per call; callers keep the result in a module constant.
 */
export function schemaDefaults<T>(file: string, pointer = ''): Defaults<T> {
  const schema = pointer ? schemaValue<SchemaNode>(file, pointer) : (loadSchema(file) as SchemaNode);
  return collectDefaults(schema, {}) as Defaults<T>;
}

/**
 * One value in a schema by JSON pointer, for a default the property walk does not reach (the suffix
 * inside the object form of `doneFiles`). Throws when the pointer leads nowhere: a schema/code mismatch.
 */
export function schemaValue<T>(file: string, pointer: string): T {
  let node: unknown = loadSchema(file);
  for (const part of pointer.split('/').slice(1)) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  if (node === undefined) throw new Error(`schemas/${file} has nothing at ${pointer}`);
  return node as T;
}

/**
 * The fields of `schemas/<file>` (and the schemas it references through `allOf`) that its schema
 * marks `"x-secret"`, with that mark: `"reference"` (the value must be `${ENV}` or `file:`) or `true`.
 */
export function secretFields(file: string): { field: string; mark: unknown }[] {
  const schema = loadSchema(file) as SchemaNode;
  return [...referenced(schema), schema].flatMap((s) =>
    Object.entries(s.properties ?? {}).filter(([, p]) => p['x-secret'] !== undefined && p['x-secret'] !== false).map(([field, p]) => ({ field, mark: p['x-secret'] })),
  );
}

/** The names of the secret fields of a channel schema, for scrubbing their values out of messages. */
export function secretKeysOf(file: string): string[] {
  return secretFields(file).map((s) => s.field);
}

function namesIn(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => namesIn(n, out));
  if (!node || typeof node !== 'object') return;
  const props = (node as SchemaNode).properties;
  for (const [name, p] of Object.entries(props ?? {})) if (p && typeof p === 'object' && p['x-secret'] !== undefined && p['x-secret'] !== false) out.add(name);
  for (const v of Object.values(node)) namesIn(v, out);
}

/** Every field name that any schema in schemas/ marks `"x-secret"`, at any depth, sorted. */
export function allSecretFieldNames(): string[] {
  const out = new Set<string>();
  for (const file of readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json'))) namesIn(loadSchema(file), out);
  return [...out].sort();
}
