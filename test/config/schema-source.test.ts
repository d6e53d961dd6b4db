/**
 * The JSON Schemas are the one source of the config's shape: the committed TypeScript types are what
 * `npm run schemas:types` makes of them, and secrets and defaults are read from them at run time.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../src/log.js';
import { allSecretFieldNames, schemaDefaults, secretFields } from '../../src/config/schema-facts.js';
// @ts-expect-error -- a plain ES module script without type declarations
import { generate, OUTPUT } from '../../scripts/schema-types.mjs';

describe('config types generated from the schemas', () => {
  it('the committed src/config/generated/config.ts is what the schemas make (run `npm run schemas:types` after a schema change)', async () => {
    const fresh = (await generate()) as string;
    expect(readFileSync(OUTPUT as string, 'utf8')).toBe(fresh);
  });
});

describe('facts read from the schemas', () => {
  it('secret fields: every x-secret field, including the ledger URL', () => {
    const names = allSecretFieldNames();
    for (const n of ['password', 'privateKey', 'passphrase', 'accessToken', 'clientSecret', 'consumerKey', 'consumerSecret', 'apiKey', 'apiSecret', 'url']) expect(names).toContain(n);
    expect(secretFields('channel-lightspeed.schema.json')).toEqual([{ field: 'apiKey', mark: 'reference' }, { field: 'apiSecret', mark: 'reference' }]);
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
