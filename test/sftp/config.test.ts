import { describe, expect, it } from 'vitest';
import { loadSchema } from '../../src/schemas.js';
import { parseSftpConfig, resolveSftpSource, sftpConfigDefaults, SFTP_SCHEMA_FILE } from '../../src/transports/sftp/config.js';
import { globToRegExp } from '../../src/sources/pattern.js';
import { fingerprintOf } from '../../src/transports/sftp/hostkey.js';

const schema = loadSchema(SFTP_SCHEMA_FILE) as { properties: Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }> };
const minimal = {
  type: 'sftp',
  host: 'sftp.example',
  username: 'wharf',
  password: 'pw',
  hostKey: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
  paths: ['/out'],
  files: [{ pattern: '*.csv', mapping: 'demo-orders-csv' }],
};

describe('SFTP channel config', () => {
  it('reads its defaults from the schema', () => {
    expect(sftpConfigDefaults).toEqual({
      port: 22, recursive: false, pollInterval: 60, minAge: 5, doneFiles: false, doneFileSuffix: '.done', afterImport: 'archive', archiveFolder: 'archive',
      errorFolder: 'error', connectTimeout: 20, operationTimeout: 60, keepaliveInterval: 15, maxFilesPerPoll: 500, maxFileSize: 1073741824,
      concurrency: 4, onInvalid: 'rejectFile',
    });
  });

  it('applies defaults once, in milliseconds', () => {
    const r = resolveSftpSource(parseSftpConfig(minimal));
    expect(r).toMatchObject({ port: 22, pollIntervalMs: 60_000, minAgeMs: 5000, afterImport: 'archive', maxFilesPerPoll: 500, maxFileSize: 1073741824, concurrency: 4, doneSuffix: undefined });
    expect(resolveSftpSource({ ...parseSftpConfig(minimal), doneFiles: true }).doneSuffix).toBe('.done');
    expect(resolveSftpSource({ ...parseSftpConfig(minimal), paths: ['/a/', '/a'] }).paths).toEqual(['/a']);
  });

  it('rejects unknown fields, a malformed pin and missing credentials; a missing pin loads (set-up, fails closed)', () => {
    expect(() => parseSftpConfig({ ...minimal, hots: 'x' })).toThrow(/hots is not a known field/);
    const { hostKey: _h, ...noPin } = minimal;
    expect(() => parseSftpConfig(noPin)).not.toThrow();
    expect(() => parseSftpConfig({ ...minimal, hostKey: 'ab:cd:ef' })).toThrow(/hostKey is not valid/);
    const { password: _p, ...noCreds } = minimal;
    expect(() => parseSftpConfig(noCreds)).toThrow(/invalid SFTP channel config: a password or a privateKey is required$/);
    expect(() => resolveSftpSource({ ...(noCreds as typeof minimal & { type: 'sftp' }) })).toThrow(/needs a password or a privateKey/);
    expect(() => resolveSftpSource({ ...parseSftpConfig(minimal), archiveFolder: 'x', errorFolder: 'x' })).toThrow(/must differ/);
  });

  it('never echoes secrets in validation errors', () => {
    try {
      parseSftpConfig({ ...minimal, password: 'hunter2-secret', port: 'twenty-two' });
      throw new Error('should have failed');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2-secret');
    }
  });
});

describe('file patterns', () => {
  it('matches base names like a shell glob', () => {
    expect(globToRegExp('*.csv').test('orders.csv')).toBe(true);
    expect(globToRegExp('*.csv').test('orders.csv.done')).toBe(false);
    expect(globToRegExp('orders_??.{csv,xml}').test('orders_01.xml')).toBe(true);
    expect(globToRegExp('orders_??.{csv,xml}').test('orders_1.xml')).toBe(false);
    expect(globToRegExp('[!x]*.txt').test('a.txt')).toBe(true);
    expect(globToRegExp('[!x]*.txt').test('x.txt')).toBe(false);
    expect(globToRegExp('a+b(1).csv').test('a+b(1).csv')).toBe(true);
  });
});

describe('fingerprints', () => {
  it('are unpadded base64 SHA-256 with the SHA256: prefix', () => {
    expect(fingerprintOf(Buffer.from('abc'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });
});
