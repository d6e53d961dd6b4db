/**
 * The JSON Schemas are the one source of the config's shape: the committed TypeScript types are what
 * `npm run schemas:types` makes of them, and secrets and defaults are read from them at run time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../src/log.js';
import { loadSchema, SCHEMAS_DIR } from '../../src/schemas.js';
import { allSecretFieldNames, schemaDefaults, secretFields } from '../../src/config/schema-facts.js';
// @ts-expect-error -- a plain ES module script without type declarations
import { generate, OUTPUT } from '../../scripts/schema-types.mjs';

describe('config types generated from the schemas', () => {
  it('the committed src/config/generated/config.ts is what the schemas make (run `npm run schemas:types` after a schema change)', async () => {
    const fresh = (await generate()) as string;
    expect(readFileSync(OUTPUT as string, 'utf8')).toBe(fresh);
  });
});

describe('the shipped schemas', () => {
  it('each is a valid JSON Schema 2020-12 (the run-time validators skip this check: src/schemas.ts)', () => {
    const ajv = new Ajv2020({ strict: false });
    const files = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const ok = ajv.validateSchema(loadSchema(f));
      expect({ file: f, errors: ok ? null : ajv.errors }).toEqual({ file: f, errors: null });
    }
  });

  it('the meta-schema check finds a broken schema (so the test above can fail)', () => {
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema({ type: 'object', properties: { sku: { type: 'string', minLength: 'one' } } })).toBe(false);
  });
});

describe('facts read from the schemas', () => {
  it('secret fields: every x-secret field, including the ledger URL', () => {
    const names = allSecretFieldNames();
    for (const n of ['password', 'privateKey', 'passphrase', 'accessToken', 'clientSecret', 'consumerKey', 'consumerSecret', 'apiKey', 'apiSecret', 'url']) expect(names).toContain(n);
    expect(secretFields('channel-lightspeed.schema.json')).toEqual([{ field: 'apiKey', mark: 'reference' }, { field: 'apiSecret', mark: 'reference' }]);
  });

  it('every password/key/token/secret-like field of every schema is x-secret (directly or through its $ref)', () => {
    // Fields whose names look secret but hold public facts.
    const PUBLIC = new Set(['hostKey', 'tokenUrl']);
    const SECRET_LIKE = /pass(word|phrase)?$|private.?key|token|secret|api.?key|consumer.?key|credential|^key$/i;
    type Node = { properties?: Record<string, Node>; $ref?: string; 'x-secret'?: unknown };
    const target = (ref: string, file: string): Node => {
      const [f, pointer] = ref.split('#');
      const root = loadSchema(f || file) as Node;
      return (pointer ?? '').split('/').slice(1).reduce<Node>((n, k) => (n as Record<string, Node>)[k]!, root);
    };
    const marked = (p: Node, file: string): boolean => p['x-secret'] !== undefined && p['x-secret'] !== false ? true : typeof p.$ref === 'string' ? marked(target(p.$ref, file), file) : false;
    const seen: string[] = [];
    const unmarked: string[] = [];
    const visit = (node: unknown, file: string, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => visit(n, file, `${at}/${i}`));
      if (!node || typeof node !== 'object') return;
      for (const [name, p] of Object.entries((node as Node).properties ?? {})) {
        // `"password": true` in an anyOf only says the field must be there; its definition is elsewhere.
        if (SECRET_LIKE.test(name) && !PUBLIC.has(name) && typeof p === 'object') {
          seen.push(`${file}${at}/${name}`);
          if (!marked(p, file)) unmarked.push(`${file}${at}/properties/${name}`);
        }
      }
      for (const [k, v] of Object.entries(node)) visit(v, file, `${at}/${k}`);
    };
    for (const file of readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json'))) visit(loadSchema(file), file, '#');
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.some((s) => s.includes('sftpConnection'))).toBe(true);
    expect(unmarked).toEqual([]);
  });

  it('a channel schema that references the common webshop schema refines its defaults', () => {
    const d = schemaDefaults<{ rateLimit: { requestsPerSecond: number; burst: number }; overlap: number }>('channel-retailcrm.schema.json');
    expect(d.rateLimit).toEqual({ requestsPerSecond: 8, burst: 1 });
    expect(d.overlap).toBe(300);
  });

  it('the log redacts every schema secret field, at the top and nested', () => {
    let out = '';
    const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
    const log = pino({ redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } }, sink);
    const values: Record<string, string> = {};
    for (const n of allSecretFieldNames()) values[n] = `value-of-${n}-xyz`;
    log.info(values);
    log.info({ channel: values });
    log.info({ err: { config: values } });
    for (const v of Object.values(values)) expect(out).not.toContain(v);
    expect(out.match(/\[redacted\]/g)!.length).toBe(3 * Object.keys(values).length);
  });
});
