/** Names Wharf derives from a merchant's file name stay within NAME_MAX; odd names are told apart. */
import { spawn } from 'node:child_process';
import { promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTemps } from '../../src/transports/folder/atomic.js';
import { NAME_MAX, STALE_TEMP_AGE_MS, describeRawName, isStaleTempName, nameWithSuffix, shortenName, tempNameFor, unsafeNameReason } from '../../src/transports/names.js';

/** The id of a process of this host that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('derived names', () => {
  const long = `${'M'.repeat(251)}.csv`;

  it('a suffix on a name near the limit shortens the name with a hash, keeping the extension', () => {
    expect(nameWithSuffix('orders.csv', '.1')).toBe('orders.csv.1');
    const one = nameWithSuffix(long, '.1');
    expect(Buffer.byteLength(one)).toBeLessThanOrEqual(NAME_MAX);
    expect(one).toMatch(/^M+~[0-9a-f]{8}\.csv\.1$/);
    expect(nameWithSuffix(`${'M'.repeat(250)}a.csv`, '.1')).not.toBe(nameWithSuffix(`${'M'.repeat(250)}b.csv`, '.1'));
    expect(Buffer.byteLength(nameWithSuffix('é'.repeat(127), '.errors.json'))).toBeLessThanOrEqual(NAME_MAX);
  });

  it('temporary names fit however long the target name is', () => {
    const tmp = tempNameFor(`${long}.errors.json`, 'deadbeef');
    expect(Buffer.byteLength(tmp)).toBeLessThanOrEqual(NAME_MAX);
    expect(tmp.startsWith('.')).toBe(true);
    expect(tmp.endsWith(`-${process.pid}-deadbeef.tmp`)).toBe(true);
    expect(tempNameFor('x.json', 'ab12')).toMatch(new RegExp(`^\\.x\\.json\\.wharf-[0-9a-f]{8}-${process.pid}-ab12\\.tmp$`));
    expect(shortenName('short.csv', 30)).toBe('short.csv');
  });
});

describe('odd names', () => {
  it('a name that is not valid UTF-8 is shown with \\xNN escapes', () => {
    expect(describeRawName(Buffer.from([0x6c, 0x61, 0x74, 0xe9, 0x2e, 0x63, 0x73, 0x76]))).toEqual({ text: 'lat\\xe9.csv', valid: false });
    expect(describeRawName(Buffer.from('café.csv'))).toEqual({ text: 'café.csv', valid: true });
  });

  it('two dots inside a name are safe; ".." as a whole name, separators and control characters are not', () => {
    expect(unsafeNameReason('a..b.csv')).toBeUndefined();
    expect(unsafeNameReason('..')).toMatch(/directory reference/);
    expect(unsafeNameReason('a/b.csv')).toMatch(/separator/);
    expect(unsafeNameReason('a\\b.csv')).toMatch(/separator/);
    expect(unsafeNameReason('a\u0001.csv')).toMatch(/control/);
    expect(unsafeNameReason('é'.repeat(128))).toMatch(/255 bytes/);
  });
});

describe('stale temporary files', () => {
  it('only names of Wharf\'s own form, from a process of this host that is gone or older than a day', async () => {
    const now = Date.now();
    const ours = tempNameFor('stock.csv', 'ab12cd34');
    const dead = ours.replace(`-${process.pid}-`, `-${await deadPid()}-`);
    const otherHost = dead.replace(/\.wharf-[0-9a-f]{8}-/, '.wharf-00000000-');
    expect(isStaleTempName(ours, now, now)).toBe(false); // this process may be writing it
    expect(isStaleTempName(dead, now, now)).toBe(true);
    expect(isStaleTempName(otherHost, now, now)).toBe(false); // cannot tell: another host's writer
    expect(isStaleTempName(otherHost, now - STALE_TEMP_AGE_MS - 1000, now)).toBe(true);
    for (const name of ['.stock.csv.ab12cd34.tmp', '.notes.tmp', 'stock.csv', '.stock.csv.wharf-x-1-ab.tmp']) {
      expect(isStaleTempName(name, 0, now), name).toBe(false);
    }
  });

  it('removeStaleTemps removes exactly those files from a folder', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-stale-'));
    try {
      const dead = tempNameFor('a.csv', '00ff00ff').replace(`-${process.pid}-`, `-${await deadPid()}-`);
      const live = tempNameFor('b.csv', '11ff11ff');
      for (const n of [dead, live, '.merchant.tmp', 'a.csv']) await fs.writeFile(path.join(dir, n), 'x');
      await fs.mkdir(path.join(dir, tempNameFor('folder', '22ff22ff').replace(`-${process.pid}-`, '-1-')));
      expect(await removeStaleTemps(dir)).toEqual([dead]);
      expect(readdirSync(dir).sort()).toEqual([live, '.merchant.tmp', 'a.csv', tempNameFor('folder', '22ff22ff').replace(`-${process.pid}-`, '-1-')].sort());
      expect(await removeStaleTemps(path.join(dir, 'missing'))).toEqual([]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
