/**
 * The validators compiled at build time (scripts/build-validators.mjs -> dist/validators.cjs, ajv
 * standalone code) are what a run-time compile of schemas/ gives, errors included, and a process never
 * uses them once a schema has changed since the build: it compiles at run time instead.
 * (`npm test` builds first: pretest.)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  loadGeneratedValidators, loadSchema, newAjv, schemaFiles, SCHEMAS_DIR, secretCheckerFor, VALIDATORS_MODULE, validatorsFingerprint, validatorsSource,
} from '../../src/schemas.js';
import { ROOT } from '../helpers/e2e.js';

const temp = mkdtempSync(path.join(os.tmpdir(), 'wharf-validators-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A copy of schemas/ in a new folder of `temp`, for editing. */
function schemasCopy(name: string): string {
  const dir = path.join(temp, name, 'schemas') + path.sep;
  cpSync(SCHEMAS_DIR, dir, { recursive: true });
  return dir;
}

describe('build-time validators', () => {
  it('the build made them from schemas/ as it is now, and this process uses them', () => {
    const mod = createRequire(import.meta.url)(VALIDATORS_MODULE) as { fingerprint: string };
    expect(mod.fingerprint).toBe(validatorsFingerprint());
    expect(validatorsSource()).toBe('generated');
    expect(Object.keys(loadGeneratedValidators()!).sort()).toEqual(schemaFiles());
  });

  it('a schema edited after the build makes them stale: refused, whatever the edit', () => {
    const same = schemasCopy('same');
    expect(loadGeneratedValidators(VALIDATORS_MODULE, same)).not.toBeNull();
    const edited = schemasCopy('edited');
    const file = path.join(edited, 'stock.schema.json');
    // One byte: maxLength 100 -> 101.
    writeFileSync(file, readFileSync(file, 'utf8').replace('"maxLength": 100', '"maxLength": 101'));
    expect(loadGeneratedValidators(VALIDATORS_MODULE, edited)).toBeNull();
    const added = schemasCopy('added');
    writeFileSync(path.join(added, 'extra.schema.json'), '{}');
    expect(loadGeneratedValidators(VALIDATORS_MODULE, added)).toBeNull();
    expect(loadGeneratedValidators(path.join(temp, 'missing.cjs'))).toBeNull();
  });

  it('a process whose schemas changed since the build validates against the new schema (run-time compile)', () => {
    // A package copy: dist/schemas.js + errors.js + validators.cjs as built, schemas/ edited, the real node_modules.
    const pkg = path.join(temp, 'pkg');
    mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    for (const f of ['schemas.js', 'errors.js', 'validators.cjs']) copyFileSync(path.join(ROOT, 'dist', f), path.join(pkg, 'dist', f));
    copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    cpSync(SCHEMAS_DIR, path.join(pkg, 'schemas'), { recursive: true });
    const run = (): { source: string; errors: unknown } =>
      JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', `
        const s = await import(${JSON.stringify(path.join(pkg, 'dist', 'schemas.js'))});
        const errors = s.validateRecord('stock', { merchant: 'demo', sku: 'S'.repeat(101), quantity: 1 });
        console.log(JSON.stringify({ source: s.validatorsSource(), errors }));`], { encoding: 'utf8' })) as { source: string; errors: unknown };
    expect(run()).toEqual({ source: 'generated', errors: [{ path: 'sku', message: `"${'S'.repeat(40)}…" (101 characters) is too long: at most 100 characters allowed` }] });
    const file = path.join(pkg, 'schemas', 'stock.schema.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"maxLength": 100', '"maxLength": 200'));
    expect(run()).toEqual({ source: 'compiled', errors: [] });
  });

  it('give the same verdicts and the same errors as a run-time compile (values, schemas, x-secret)', () => {
    const generated = loadGeneratedValidators()!;
    const ajv = newAjv();
    for (const f of schemaFiles()) ajv.addSchema(loadSchema(f));
    const config = parse(readFileSync(path.join(ROOT, 'config', 'wharf.yaml'), 'utf8')) as Record<string, unknown>;
    const broken = structuredClone(config) as { merchants: Record<string, { channels: Record<string, Record<string, unknown>> }>; extra?: number };
    broken.extra = 1;
    broken.merchants.demo!.channels.dropbox!.minAge = -1;
    broken.merchants.demo!.channels.shop = { type: 'shopify', shop: 'x', accessToken: 'shpat_literal', mapping: 7 };
    broken.merchants.demo!.channels.drop = { type: 'sftp', host: 'h', username: 'u', password: 'literal', path: '/in', files: [] };
    const cases: [string, unknown][] = [
      ['config.schema.json', config],
      ['config.schema.json', broken],
      ['config.schema.json', {}],
      ['mapping.schema.json', parse(readFileSync(path.join(ROOT, 'mappings', 'demo-orders-csv.yaml'), 'utf8'))],
      ['mapping.schema.json', { kind: 'order', format: 'xml', fields: 3 }],
      ['stock.schema.json', { merchant: '-bad', sku: '', quantity: -1, ean: '12', asOf: '2026-13-01T00:00:00Z', x: 1 }],
      ['order.schema.json', { merchant: 'demo', lines: [{ quantity: 'two' }] }],
      ['shipment.schema.json', { merchant: 'demo' }],
      ['product.schema.json', null],
    ];
    let invalid = 0;
    for (const [file, value] of cases) {
      const a = generated[file]!;
      const b = ajv.getSchema(loadSchema(file).$id as string)!;
      const verdict = a(value);
      expect({ file, verdict, errors: a.errors }).toEqual({ file, verdict: b(value), errors: b.errors });
      if (!verdict) invalid++;
    }
    expect(invalid).toBe(cases.length - 2);
    // x-secret runs in the generated code: the two literal secrets of `broken` are found.
    const check = secretCheckerFor('config.schema.json', (mark, value) => mark !== 'reference' || typeof value !== 'string' || value.startsWith('${'));
    expect(check(broken)).toBe(false);
    expect(check.errors!.filter((e) => e.keyword === 'x-secret').map((e) => e.instancePath).sort()).toEqual(['/merchants/demo/channels/drop/password', '/merchants/demo/channels/shop/accessToken']);
  });
});
