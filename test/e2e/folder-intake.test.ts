/**
 * Folder channels through the real CLI: a missing inbox is a channel error (never silently created),
 * test-connection changes nothing, files not taken are reported in the log once and in `wharf status`,
 * and a writer that goes on writing into an archived file is reported with both hashes.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, parseLogs, singleOrderCsv, waitFor, wharf, workspacesPerTest } from '../helpers/e2e.js';

const workspace = workspacesPerTest();

interface Notices {
  notices: { kind: string; file: string; message: string; channel: string }[];
  channels: { channel: string; notices: number; lastError: string | null }[];
}

describe('a missing inbox', () => {
  it('wharf once reports it as a channel error and creates nothing; test-connection fails and creates nothing', async () => {
    const ws = await workspace();
    await fs.rm(ws.inbox, { recursive: true });
    const r = await ws.once();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/channel demo\/dropbox FAILED: the inbox folder .*inbox does not exist/);
    expect(existsSync(ws.inbox)).toBe(false);
    const st = (await ws.status()) as unknown as Notices;
    expect(st.channels[0]!.lastError).toMatch(/does not exist/);
    const tc = await ws.wharf(['test-connection', 'demo/dropbox']);
    expect(tc.code).toBe(1);
    expect(tc.stdout).toMatch(/FAIL inbox: .* does not exist/);
    expect(existsSync(ws.inbox)).toBe(false);
  });

  it('test-connection on a fresh inbox passes without creating its archive and quarantine folders', async () => {
    const ws = await workspace();
    await ws.put('a.csv', singleOrderCsv('TC-1'));
    await ws.put('notes.txt', 'x');
    await fs.mkdir(path.join(ws.inbox, 'folder.csv'));
    const tc = await ws.wharf(['test-connection', 'demo/dropbox']);
    expect(tc.code).toBe(0);
    expect(tc.stdout).toContain('1 file(s) waiting that a pattern takes; 1 file(s) no pattern matches, left alone: notes.txt');
    expect((await fs.readdir(ws.inbox)).sort()).toEqual(['a.csv', 'folder.csv', 'notes.txt']);
  });

  it('the quick-start config creates its demo inbox because it says create: true', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-quickstart-'));
    try {
      await fs.mkdir(path.join(root, 'config'));
      await fs.copyFile(path.join(ROOT, 'config', 'wharf.yaml'), path.join(root, 'config', 'wharf.yaml'));
      await fs.symlink(path.join(ROOT, 'mappings'), path.join(root, 'mappings'));
      const r = await wharf(['once', '--config', path.join(root, 'config', 'wharf.yaml')], { cwd: root });
      expect(r.code).toBe(0);
      expect(existsSync(path.join(root, 'var', 'merchants', 'demo', 'inbox'))).toBe(true);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe('files not taken', () => {
  it('are logged once and listed by wharf status with the reason', async () => {
    const ws = await workspace();
    await ws.put('orders.txt', singleOrderCsv('NOPE-1'));
    await fs.writeFile(path.join(ws.root, 'elsewhere.csv'), singleOrderCsv('NOPE-2'));
    await fs.symlink(path.join(ws.root, 'elsewhere.csv'), path.join(ws.inbox, 'escape.csv'));
    await fs.writeFile(path.join(ws.inbox, 'store.csv.real'), singleOrderCsv('LINK-1'));
    await fs.symlink(path.join(ws.inbox, 'store.csv.real'), path.join(ws.inbox, 'linked.csv'));
    const first = await ws.once();
    expect(first.code).toBe(0);
    expect(ws.warehouseFiles()).toEqual(['demo-dropbox-LINK-1.json']);
    const logged = parseLogs(first.stderr).filter((l) => /file not taken/.test(l.msg)).map((l) => l.file);
    expect(logged.sort()).toEqual(['escape.csv', 'orders.txt', 'store.csv.real']);
    const second = await ws.once();
    expect(parseLogs(second.stderr).filter((l) => /file not taken/.test(l.msg))).toEqual([]);
    const st = (await ws.status()) as unknown as Notices;
    expect(st.notices.map((n) => n.file).sort()).toEqual(['escape.csv', 'orders.txt', 'store.csv.real']);
    expect(st.notices.find((n) => n.file === 'escape.csv')!.message).toMatch(/outside the channel's folder/);
    expect(st.channels[0]!.notices).toBe(3);
    // A file that is taken care of (renamed to match) leaves the list.
    await fs.rename(path.join(ws.inbox, 'orders.txt'), path.join(ws.inbox, 'orders.csv'));
    await ws.once();
    expect(((await ws.status()) as unknown as Notices).notices.map((n) => n.file).sort()).toEqual(['escape.csv', 'store.csv.real']);
  });
});

describe('a writer that stalls longer than minAge', () => {
  it('and then goes on writing into the archived file: a warning with both hashes in the log and in status', async () => {
    const ws = await workspace({ minAge: 0.2 });
    const daemon = ws.start();
    await daemon.ready();
    const [header, row] = singleOrderCsv('STALL-1').split('\n');
    const writer = await fs.open(path.join(ws.inbox, 'stall.csv'), 'a');
    try {
      await writer.write(`${header}\n${row}\n`);
      await waitFor(() => ws.archived().some((n) => n.endsWith('/stall.csv')), { what: 'the partial file archived', daemon });
      await writer.write(`${row!.replace('STALL-1', 'STALL-2')}\n`);
    } finally {
      await writer.close();
    }
    const warning = await waitFor(() => daemon.logs().find((l) => /file changed after its import/.test(l.msg)), { what: 'the changed-after-import warning', daemon });
    expect(warning.level).toBe(40);
    expect(warning.importedSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(warning.nowSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(warning.nowSha256).not.toBe(warning.importedSha256);
    await daemon.stop();
    const st = (await ws.status()) as unknown as Notices;
    const n = st.notices.find((x) => x.kind === 'changed-after-import')!;
    expect(n.message).toContain(String(warning.importedSha256));
    expect(n.message).toContain(String(warning.nowSha256));
    // The advice is true: orders already sent from the cut file are named to be checked; a re-send
    // would not correct them (they are duplicates), so it is not offered as the fix.
    expect(n.message).toMatch(/imported as file \d+; the records that came from it: STALL-1\./);
    expect(n.message).toMatch(/may be incomplete or wrong: check them and correct them/);
    expect(n.message).toMatch(/Re-sending the file does not fix them/);
    expect(n.message).not.toMatch(/re-send what is missing/);
    const text = (await ws.wharf(['status'])).stdout;
    expect(text).toMatch(/CHANGED-AFTER-IMPORT .*stall\.csv/);
  });
});
