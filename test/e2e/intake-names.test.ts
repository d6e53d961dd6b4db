/**
 * Issue 7 ("faithful intake"), folder names and odd entries through the real CLI: no file waits in an
 * inbox unseen (a name that is not valid UTF-8, a folder a pattern names, a done-file without its data
 * file), names Wharf derives from a long name stay within 255 bytes, a file whose clean-up keeps
 * failing shows in status, and a file imported through a symbolic link is archived as its bytes.
 */
import { existsSync, lstatSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { orderFileName, parseLogs, singleOrderCsv, type Workspace, workspacesPerTest } from '../helpers/e2e.js';

const workspace = workspacesPerTest();

interface Notice { kind: string; file: string; message: string }
async function notices(ws: Workspace): Promise<Notice[]> {
  return ((await ws.status()) as unknown as { notices: Notice[] }).notices;
}
function channelConfig(ws: Workspace, extra: Record<string, unknown>): void {
  const cfg = ws.configObject() as { merchants: Record<string, { channels: Record<string, Record<string, unknown>> }> };
  Object.assign(cfg.merchants.demo!.channels.dropbox!, extra);
  writeFileSync(ws.configPath, toYaml(cfg));
}

describe('a file name that is not valid UTF-8', () => {
  it('is reported once (log and status) with how to fix it, and test-connection counts it the same way', async () => {
    const ws = await workspace();
    writeFileSync(Buffer.concat([Buffer.from(`${ws.inbox}/lat`), Buffer.from([0xe9]), Buffer.from('.csv')]), singleOrderCsv('LAT-1'));
    const first = await ws.once();
    expect(first.code, first.stderr).toBe(0);
    const warned = parseLogs(first.stderr).filter((l) => /not valid UTF-8/.test(l.msg));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toContain('lat\\xe9.csv');
    expect(warned[0]!.msg).toMatch(/rename/);
    const second = await ws.once();
    expect(parseLogs(second.stderr).filter((l) => /not valid UTF-8/.test(l.msg))).toHaveLength(0);
    const n = (await notices(ws)).filter((x) => x.kind === 'skipped');
    expect(n.map((x) => x.file)).toEqual(['lat\\xe9.csv']);
    const tc = await ws.wharf(['test-connection', 'demo/dropbox']);
    expect(tc.stdout).toMatch(/0 file\(s\) waiting that a pattern takes/);
    expect(tc.stdout).toMatch(/1 not taken: lat\\xe9\.csv \(name not valid UTF-8/);
  });
});

describe('names near the 255-byte limit', () => {
  const long = `${'M'.repeat(251)}.csv`;

  it('a second file of the same long name is archived under a shortened numbered name', async () => {
    const ws = await workspace();
    await ws.put(long, singleOrderCsv('LONG-1'));
    expect((await ws.once()).code).toBe(0);
    await ws.put(long, singleOrderCsv('LONG-2'));
    const second = await ws.once();
    expect(second.code, second.stderr).toBe(0);
    expect(parseLogs(second.stderr).filter((l) => l.level >= 50)).toEqual([]);
    expect(ws.inboxFiles()).toEqual([]);
    const archived = ws.archived().map((a) => a.split('/')[1]!);
    expect(archived).toHaveLength(2);
    expect(archived).toContain(long);
    for (const a of archived) {
      expect(Buffer.byteLength(a)).toBeLessThanOrEqual(255);
      expect(a.endsWith('.csv') || /\.csv\.\d+$/.test(a) || /~[0-9a-f]{8}\.csv\.1$/.test(a)).toBe(true);
    }
    expect(ws.warehouseFiles()).toEqual([orderFileName('LONG-1'), orderFileName('LONG-2')]);
  });

  it('a bad file with a 251-character name is quarantined with its report', async () => {
    const ws = await workspace();
    await ws.put(long, 'not;an;order\n1;2;3\n');
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.inboxFiles()).toEqual([]);
    const q = ws.quarantineFiles();
    expect(q).toHaveLength(2);
    expect(q.some((f) => f.endsWith('.csv.errors.json'))).toBe(true);
    for (const f of q) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(255);
  });
});

describe('a file whose clean-up keeps failing after its commit', () => {
  it('is shown in wharf status until the clean-up succeeds', async () => {
    const ws = await workspace();
    await fs.writeFile(ws.archive, 'not a folder'); // every archive move fails (ENOTDIR)
    await ws.put('stuck.csv', singleOrderCsv('STUCK-1'));
    await ws.once();
    await ws.once();
    const stuck = (await notices(ws)).filter((n) => n.kind === 'cleanup-failed');
    expect(stuck).toHaveLength(1);
    expect(stuck[0]!.message).toMatch(/stuck\.csv was imported, but moving it to the archive folder .* fails \(ENOTDIR/);
    expect((await ws.wharf(['status'])).stdout).toMatch(/CLEANUP-FAILED .*stuck\.csv/);
    await fs.rm(ws.archive);
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.inboxFiles()).toEqual([]);
    expect((await notices(ws)).filter((n) => n.kind === 'cleanup-failed')).toEqual([]);
    const st = await ws.status();
    expect(st.channels[0]!.files).toMatchObject({ imported: 1, duplicate: 0 });
  });
});

describe('a file imported through a symbolic link', () => {
  it('archive: the archive holds the imported bytes under the link name; the link is gone, its target stays', async () => {
    const ws = await workspace();
    await fs.mkdir(path.join(ws.inbox, 'sub'));
    const content = singleOrderCsv('SYM-1');
    await fs.writeFile(path.join(ws.inbox, 'sub', 'in.txt'), content);
    await fs.symlink('sub/in.txt', path.join(ws.inbox, 'sym-in.csv'));
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseFiles()).toEqual([orderFileName('SYM-1')]);
    expect(existsSync(path.join(ws.inbox, 'sym-in.csv'))).toBe(false);
    expect(lstatSync(path.join(ws.inbox, 'sym-in.csv'), { throwIfNoEntry: false })).toBeUndefined();
    const archived = ws.archived();
    expect(archived.map((a) => a.split('/')[1])).toEqual(['sym-in.csv']);
    const copy = path.join(ws.archive, archived[0]!);
    expect(lstatSync(copy).isFile()).toBe(true);
    expect(readFileSync(copy, 'utf8')).toBe(content);
    expect(readFileSync(path.join(ws.inbox, 'sub', 'in.txt'), 'utf8')).toBe(content);
  });

  it('delete: the link is removed, not its target', async () => {
    const ws = await workspace({ afterImport: 'delete' });
    await fs.mkdir(path.join(ws.inbox, 'sub'));
    await fs.writeFile(path.join(ws.inbox, 'sub', 'in.txt'), singleOrderCsv('SYM-2'));
    await fs.symlink('sub/in.txt', path.join(ws.inbox, 'sym-in.csv'));
    expect((await ws.once()).code).toBe(0);
    expect(ws.warehouseFiles()).toEqual([orderFileName('SYM-2')]);
    expect(lstatSync(path.join(ws.inbox, 'sym-in.csv'), { throwIfNoEntry: false })).toBeUndefined();
    expect(existsSync(path.join(ws.inbox, 'sub', 'in.txt'))).toBe(true);
  });
});

describe('never silent, continued', () => {
  it('a folder a pattern names is reported once as not a regular file', async () => {
    const ws = await workspace();
    await fs.mkdir(path.join(ws.inbox, 'dir.csv'));
    const r = await ws.once();
    expect(parseLogs(r.stderr).filter((l) => l.file === 'dir.csv' && /folder/.test(l.msg))).toHaveLength(1);
    const n = (await notices(ws)).find((x) => x.file === 'dir.csv');
    expect(n?.message).toMatch(/folder, not a regular file/);
    expect((await ws.wharf(['test-connection', 'demo/dropbox'])).stdout).toMatch(/dir\.csv \(a folder, not a file\)/);
  });

  it("the channel's own archive and quarantine folders are not reported, even under a pattern `*`", async () => {
    const ws = await workspace({ files: [{ pattern: '*', mapping: 'demo-orders-csv' }] });
    await ws.put('good', singleOrderCsv('STAR-1'));
    await ws.put('bad', 'not;an;order\n1;2;3\n');
    await ws.once();
    await ws.once();
    expect(existsSync(ws.archive) && existsSync(ws.quarantine)).toBe(true);
    expect(await notices(ws)).toEqual([]);
    expect((await ws.wharf(['test-connection', 'demo/dropbox'])).stdout).not.toMatch(/a folder, not a file/);
  });

  it('doneFiles: a lone done-file is reported as such; a data file without its done-file is counted as waiting for it', async () => {
    const ws = await workspace();
    channelConfig(ws, { doneFiles: true });
    await ws.put('lonely.csv.done', '');
    await ws.put('early.csv', singleOrderCsv('EARLY-1'));
    await ws.once();
    const n = (await notices(ws)).find((x) => x.file === 'lonely.csv.done');
    expect(n?.message).toMatch(/done-file without its data file/);
    expect(n?.message).not.toMatch(/no `files` pattern/);
    const tc = (await ws.wharf(['test-connection', 'demo/dropbox'])).stdout;
    expect(tc).toMatch(/0 file\(s\) waiting that a pattern takes/);
    expect(tc).toMatch(/1 file\(s\) waiting for their done-file \(\.done\): early\.csv/);
    expect(tc).toMatch(/lonely\.csv\.done \(done-file without its data file\)/);
  });

  it('two dots inside a name are no path: a..b.csv is taken', async () => {
    const ws = await workspace();
    await ws.put('a..b.csv', singleOrderCsv('DOTS-1'));
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseFiles()).toEqual([orderFileName('DOTS-1')]);
    expect(ws.archived().map((a) => a.split('/')[1])).toEqual(['a..b.csv']);
  });
});
