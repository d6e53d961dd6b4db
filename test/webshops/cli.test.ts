import { promises as fs } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, wharf } from '../helpers/cli.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';
import { cliChannel, type CliChannel } from '../helpers/webshops/cli-channel.js';

/**
 * A WooCommerce channel end to end through the real CLI: a local server speaking the documented REST
 * API (auth, paging headers, modified_after, 429/503), the compiled `wharf`, SQLite, real folders.
 */
const KEY = 'ck_1111111111111111111111111111111111111111';
const SECRET = 'cs_2222222222222222222222222222222222222222';
const T0 = Date.parse('2026-11-20T09:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('WooCommerce channel through the CLI', () => {
  let server: ReturnType<typeof wooServer>;
  let work: string;
  let config: string;
  let ch: CliChannel;
  const env = { WOO_KEY: KEY, WOO_SECRET: SECRET };
  const warehouse = () => ch.warehouse();

  beforeAll(async () => {
    server = await wooServer({ keys: [{ key: KEY, secret: SECRET, permissions: 'read_write' }] }).start();
    ch = await cliChannel(
      'woo',
      `type: woocommerce
url: https://shop.example
baseUrl: ${server.url}/wp-json/wc/v3
consumerKey: \${WOO_KEY}
consumerSecret: \${WOO_SECRET}`,
    );
    ({ work, config } = ch);
  });
  afterAll(async () => {
    await server.stop();
    await ch.remove();
  });

  it('test-connection passes with a read/write key', async () => {
    const r = await wharf(['test-connection', 'acme/woo', '--config', config], { env });
    expect(r.stdout).toContain('acme/woo: connection ok');
    expect(r.code).toBe(0);
  });

  it('imports every processing order once over several runs, including one modified at the cursor', async () => {
    for (let i = 1; i <= 150; i++) server.state.orders.push(wooOrder({ id: i, modified: at(i * 60) }));
    server.state.orders.push(wooOrder({ id: 999, modified: at(10), status: 'pending' })); // not ready: never pulled
    const first = await wharf(['sync', 'woo', 'orders', '--config', config], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('150 new');
    expect(await warehouse()).toHaveLength(150);

    // The next run: new orders, and one modified exactly at the stored cursor.
    server.state.orders.push(wooOrder({ id: 151, modified: at(150 * 60) }));
    for (let i = 152; i <= 160; i++) server.state.orders.push(wooOrder({ id: i, modified: at(9000 + i) }));
    const second = await wharf(['sync', 'woo', 'orders', '--config', config], { env });
    expect(second.code).toBe(0);
    const files = await warehouse();
    expect(files).toHaveLength(160);
    expect(files).toContain('acme-woo-151.json');
    expect(files).not.toContain('acme-woo-999.json');

    // A third run with nothing new: the overlap window re-reads recent orders, the ledger drops them.
    const third = await wharf(['sync', 'woo', 'orders', '--config', config], { env });
    expect(third.stdout).toContain('0 new');
    expect(await warehouse()).toHaveLength(160);
    const order = JSON.parse(await fs.readFile(path.join(work, 'warehouse', 'acme-woo-151.json'), 'utf8')) as { id: string; shipTo: { street: string; houseNumber: string; houseNumberSuffix: string } };
    expect(order.id).toBe('acme:woo:151');
    expect(order.shipTo).toMatchObject({ street: 'Keizersgracht', houseNumber: '221', houseNumberSuffix: 'B' });
  });

  it('sends a cancellation for an order already sent', async () => {
    const o = server.state.orders.find((x) => x.id === 5)!;
    o.status = 'cancelled';
    o.date_modified_gmt = at(20_000).slice(0, 19);
    o.date_modified = o.date_modified_gmt;
    const r = await wharf(['once', '--config', config], { env });
    expect(r.code).toBe(0);
    const files = await warehouse();
    expect(files.filter((f) => f.endsWith('.cancel.json'))).toEqual(['acme-woo-5.cancel.json']);
  });

  it('rides out a 429 storm and a 503', async () => {
    server.state.orders.push(wooOrder({ id: 161, modified: at(30_000) }));
    server.failNext(3, { status: 429, retryAfter: '1', pathIncludes: '/orders' });
    server.failNext(1, { status: 503, pathIncludes: '/orders' });
    const r = await wharf(['sync', 'woo', 'orders', '--config', config], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(await warehouse()).toContain('acme-woo-161.json');
    expect(server.hits('/orders', 429).length).toBe(3);
  });

  it('a bad key gives a clear error, imports nothing, and never shows the secret', async () => {
    server.state.orders.push(wooOrder({ id: 162, modified: at(40_000) }));
    const bad = { WOO_KEY: KEY, WOO_SECRET: 'cs_wrong_wrong_wrong' };
    const r = await wharf(['sync', 'woo', 'orders', '--config', config], { env: bad });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rejected|invalid|AUTH/i);
    expect(r.stdout + r.stderr).not.toContain('cs_wrong_wrong_wrong');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(await warehouse()).not.toContain('acme-woo-162.json');
    const status = JSON.parse((await wharf(['status', '--json', '--config', config], { env })).stdout) as { channels: { channel: string; lastError: string | null }[] };
    expect(status.channels.find((c) => c.channel === 'woo')!.lastError).toBeTruthy();
  });

  it('pulls the catalogue into a product file for the warehouse and reports an EAN claimed by two SKUs', async () => {
    server.state.products.push(
      { id: 10, name: 'Mok', type: 'simple', sku: 'MOK-01', global_unique_id: '08712345678906' },
      { id: 11, name: 'T-shirt', type: 'variable', sku: 'TS' },
      { id: 13, name: 'Mok (dubbel)', type: 'simple', sku: 'MOK-02', global_unique_id: '08712345678906' },
    );
    server.state.variations.set(11, [
      { id: 111, sku: 'TS-S', attributes: [{ name: 'Maat', option: 'S' }] },
      { id: 112, sku: 'TS-M', attributes: [{ name: 'Maat', option: 'M' }] },
    ]);
    const r = await wharf(['sync', 'acme/woo', 'products', '--config', config], { env });
    expect(r.code).toBe(0);
    const dir = path.join(work, 'products');
    const files = await fs.readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^acme-woo-products-\d+\.ndjson$/);
    const products = (await fs.readFile(path.join(dir, files[0]!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { sku: string; ean?: string });
    expect(products.map((p) => p.sku).sort()).toEqual(['MOK-01', 'TS-M', 'TS-S']);
    expect(products.find((p) => p.sku === 'MOK-01')!.ean).toBe('08712345678906'); // leading zero kept

    // The conflict is reported in a quarantined page with its report, not guessed.
    const q = path.join(work, 'var', 'quarantine', 'acme', 'woo');
    const reports = (await fs.readdir(q)).filter((f) => f.endsWith('.errors.json'));
    expect(reports).toHaveLength(1);
    const report = JSON.parse(await fs.readFile(path.join(q, reports[0]!), 'utf8')) as { outcome: string; errors: { field: string; message: string }[] };
    expect(report.outcome).toBe('partial');
    expect(report.errors).toEqual([{ record: 4, field: 'ean', message: 'EAN 08712345678906 of SKU MOK-02 is already used by SKU MOK-01; correct the product data so that each EAN belongs to one SKU' }]);

    // Unchanged on the next pull: nothing new for the warehouse; a changed name: one new file with that product.
    await wharf(['sync', 'acme/woo', 'products', '--config', config], { env });
    expect(await fs.readdir(dir)).toHaveLength(1);
    server.state.products[0]!.name = 'Mok wit';
    await wharf(['sync', 'acme/woo', 'products', '--config', config], { env });
    const after = await fs.readdir(dir);
    expect(after).toHaveLength(2);
    const fresh = after.find((f) => f !== files[0])!;
    const changed = (await fs.readFile(path.join(dir, fresh), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { sku: string; name: string });
    expect(changed).toEqual([expect.objectContaining({ sku: 'MOK-01', name: 'Mok wit' })]);
  });

  it('the daemon pulls on the channel schedule (in the configured time zone) and stops cleanly', async () => {
    const cfg = path.join(work, 'wharf-scheduled.yaml');
    const text = (await fs.readFile(config, 'utf8'))
      .replace(`ledger: { path: ${work}/wharf.sqlite }`, `ledger: { path: ${work}/wharf-scheduled.sqlite }`)
      .replace(`orders: { path: ${work}/warehouse }`, `orders: { path: ${work}/warehouse-scheduled }`)
      .concat('        schedules: { orders: "*/1 * * * * *", products: "0 0 1 1 *" }\n');
    await fs.writeFile(cfg, text);
    const child = spawn(process.execPath, [path.join(REPO, 'bin/wharf.js'), 'run', '--config', cfg], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const dir = path.join(work, 'warehouse-scheduled');
      const count = () => fs.readdir(dir).then((f) => f.filter((n) => n.endsWith('.json') && !n.endsWith('.cancel.json')).length, () => 0);
      const deadline = Date.now() + 30_000;
      while ((await count()) < 160 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await count()).toBeGreaterThanOrEqual(160);
      expect(log).toContain('scheduled acme/woo orders');
      expect(log).toContain('Europe/Amsterdam');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
