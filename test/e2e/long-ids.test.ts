/**
 * An order id as long as the order schema allows (200 characters) still reaches the warehouse: its file
 * name is cut to what the file system takes (255 bytes) with a hash, the same stem for the order and
 * its cancellation. Before, such an order was committed and then failed delivery forever (ENAMETOOLONG).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, singleOrderCsv, type Workspace } from '../helpers/e2e.js';
import { orderFileName } from '../../src/pipeline/deliver.js';

let ws: Workspace;
const MERCHANT = `m${'e'.repeat(63)}`; // the longest ids the config allows (64 characters)
const CHANNEL = `c${'h'.repeat(63)}`;

beforeAll(async () => {
  ws = await createWorkspace();
  const cfg = ws.configObject() as { merchants: Record<string, { name: string; channels: Record<string, unknown> }> };
  const [merchant] = Object.values(cfg.merchants);
  const [channel] = Object.values(merchant!.channels);
  cfg.merchants = { [MERCHANT]: { name: merchant!.name, channels: { [CHANNEL]: channel } } };
  await fs.writeFile(ws.configPath, toYaml(cfg));
});
afterAll(async () => {
  await ws?.dispose();
});

describe('order ids up to the schema maximum', () => {
  it('a 200-character order id of a merchant and channel with 64-character ids is delivered under a name within 255 bytes', async () => {
    const id = `WEB-${'9'.repeat(196)}`;
    await fs.writeFile(path.join(ws.inbox, 'long.csv'), singleOrderCsv(id));
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    const files = ws.warehouseAll();
    expect(files).toHaveLength(1);
    expect(Buffer.byteLength(files[0]!)).toBeLessThanOrEqual(255);
    const order = JSON.parse(await fs.readFile(path.join(ws.warehouse, files[0]!), 'utf8')) as { externalId: string };
    expect(order.externalId).toBe(id);
    const status = await ws.status();
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: 1 });
  });

  it('the order and its cancellation keep one stem; short names are unchanged', () => {
    const body = { merchant: 'm'.repeat(64), channel: 'c'.repeat(64), externalId: 'X'.repeat(200) };
    const order = orderFileName({ action: 'order', body }, 'json');
    const cancel = orderFileName({ action: 'cancel', body }, 'json');
    expect(Buffer.byteLength(cancel)).toBeLessThanOrEqual(255);
    expect(cancel).toBe(order.replace(/\.json$/, '.cancel.json'));
    expect(orderFileName({ action: 'order', body: { merchant: 'demo', channel: 'dropbox', externalId: 'WEB-1' } }, 'json')).toBe('demo-dropbox-WEB-1.json');
  });
});
